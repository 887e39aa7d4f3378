/**
 * Every way into a write, made into lines of line protocol in one place: Inflow's forms (a name and
 * kwargs, measurements, a template and rows), influxdb-client-python's records (text, Points,
 * Measurements, dicts, objects read through a shape), and what inflow out reads a message as (a point,
 * rows, text). Default tags are added here, under each point's own; a record that cannot be written
 * says where it is and why, and fails alone where the caller takes records one by one.
 */
import {
  addCheckedLines,
  convertTimestamp,
  convertTimestamps,
  defaultTagsAdder,
  InvalidArgumentException,
  InvalidMeasurementException,
  likelyPrecision,
  millisecondsPer,
  nowTimestamp,
  serializeLine,
  textOfBytes,
  timestampOf,
  timestampStart,
  unitName,
  WHOLE_NUMBER_TEXT,
  type FieldSource,
  type Fields,
  type OmitField,
  type Precision,
  type TagValue,
  type Tags,
  type Timestamp,
} from '../core';
import { describeType, isPlainObject, quote, setOwn } from '../util';
import { Measurement, isDictForm, type Kwargs, type MeasurementLike, type Template, type WriteCallOptions } from './measurement';
import { Point } from './point';
import { isRecordShape, keysOf, type RecordShape } from './records';

export interface LineMakerOptions {
  /** The unit of the lines' times, and of number timestamps given. */
  precision: Precision;
  /** Tags every point gets unless it has its own of the key: the client's default tags, inflow out's tags. */
  defaultTags?: Tags | undefined;
  /** Fields whose numbers are written as integers. */
  integerFields?: ReadonlySet<string> | undefined;
  /** The unit of number timestamps (and of line protocol text's times), when it is not `precision`: they are converted. */
  timestampUnit?: Precision | undefined;
  /** Refuse a number timestamp that reads as a far-off year in its unit and looks like another unit (for input from flows). */
  checkTimestampUnits?: boolean | undefined;
  /**
   * What to do with a field value InfluxDB cannot store (NaN, an infinity, an object, an array): 'refuse'
   * the point with an error naming the field (the default), or 'omit' the field (a point left with no field
   * is refused all the same).
   */
  invalidValues?: InvalidValues | undefined;
  /** With invalidValues 'omit': told of each field left out. */
  onOmit?: OmitField | undefined;
}

/** What a line maker does with a field value InfluxDB cannot store. */
export type InvalidValues = 'refuse' | 'omit';

/** The choices of `invalidValues`, the default first. */
const INVALID_VALUES: readonly InvalidValues[] = ['refuse', 'omit'];

/**
 * `value` as a choice of `invalidValues`, the default for undefined. A value that is none of them is
 * thrown as the error `fail` makes of the reason (each caller names the setting in its own words).
 */
export function invalidValuesOf(value: unknown, fail: (reason: string) => Error): InvalidValues {
  if (value === undefined) return 'refuse';
  const known = INVALID_VALUES.find((one) => one === value);
  if (known !== undefined) return known;
  throw fail(`${JSON.stringify(value)} is not one of ${INVALID_VALUES.map((one) => `'${one}'`).join(', ')}`);
}

/** Where a point comes from, for its error (`rows[3]`, `msg.payload`): made only when there is one. */
export type Where = string | (() => string);

/** One record's lines, or why it cannot be written. */
export type RecordOutcome =
  | { where: string; lines: string[]; error?: undefined }
  | { where: string; error: InvalidMeasurementException; lines?: undefined };

/** The lines of a write call, and the options given last. */
export interface CallLines {
  lines: string[];
  options: WriteCallOptions | undefined;
}

export class LineMaker {
  readonly precision: Precision;
  readonly #options: LineMakerOptions;
  /** Adds the default tags to lines made elsewhere: text, Points, Measurements. Built once. */
  readonly #addTags: ((lines: readonly string[]) => string[]) | undefined;
  /** Told of fields left out, with invalidValues 'omit'; undefined: such values are refused. */
  readonly #omit: OmitField | undefined;

