/**
 * The records of seed 004, each into lines of line protocol: text (a string of many lines, an array
 * of strings, a Buffer), Point, Measurement, the dict form, and any object (class instances included)
 * read through a shape that names its measurement, tag, field and time keys (the seed's dataclass,
 * named tuple and data frame rows alike). Each malformed record fails alone, named.
 */
import {
  addCheckedLines,
  InvalidMeasurementException,
  serializeLine,
  type Precision,
  type TagValue,
  type Timestamp,
} from '../core';
import { describeType, isPlainObject } from '../util';
import { Measurement, type MeasurementLike } from './measurement';
import { Point } from './point';

/** How to read objects that are not Points, Measurements or dicts: the seed's `record_*` and `data_frame_*` keywords. */
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

/** The lines of records, in `precision`; a record that cannot be written fails with its place named (`records[2]`, `line 3`). */
export function linesOfRecords(records: readonly unknown[], precision: Precision, shape?: RecordShape): string[] {
  const lines: string[] = [];
  records.forEach((record, index) => addRecord(record, `records[${index}]`, precision, shape, lines));
  return lines;
}

function addRecord(record: unknown, label: string, precision: Precision, shape: RecordShape | undefined, lines: string[]): void {
  try {
    if (typeof record === 'string') addCheckedLines(record, lines, lineLabel);
    else if (record instanceof Uint8Array)
      addCheckedLines(Buffer.from(record.buffer, record.byteOffset, record.byteLength).toString('utf8'), lines, lineLabel);
    else if (Array.isArray(record))
      record.forEach((item, index) => addRecord(item, `${label}[${index}]`, precision, shape, lines));
    else if (record instanceof Point) lines.push(record.toLineProtocol(precision));
    else if (record instanceof Measurement) lines.push(record.toLine(precision));
    else if (shape !== undefined && typeof record === 'object' && record !== null)
      lines.push(lineOfShaped(record, shape, precision));
    else if (isPlainObject(record)) lines.push(Measurement.from(record as MeasurementLike).toLine(precision));
    else {
      const what =
        typeof record === 'object' && record !== null
          ? `an object of class ${record.constructor?.name ?? '?'}`
          : describeType(record);
      throw new InvalidMeasurementException(
        `${what} is not a record: give line protocol text, a Point, a Measurement, a { measurement, tags, fields, time } dict, ` +
          'or its keys ({ measurementName, tagKeys, fieldKeys, timeKey })',
      );
    }
  } catch (error) {
    if (error instanceof InvalidMeasurementException && !error.message.startsWith('records[')) {
      throw new InvalidMeasurementException(`${label}: ${error.message}`);
    }
    throw error;
  }
}

const lineLabel = (number: number): string => `line ${number}`;

function lineOfShaped(record: object, shape: RecordShape, precision: Precision): string {
  const values = record as Record<string, unknown>;
  const name = shape.measurementKey !== undefined ? values[shape.measurementKey] : shape.measurementName;
  if (typeof name !== 'string' || name === '') {
    throw new InvalidMeasurementException(
      shape.measurementKey !== undefined
        ? `its measurement key ${JSON.stringify(shape.measurementKey)} holds ${describeType(name)}, not a name`
        : 'no measurement: give measurementName or measurementKey',
    );
  }
  const tagKeys = shape.tagKeys ?? shape.tagColumns ?? [];
  const timeKey = shape.timeKey ?? shape.timeColumn;
  const tags: Record<string, TagValue | null | undefined> = {};
  for (const key of tagKeys) tags[key] = values[key] as TagValue | null | undefined;
  const fieldKeys =
    shape.fieldKeys ?? keysOf(record).filter((key) => !tagKeys.includes(key) && key !== timeKey && key !== shape.measurementKey);
  const fields: Record<string, unknown> = {};
  for (const key of fieldKeys) fields[key] = values[key];
  const time = timeKey === undefined ? undefined : (values[timeKey] as Timestamp | null | undefined);
  return serializeLine(name, tags, fields, 'fields', time ?? undefined, precision);
}

/** An object's own enumerable keys, and for class instances the getters of its class too (a dataclass's properties). */
function keysOf(record: object): string[] {
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

/**
 * The arguments of a write call when they are WriteApi records rather than Inflow's forms: a Point,
 * a Buffer, one string of line protocol, an array holding any of those, or records with a shape last.
 */
export function recordsOfArgs(args: readonly unknown[]): { records: unknown[]; shape: RecordShape | undefined } | undefined {
  const shaped = withShape(args);
  if (shaped.shape !== undefined) return shaped;
  const first = args[0];
  const isRecord = (value: unknown): boolean => value instanceof Point || value instanceof Uint8Array;
  if (args.length === 1 && typeof first === 'string') return { records: [first], shape: undefined };
  if (isRecord(first) || (Array.isArray(first) && first.some((item) => isRecord(item) || typeof item === 'string'))) {
    return { records: [...args], shape: undefined };
  }
  return undefined;
}
