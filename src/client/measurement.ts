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
import { describeType, isPlainObject, quote } from '../util';

/**
 * Keyword arguments of a write, as in the Python seed: `tags` and `timestamp` are reserved,
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

/** Where a write goes when it should not go to the client's defaults, and how to abandon it. */
export interface WriteOptions extends WriteTarget {
  /**
   * Abandons the request when aborted: the write fails with the signal's reason when that is an
   * InfluxDBException, else with a TimeoutException. The server may have stored the points already.
   */
  signal?: AbortSignal | undefined;
}

/**
 * One point: a name, tags, fields and an optional time (now, when it is written, if left out).
 * Made from kwargs with a name (`{ name, tags, timestamp, ...fields }`), as in the Python seed.
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
      const name = (value.measurement ?? value.name) as string;
      const measurement = new Measurement({ name, tags: value.tags, timestamp: value.time ?? value.timestamp });
      measurement.fields = value.fields;
      return measurement;
    }
    return new Measurement(value as MeasurementInit);
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

/** The line of `(name, kwargs)`: kwargs are read in place, not copied. */
function lineOfKwargs(name: string, kwargs: Kwargs, tags: Tags | undefined, precision: Precision): string {
  if (!isPlainObject(kwargs)) {
    throw new InvalidMeasurementException(
      `the fields of ${quote(String(name))} must be given as an object such as { value: 21.3 }, not ${describeType(kwargs)}`,
    );
  }
  return serializeLine(name, tags, kwargs, 'kwargs', kwargs.timestamp, precision);
}

/** The line of one row of `(template, rows)`: the row's tags merged over the template's. */
function lineOfTemplateRow(template: Template, row: Kwargs, precision: Precision): string {
  const name = template.name ?? template.measurement;
  if (typeof name !== 'string') {
    throw new InvalidMeasurementException('the template has no measurement name: give it as { name: "temperature" }');
  }
  const rowTags = isPlainObject(row) ? row.tags : undefined;
  const tags = template.tags === undefined ? rowTags : { ...template.tags, ...rowTags };
  return lineOfKwargs(name, row, tags, precision);
}

/**
 * Serializes every element with `toLine`, naming the element of a failing one (`rows[3]: ...`),
 * so one bad element in a list says which it is.
 */
export function serializeEach<T>(items: readonly T[], label: string, toLine: (item: T) => string): string[] {
  if (!Array.isArray(items)) {
    throw new InvalidMeasurementException(`${label} must be an array, not ${describeType(items)}`);
  }
  const lines = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      lines[i] = toLine(items[i] as T);
    } catch (error) {
      if (error instanceof InvalidMeasurementException) {
        throw new InvalidMeasurementException(`${label}[${i}]: ${error.message}`);
      }
      throw error;
    }
  }
  return lines;
}

export interface NormalizedWrite {
  lines: string[];
  options: WriteOptions | undefined;
}

/**
 * Turns the arguments of any write form into line protocol lines, stamped now where they carry no
 * time, and the trailing options:
 * `(name, kwargs, options?)`, `(measurements[], options?)`, `(template, rows[], options?)`, `(measurement, options?)`.
 */
export function linesOfWriteArgs(args: readonly unknown[], precision: Precision): NormalizedWrite {
  const [first, second, third] = args;
  if (typeof first === 'string') {
    return {
      lines: [lineOfKwargs(first, second as Kwargs, (second as Kwargs | undefined)?.tags, precision)],
      options: writeOptions(third),
    };
  }
  if (Array.isArray(first)) {
    const lines = serializeEach(first as MeasurementLike[], 'measurements', (item) => Measurement.from(item).toLine(precision));
    return { lines, options: writeOptions(second) };
  }
  if (isPlainObject(first) || first instanceof Measurement) {
    if (Array.isArray(second) && !(first instanceof Measurement)) {
      const template = first as Template;
      const lines = serializeEach(second as Kwargs[], 'rows', (row) => lineOfTemplateRow(template, row, precision));
      return { lines, options: writeOptions(third) };
    }
    return { lines: [Measurement.from(first as MeasurementLike).toLine(precision)], options: writeOptions(second) };
  }
  throw new InvalidMeasurementException(
    `cannot make measurements of a ${describeType(first)}: write(name, { value }), write([measurements]) ` +
      'or write({ name, tags }, [rows])',
  );
}

function writeOptions(value: unknown): WriteOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw new InvalidMeasurementException(
      `write options must be an object such as { retentionPolicy }, not ${describeType(value)}`,
    );
  }
  const { retentionPolicy, database, signal } = value as WriteOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidMeasurementException(`write option signal must be an AbortSignal, not ${describeType(signal)}`);
  }
  for (const [key, option] of [
    ['retentionPolicy', retentionPolicy],
    ['database', database],
  ] as const) {
    if (option !== undefined && (typeof option !== 'string' || option === '')) {
      throw new InvalidMeasurementException(`write option ${key} must be a non-empty string`);
    }
  }
  return value as WriteOptions;
}