  /** Throws an InvalidMeasurementException for a default tag InfluxDB could not store as given. */
  constructor(options: LineMakerOptions) {
    this.precision = options.precision;
    this.#options = options;
    const invalidValues = invalidValuesOf(
      options.invalidValues,
      (reason) => new InvalidArgumentException(`invalidValues ${reason}`),
    );
    this.#omit = invalidValues === 'omit' ? (options.onOmit ?? ignoreOmitted) : undefined;
    this.#addTags = options.defaultTags === undefined ? undefined : defaultTagsAdder(stringTags(options.defaultTags));
  }

  /** A maker like this one with some options changed (a message's own tags or unit). */
  with(changes: Partial<LineMakerOptions>): LineMaker {
    return new LineMaker({ ...this.#options, ...changes });
  }

  /**
   * One point: the default tags under its own, integer fields as integers, its time in the lines' unit.
   * What cannot be written is an InvalidMeasurementException, `where` in front of why.
   */
  point(
    where: Where,
    name: unknown,
    tags: unknown,
    fields: unknown,
    source: FieldSource,
    timestamp: Timestamp | null | undefined,
  ): string {
    try {
      if (tags !== undefined && tags !== null && !isPlainObject(tags)) {
        throw new InvalidMeasurementException(`tags must be an object, not ${describeType(tags)}`);
      }
      const { defaultTags, integerFields, timestampUnit } = this.#options;
      const allTags =
        defaultTags === undefined ? (tags as Tags | undefined) : withDefaults(defaultTags, tags as Tags | undefined);
      const fieldObject =
        integerFields !== undefined && integerFields.size > 0 && isPlainObject(fields)
          ? withIntegers(fields, integerFields, this.#omit !== undefined)
          : fields;
      let time = timestamp ?? undefined;
      // A string of digits is a number in the unit too (the exact form of one beyond 2^53): converted and checked as one.
      if (typeof time === 'string' && WHOLE_NUMBER_TEXT.test(time)) time = BigInt(time);
      if (typeof time === 'number' || typeof time === 'bigint') {
        const unit = timestampUnit ?? this.precision;
        if (this.#options.checkTimestampUnits === true) checkUnit(time, unit);
        if (unit !== this.precision) time = convertTimestamp(time, unit, this.precision);
      }
      return serializeLine(name as string, allTags, fieldObject as Fields, source, time, this.precision, this.#omit);
    } catch (error) {
      throw placed(error, where);
    }
  }

  /** The points of rows under a template (its name, and its tags under each row's own). */
  rows(where: (index: number) => string, name: unknown, templateTags: Tags | undefined, rows: readonly unknown[]): string[] {
    const lines = new Array<string>(rows.length);
    let i = 0;
    const at = (): string => where(i);
    for (; i < rows.length; i++) {
      const row = rows[i];
      if (!isPlainObject(row)) {
        throw new InvalidMeasurementException(`${at()} is a ${describeType(row)}: each row must be an object of fields`);
      }
      const rowTags: unknown = row.tags;
      // A row's tags that are no object are passed on as they are, for point() to refuse by name.
      const tags =
        templateTags === undefined || rowTags === undefined || rowTags === null || !isPlainObject(rowTags)
          ? (rowTags ?? templateTags)
          : { ...templateTags, ...rowTags };
      lines[i] = this.point(at, name, tags, row, 'kwargs', row.timestamp as Timestamp | undefined);
    }
    return lines;
  }

  /** A dict-form measurement (`{ measurement | name, tags, fields, time | timestamp }`); `name` when it names none. */
  dict(where: Where, value: Record<string, unknown>, name?: string): string {
    // Anything else beside the fields would be dropped unseen: a field or tag put one level too high.
    const stray = Object.keys(value).find((key) => !DICT_KEYS.has(key) && value[key] !== undefined);
    if (stray !== undefined) {
      throw placed(
        new InvalidMeasurementException(
          `${quote(stray)} stands beside "fields", where only measurement (or name), tags and time (or timestamp) go: ` +
            'put it in "fields" or "tags"',
        ),
        where,
      );
    }
    const { tags, fields, time, timestamp } = value as { tags?: Tags; fields: Fields; time?: Timestamp; timestamp?: Timestamp };
    const own = value.measurement ?? value.name;
    return this.point(where, own ?? name, tags, fields, 'fields', time ?? timestamp);
  }

  /**
   * Line protocol text, each line checked (blank lines and comments skipped), with the default tags and in
   * the lines' unit, a line without a time stamped now as a point is; a bad line is named by `label(number)`.
   */
  text(text: string | Uint8Array, label: (number: number) => string): string[] {
    const content = typeof text === 'string' ? text : textOfBytes(text);
    const lines: string[] = [];
    const unit = this.#options.timestampUnit ?? this.precision;
    addCheckedLines(
      content,
      lines,
      label,
      this.#options.checkTimestampUnits === true ? (line) => unitProblem(line, unit) : undefined,
    );
    return stamped(this.converted(this.tagged(lines)), this.precision);
  }

  /**
   * The lines of a write call, all or nothing: Inflow's `(name, kwargs)`, `(measurements[])`,
   * `(template, rows[])`, `(measurement)`, each with options last; or records (text, Points, Buffers,
   * records with a shape last). A record that cannot be written fails the call, named.
   */
  call(args: readonly unknown[]): CallLines {
    const records = recordsOfArgs(args);
    if (records !== undefined) return { lines: this.allRecords(records.records, records.shape), options: undefined };
    const [first, second, third] = args;
    if (typeof first === 'string') {
      if (!isPlainObject(second)) {
        throw new InvalidMeasurementException(
          `the fields of ${quote(first)} must be given as an object such as { value: 21.3 }, not ${describeType(second)}`,
        );
      }
      return {
        lines: [this.point('', first, second.tags, second, 'kwargs', second.timestamp as Timestamp | undefined)],
        options: callOptions(third),
      };
    }
    if (Array.isArray(first)) {
      return { lines: first.map((item, i) => this.measurement(`measurements[${i}]`, item)), options: callOptions(second) };
    }
    if (isPlainObject(first) && Array.isArray(second)) {
      const template = first as Template;
      const name = template.name ?? template.measurement;
      if (typeof name !== 'string') {
        throw new InvalidMeasurementException('the template has no measurement name: give it as { name: "temperature" }');
      }
      return { lines: this.rows((i) => `rows[${i}]`, name, template.tags, second), options: callOptions(third) };
    }
    if (isPlainObject(first) || first instanceof Measurement)
      return { lines: [this.measurement('', first)], options: callOptions(second) };
    throw new InvalidMeasurementException(
      `cannot make measurements of a ${describeType(first)}: write(name, { value }), write([measurements]) ` +
        'or write({ name, tags }, [rows])',
    );
  }

  /** The lines of records (influxdb-client-python's forms), all or nothing: a record that cannot be written throws, named. */
  allRecords(records: readonly unknown[], shape?: RecordShape): string[] {
    const lines: string[] = [];
    for (const outcome of this.eachRecord(records, shape)) {
      if (outcome.error !== undefined) throw outcome.error;
      for (const line of outcome.lines) lines.push(line);
    }
    return lines;
  }

  /** Each record's lines, or its own error: a record in an array is a record of its own (`records[2][0]`). */
  eachRecord(records: readonly unknown[], shape?: RecordShape): RecordOutcome[] {
    const outcomes: RecordOutcome[] = [];
    records.forEach((record, index) => this.addRecord(record, `records[${index}]`, shape, outcomes));
    return outcomes;
  }

  private addRecord(record: unknown, where: string, shape: RecordShape | undefined, outcomes: RecordOutcome[]): void {
    if (Array.isArray(record)) {
      record.forEach((item, index) => this.addRecord(item, `${where}[${index}]`, shape, outcomes));
      return;
    }
    try {
      outcomes.push({ where, lines: this.linesOfRecord(record, where, shape) });
    } catch (error) {
      if (!(error instanceof InvalidMeasurementException)) throw error;
      outcomes.push({ where, error: placed(error, where) as InvalidMeasurementException });
    }
  }

  private linesOfRecord(record: unknown, where: string, shape: RecordShape | undefined): string[] {
    if (typeof record === 'string' || record instanceof Uint8Array)
      return this.text(record, (number) => `${where}: line ${number}`);
    if (record instanceof Point) return this.tagged([record.toLineProtocol(this.precision)]);
    if (record instanceof Measurement) return [this.measurement(where, record)];
    if (shape !== undefined && typeof record === 'object' && record !== null) return [this.shaped(where, record, shape)];
    if (isPlainObject(record)) return [this.measurement(where, record)];
    const what =
      typeof record === 'object' && record !== null
        ? `an object of class ${record.constructor?.name ?? '?'}`
        : describeType(record);
    throw new InvalidMeasurementException(
      `${where}: ${what} is not a record: give line protocol text, a Point, a Measurement, a { measurement, tags, fields, time } dict, ` +
        'or its keys ({ measurementName, tagKeys, fieldKeys, timeKey })',
    );
  }

  /** A Measurement, kwargs with a name, or the dict form. */
  private measurement(where: string, value: unknown): string {
    if (value instanceof Measurement) {
      try {
        return this.tagged([value.toLine(this.precision)])[0] as string;
      } catch (error) {
        throw placed(error, where);
      }
    }
    if (!isPlainObject(value))
      throw placed(new InvalidMeasurementException(`a measurement must be an object, not ${describeType(value)}`), where);
    if (isDictForm(value)) return this.dict(where, value);
    const { name, tags, timestamp } = value as { name?: unknown; tags?: unknown; timestamp?: Timestamp };
    return this.point(where, name, tags, value, 'init', timestamp);
  }

  /** An object read through a shape (a dataclass, a named tuple, a data frame's row). */
  private shaped(where: string, record: object, shape: RecordShape): string {
    const values = record as Record<string, unknown>;
    const name = shape.measurementKey !== undefined ? values[shape.measurementKey] : shape.measurementName;
    if (typeof name !== 'string' || name === '') {
      throw placed(
        new InvalidMeasurementException(
          shape.measurementKey !== undefined
            ? `its measurement key ${JSON.stringify(shape.measurementKey)} holds ${describeType(name)}, not a name`
            : 'no measurement: give measurementName or measurementKey',
        ),
        where,
      );
    }
    const tagKeys = shape.tagKeys ?? shape.tagColumns ?? [];
    const timeKey = shape.timeKey ?? shape.timeColumn;
    const tags: Record<string, TagValue | null | undefined> = {};
    for (const key of tagKeys) tags[key] = values[key] as TagValue | null | undefined;
    const fieldKeys =
      shape.fieldKeys ??
      keysOf(record).filter((key) => !tagKeys.includes(key) && key !== timeKey && key !== shape.measurementKey);
    const fields: Record<string, unknown> = {};
    for (const key of fieldKeys) fields[key] = values[key];
    const time = timeKey === undefined ? undefined : (values[timeKey] as Timestamp | null | undefined);
    return this.point(where, name, tags, fields, 'fields', time);
  }

  /** Lines made elsewhere, with the default tags (a line's own tag of the same key wins). */
  private tagged(lines: string[]): string[] {
    return this.#addTags === undefined ? lines : this.#addTags(lines);
  }

  /** Lines of text, their times in the lines' unit (rounded down as Dates are). */
  private converted(lines: string[]): string[] {
    const from = this.#options.timestampUnit;
    return from === undefined ? lines : convertTimestamps(lines, from, this.precision);
  }
}

/**
 * Lines without a time, given now's in `precision`, in place. Left to the server, every line of a request
 * gets the time the request came: lines sent a second apart but written together (a commit, a retry, a
 * backlog replayed from disk) would all get one time, and those of one series would overwrite each other.
 */
function stamped(lines: string[], precision: Precision): string[] {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (timestampStart(line) < 0) lines[i] = `${line} ${nowTimestamp(precision)}`;
  }
  return lines;
}

/**
 * The records of a write call when they are influxdb-client-python's rather than Inflow's forms: a Point,
 * a Buffer, one string of line protocol, an array holding any of those, or records with a shape last.
 */
function recordsOfArgs(args: readonly unknown[]): { records: unknown[]; shape: RecordShape | undefined } | undefined {
  const last = args.at(-1);
  if (args.length > 1 && isRecordShape(last)) return { records: args.slice(0, -1), shape: last };
  const first = args[0];
  const isRecord = (value: unknown): boolean => value instanceof Point || value instanceof Uint8Array;
  if (args.length === 1 && typeof first === 'string') return { records: [first], shape: undefined };
  if (isRecord(first) || (Array.isArray(first) && first.some((item) => isRecord(item) || typeof item === 'string'))) {
    return { records: [...args], shape: undefined };
  }
  return undefined;
}

/** The options of a write call: `{ retentionPolicy, database, bucket, org, signal }`. */
function callOptions(value: unknown): WriteCallOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw new InvalidArgumentException(`write options must be an object such as { retentionPolicy }, not ${describeType(value)}`);
  }
  const { retentionPolicy, database, signal } = value as WriteCallOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentException(`write option signal must be an AbortSignal, not ${describeType(signal)}`);
  }
  for (const [key, option] of [
    ['retentionPolicy', retentionPolicy],
    ['database', database],
  ] as const) {
    if (option !== undefined && (typeof option !== 'string' || option === '')) {
      throw new InvalidArgumentException(`write option ${key} must be a non-empty string`);
    }
  }
  return value;
}

/** The error with where it happened in front, when it is a point's; anything else as it is. */
function placed(error: unknown, where: Where): unknown {
  const at = typeof where === 'string' ? where : where();
  if (!(error instanceof InvalidMeasurementException) || at === '' || error.message.startsWith(at)) return error;
  return new InvalidMeasurementException(`${at}: ${error.message}`);
}

/** A point's tags over the defaults: a tag it leaves out (null, undefined, '') leaves the default in place. */
function withDefaults(defaults: Tags, own: Tags | undefined): Tags {
  if (own === undefined) return defaults;
  const tags: Record<string, Tags[string]> = { ...defaults };
  for (const key in own) {
    const value = own[key];
    if (value !== null && value !== undefined && value !== '') setOwn(tags, key, value);
  }
  return tags;
}

/** The fields with those named as integers made bigints; with `omitting`, NaN and infinities are left for the serializer to leave out. */
function withIntegers(
  fields: Record<string, unknown>,
  integerFields: ReadonlySet<string>,
  omitting: boolean,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of integerFields) {
    const value = fields[key];
    if (typeof value !== 'number' || (omitting && !Number.isFinite(value))) continue;
    if (!Number.isSafeInteger(value)) {
      throw new InvalidMeasurementException(
        `field ${quote(key)} is set to be written as an integer, but is ${value}` +
          (Number.isInteger(value) ? ' (beyond 2^53: send a bigint)' : ''),
      );
    }
    copy ??= { ...fields };
    copy[key] = BigInt(value);
  }
  return copy ?? fields;
}

