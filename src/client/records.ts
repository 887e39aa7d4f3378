/**
 * How influxdb-client-python's records are read when they are not Points, Measurements or dicts: through
 * a shape that names their measurement, tag, field and time keys (its dataclass, named tuple and data
 * frame rows alike). The lines are made in write-input.ts.
 */
import { isPlainObject } from '../util';
import type { MeasurementLike } from './measurement';
import type { Point } from './point';

/** How to read objects that are not Points, Measurements or dicts: influxdb-client-python's `record_*` and `data_frame_*` keywords. */
export interface RecordShape {
  /** The measurement of every record. */
  measurementName?: string | undefined;
  /** The key whose value is each record's measurement (instead of a fixed name). */
  measurementKey?: string | undefined;
  /** Keys whose values are tags (a data frame's tag columns: `tagColumns` is the same). */
  tagKeys?: readonly string[] | undefined;
  tagColumns?: readonly string[] | undefined;
  /** Keys whose values are fields; by default every key that is not a tag, the time or the measurement. */
  fieldKeys?: readonly string[] | undefined;
  /** The key holding each record's time (`timeColumn` is the same). */
  timeKey?: string | undefined;
  timeColumn?: string | undefined;
}

export type WriteRecord = string | Uint8Array | Point | MeasurementLike | object;

const SHAPE_KEYS = new Set(['measurementName', 'measurementKey', 'tagKeys', 'tagColumns', 'fieldKeys', 'timeKey', 'timeColumn']);

/** Whether a value is a RecordShape (every key one of its own), rather than a record. */
export function isRecordShape(value: unknown): value is RecordShape {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => SHAPE_KEYS.has(key));
}

/** Records and the shape given after them, if the last argument is one. */
export function withShape(args: readonly unknown[]): { records: unknown[]; shape: RecordShape | undefined } {
  const last = args.at(-1);
  return args.length > 1 && isRecordShape(last)
    ? { records: args.slice(0, -1), shape: last }
    : { records: [...args], shape: undefined };
}

/** An object's own enumerable keys, and for class instances the getters of its class too (a dataclass's properties). */
export function keysOf(record: object): string[] {
  const keys = Object.keys(record);
  let prototype: unknown = Object.getPrototypeOf(record);
  while (prototype !== null && prototype !== Object.prototype) {
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(prototype))) {
      if (descriptor.get !== undefined && !keys.includes(key)) keys.push(key);
    }
    prototype = Object.getPrototypeOf(prototype);
  }
  return keys;
}
