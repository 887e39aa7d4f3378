import {
  InvalidMeasurementException,
  serializeLine,
  serializePoint,
  type FieldValue,
  type Fields,
  type PointData,
  type Precision,
  type Tags,
  type Timestamp,
  type WriteTarget,
} from '../core';
import { describeType, isPlainObject } from '../util';

/**
 * Keyword arguments of a write, as in Inflow: `tags` and `timestamp` are reserved,
 * every other key is a field (`{ value: 21.3 }`, `{ lower_sensor: 20.9, upper_sensor: 23.2 }`).
 */
export interface Kwargs {
  tags?: Tags | undefined;
  timestamp?: Timestamp | undefined;
  [field: string]: FieldValue | Tags | Timestamp | null | undefined;
}

/** A measurement's keyword form: a name, and kwargs. */
export interface MeasurementInit extends Kwargs {
  name: string;
}

/** The dict form of InfluxData's clients: `{ measurement | name, tags, fields, time | timestamp }`. */
export interface MeasurementDict {
  measurement?: string;
  name?: string;
  tags?: Tags | undefined;
  fields: Fields;
  time?: Timestamp | undefined;
  timestamp?: Timestamp | undefined;
}

/** The shared name and tags of the template form: `write(template, rows)`. */
export interface Template {
  name?: string;
  measurement?: string;
  tags?: Tags | undefined;
}

export type MeasurementLike = Measurement | MeasurementInit | MeasurementDict;

/** The options of one write call: where it goes when not to the client's defaults, and how to abandon it. */
export interface WriteCallOptions extends WriteTarget {
  /**
   * Abandons the request when aborted: the write fails with the signal's reason when that is an
   * InfluxDBException, else with a TimeoutException. The server may have stored the points already.
   */
  signal?: AbortSignal | undefined;
}

/**
 * One point: a name, tags, fields and an optional time (now, when it is written, if left out).
 * Made from kwargs with a name (`{ name, tags, timestamp, ...fields }`), as in Inflow.
 */
export class Measurement implements PointData {
  name: string;
  tags: Tags | undefined;
  timestamp: Timestamp | undefined;
  // Either the fields object, or the init they are read from (its keys but name, tags, timestamp).
  #fields: Fields | undefined;
  #init: MeasurementInit | undefined;

  constructor(init: MeasurementInit) {
    if (typeof init !== 'object' || init === null || Array.isArray(init)) {
      throw new InvalidMeasurementException(`a Measurement is made from an object, not ${describeType(init)}`);
    }
    this.name = init.name;
    this.tags = init.tags;
    this.timestamp = init.timestamp;
    // A shallow copy of the fields: changing `init` afterwards does not change this measurement.
    this.#init = { ...init };
  }

  get fields(): Fields {
    if (this.#fields === undefined) {
      this.#fields = fieldsOfKwargs(this.#init as MeasurementInit, true);
      this.#init = undefined;
    }
    return this.#fields;
  }

  set fields(fields: Fields) {
    this.#fields = fields;
    this.#init = undefined;
  }

  /** Builds a Measurement from any measurement-like value: an instance, kwargs with a name, or the dict form. */
  static from(value: MeasurementLike): Measurement {
    if (value instanceof Measurement) return value;
    if (!isPlainObject(value)) {
      throw new InvalidMeasurementException(`a measurement must be an object, not ${describeType(value)}`);
    }
    if (isDictForm(value)) {
      const name = value.measurement ?? value.name;
      const measurement = new Measurement({ name, tags: value.tags, timestamp: value.time ?? value.timestamp });
      measurement.fields = value.fields;
      return measurement;
    }
    return new Measurement(value);
  }

  /** This measurement as one line of line protocol in the given precision. */
  toLine(precision: Precision = 's'): string {
    return this.#init === undefined
      ? serializePoint(this, precision)
      : serializeLine(this.name, this.tags, this.#init, 'init', this.timestamp, precision);
  }
}

/** A plain object carrying a `fields` object is the dict form; otherwise it is kwargs. */
export function isDictForm(value: object): value is MeasurementDict {
  const fields = (value as { fields?: unknown }).fields;
  return isPlainObject(fields);
}

/** The fields of kwargs: every own key but `tags`, `timestamp` (and `name` for a MeasurementInit). */
function fieldsOfKwargs(kwargs: Kwargs, hasName: boolean): Fields {
  const fields: Record<string, Kwargs[string]> = {};
  for (const key in kwargs) {
    if (key !== 'tags' && key !== 'timestamp' && !(hasName && key === 'name')) fields[key] = kwargs[key];
  }
  return fields as Fields;
}