function ignoreOmitted(): void {}

/** The keys of the dict form `{ measurement | name, tags, fields, time | timestamp }`. */
const DICT_KEYS: ReadonlySet<string> = new Set(['measurement', 'name', 'tags', 'fields', 'time', 'timestamp']);

function checkUnit(timestamp: number | bigint, unit: Precision): void {
  const problem = unitProblemOf(timestamp, unit);
  if (problem !== undefined) throw new InvalidMeasurementException(problem);
}

/** Why a line's time is likely in another unit than `unit`, or undefined. */
function unitProblem(line: string, unit: Precision): string | undefined {
  const start = timestampStart(line);
  return start < 0 ? undefined : unitProblemOf(timestampOf(line, start), unit);
}

/** Why a number timestamp is likely in another unit than `unit` (it lands far from now in it), or undefined. */
function unitProblemOf(timestamp: number | bigint, unit: Precision): string | undefined {
  const likely = likelyPrecision(timestamp, unit);
  if (likely === undefined) return undefined;
  const year = new Date(Number(timestamp) * millisecondsPer(unit)).getUTCFullYear();
  return (
    `timestamp ${String(timestamp)} read as ${unitName(unit)} (precision "${unit}") is in the year ` +
    `${Number.isFinite(year) ? year : 'beyond 275760'}; it looks like ${unitName(likely)}: ` +
    `set the precision to "${likely}" or convert the timestamp`
  );
}

function stringTags(tags: Tags): Record<string, string> {
  // fromEntries makes each tag the object's own, one named __proto__ too.
  return Object.fromEntries(
    Object.entries(tags)
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([key, value]) => [key, String(value)]),
  );
}

/** The lines of records in a precision (influxdb-client-python's forms); a record that cannot be written throws, named. */
export function linesOfRecords(records: readonly unknown[], precision: Precision, shape?: RecordShape): string[] {
  return new LineMaker({ precision }).allRecords(records, shape);
}

export type { Kwargs, MeasurementLike };
