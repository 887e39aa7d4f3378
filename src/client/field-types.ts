/**
 * Writes that match the server's field types (`matchFieldTypes`): before the first write to a measurement
 * of a target, its field types are read from the server (InfluxQL `SHOW FIELD KEYS`, which InfluxDB 1.x,
 * 2.x through its DBRP mapping, and 3.x answer alike) and kept; a number written as a float (`21`) for a
 * field the server holds as an integer is then written as one (`21i`), and one that is not whole is
 * refused, naming the field, the server's type and the value. Booleans and strings are never changed, and
 * fields the server does not have yet are written as they are. When the server still answers a field type
 * conflict, the measurement's types are read again and the request is sent once more with them.
 *
 * A server that cannot tell (a token that may write but not read, a query that times out or answers
 * garbage) leaves the writes as they are, with one warning; the wait for it is bounded.
 */
import {
  ConnectionFailedException,
  DatabaseNotFoundException,
  ForbiddenException,
  influxqlIdentifier,
  InfluxDBException,
  INT64_MAX,
  INT64_MIN,
  InvalidMeasurementException,
  linesOf,
  nameStep,
  RetentionPolicyNotFoundException,
  TimeoutException,
  UINT64_MAX,
  UnauthorizedException,
  type LineProtocol,
  type WriteTarget,
} from '../core';
import { quote, untilAborted } from '../util';
import type { QueryOptions, RawQueryResponse } from './query';

/** A field's type as InfluxQL's SHOW FIELD KEYS names it. */
export type FieldType = 'float' | 'integer' | 'unsigned' | 'boolean' | 'string';

const FIELD_TYPES: readonly FieldType[] = ['float', 'integer', 'unsigned', 'boolean', 'string'];

/** What the field types are read through: the Client. */
export interface SchemaReader {
  readonly timeout: number;
  queryRaw(query: string, options?: QueryOptions): Promise<RawQueryResponse>;
  detectServer(signal?: AbortSignal): Promise<{ api: string }>;
  resolveTarget(target: WriteTarget): WriteTarget;
}

export interface FieldTypesOptions {
  /** Measurements (of every target together) whose types are kept at most; the oldest read is forgotten first. Default 1000. */
  maxMeasurements?: number | undefined;
  /** Milliseconds to wait for a measurement's types at most, before writing as without them. Default: the client's timeout, at most 5000. */
  timeout?: number | undefined;
  /** Milliseconds after which types the server could not tell are asked for again. Default 60 000. */
  retryAfter?: number | undefined;
  /** Told, once for each kind of failure, that the types could not be read and the writes go on without them. */
  warn?: ((text: string) => void) | undefined;
}

export const FIELD_TYPES_DEFAULTS = {
  maxMeasurements: 1000,
  timeout: 5000,
  retryAfter: 60_000,
  /** Bytes of a SHOW FIELD KEYS answer read at most: a measurement's fields, not a database's data. */
  maxAnswerBytes: 4 * 1024 * 1024,
  /**
   * Schema queries under way at once, at most: a batch of thousands of new measurements queues its queries
   * behind two, and leaves the client's other connections to the writes.
   */
  concurrentLookups: 2,
} as const;

/** One measurement's types in one place; `types` undefined: the server could not tell (written as without them). */
interface Entry {
  readonly types: ReadonlyMap<string, FieldType> | undefined;
  /** Whether a number may need changing: the measurement has an integer or unsigned field. */
  readonly coerces: boolean;
  readonly at: number;
}

interface Place {
  database: string | undefined;
  retentionPolicy: string | undefined;
}

/** What one measurement's lines are matched against, and where its entry is kept. */
interface Use {
  key: string;
  measurement: string;
  place: Place;
  entry: Entry;
}

/** Sends lines as they are; throws what the server answered. */
export type SendLines = (lines: LineProtocol) => Promise<void>;

export class FieldTypes {
  private readonly entries = new Map<string, Entry>();
  private readonly lookups = new Map<string, Promise<Entry>>();
  private readonly warned = new Set<string>();
  /** Lookups waiting for their turn (concurrentLookups at a time). */
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private readonly maxMeasurements: number;
  private readonly timeout: number;
  private readonly retryAfter: number;

  constructor(
    private readonly reader: SchemaReader,
    private readonly options: FieldTypesOptions = {},
  ) {
    this.maxMeasurements = options.maxMeasurements ?? FIELD_TYPES_DEFAULTS.maxMeasurements;
    this.timeout = options.timeout ?? Math.min(reader.timeout, FIELD_TYPES_DEFAULTS.timeout);
    this.retryAfter = options.retryAfter ?? FIELD_TYPES_DEFAULTS.retryAfter;
  }

  /**
   * Sends the lines matched to the server's field types; after a field type conflict that types read
   * again would change, once more with them. Throws an InvalidMeasurementException for a number the
   * server's type cannot take, or what the server answered.
   */
  async write(lines: LineProtocol, target: WriteTarget, signal: AbortSignal | undefined, send: SendLines): Promise<void> {
    if ((await this.reader.detectServer(signal)).api === 'victoriametrics') return send(lines);
    // A batch's body is cut into lines only when one may be rewritten: most batches have no integer field.
    const measurements = lines instanceof Uint8Array ? measurementsOfBody(lines) : undefined;
    let text = measurements === undefined ? linesOf(lines) : undefined;
    const uses = await this.usesOf(measurements ?? measurementsOfLines(text ?? []), target, signal);
    const linesToMatch = (): readonly string[] => (text ??= linesOf(lines));
    const matched = anyCoerces(uses) ? matchLines(lines, linesToMatch(), uses) : lines;
    try {
      await send(matched);
    } catch (thrown) {
      if (!(thrown instanceof InfluxDBException) || !(await this.refreshAfter(thrown, uses, signal))) throw thrown;
      const again = anyCoerces(uses) ? matchLines(lines, linesToMatch(), uses) : lines;
      if (sameLines(again, matched)) throw thrown;
      await send(again);
    }
  }

  /** Each measurement (as the server reads its name), with its entry (read from the server when not kept). */
  private async usesOf(
    measurements: ReadonlySet<string>,
    target: WriteTarget,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Use>> {
    const place = this.placeOf(target);
    const uses = new Map<string, Use>();
    for (const measurement of measurements)
      uses.set(measurement, { key: keyOf(place, measurement), measurement, place, entry: UNKNOWN });
    await Promise.all([...uses.values()].map(async (use) => (use.entry = await this.entryOf(use, signal))));
    return uses;
  }

  private placeOf(target: WriteTarget): Place {
    const { database, retentionPolicy, bucket } = this.reader.resolveTarget(target);
    if (bucket !== undefined) {
      // On 1.x a bucket reads as database/retention-policy; on 2.x InfluxQL reads a bucket through its mapping, by its name.
      const slash = bucket.indexOf('/');
      if (slash > 0 && database === undefined)
        return { database: bucket.slice(0, slash), retentionPolicy: bucket.slice(slash + 1) || retentionPolicy };
      return { database: bucket, retentionPolicy };
    }
    return { database, retentionPolicy };
  }

  /** A measurement's entry: kept, being read, or read now (bounded by the timeout); one read at a time for each. */
  private async entryOf(use: Use, signal: AbortSignal | undefined, fresh = false): Promise<Entry> {
    const kept = fresh ? undefined : this.entries.get(use.key);
    if (kept !== undefined) {
      if (kept.types !== undefined || performance.now() - kept.at < this.retryAfter) return kept;
      // Asked again in the background: a server that could not tell holds no write up twice.
      void this.lookup(use).catch(() => undefined);
      return kept;
    }
    return this.lookup(use, signal);
  }

  private lookup(use: Use, signal?: AbortSignal): Promise<Entry> {
    let pending = this.lookups.get(use.key);
    if (pending === undefined) {
      pending = this.read(use).finally(() => this.lookups.delete(use.key));
      this.lookups.set(use.key, pending);
    }
    return bounded(pending, this.timeout, signal).catch((error: unknown) => {
      if (signal?.aborted === true) throw error;
      return this.failed(use, error);
    });
  }

  /** Reads a measurement's types from the server and keeps them; what the server could not tell is kept as unknown. */
  private async read(use: Use): Promise<Entry> {
    const { measurement, place } = use;
    const from =
      place.retentionPolicy === undefined
        ? influxqlIdentifier(measurement)
        : `${influxqlIdentifier(place.retentionPolicy)}.${influxqlIdentifier(measurement)}`;
    let answer: RawQueryResponse;
    await this.turn();
    try {
      answer = await this.reader.queryRaw(`SHOW FIELD KEYS FROM ${from}`, {
        database: place.database,
        maxAnswerBytes: FIELD_TYPES_DEFAULTS.maxAnswerBytes,
      });
    } catch (error) {
      return this.failed(use, error);
    } finally {
      // The turn passes to the next lookup waiting, or is given back.
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
    const types = typesOfAnswer(answer);
    if (types === undefined)
      return this.failed(use, new InfluxDBException('the answer to SHOW FIELD KEYS is not a list of fields and types'));
    return this.keep(use.key, {
      types,
      coerces: [...types.values()].some((type) => type === 'integer' || type === 'unsigned'),
      at: performance.now(),
    });
  }

  /** Resolves when a lookup may start: fewer than concurrentLookups are under way. */
  private async turn(): Promise<void> {
    if (this.running < FIELD_TYPES_DEFAULTS.concurrentLookups) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** What the server could not tell: written as without types, with one warning for each kind of failure. */
  private failed(use: Use, error: unknown): Entry {
    const exception = InfluxDBException.from(error);
    // The server away, or the database not there (yet: InfluxDB 3 makes it with the first write): the write
    // tells what it must, and the types are asked for again with the next.
    if (
      exception instanceof ConnectionFailedException ||
      exception instanceof DatabaseNotFoundException ||
      exception instanceof RetentionPolicyNotFoundException
    )
      return UNKNOWN;
    const forbidden =
      exception instanceof ForbiddenException ||
      exception instanceof UnauthorizedException ||
      /not authorized|unauthorized|permission/i.test(exception.message);
    const kind = forbidden ? 'forbidden' : exception instanceof TimeoutException ? 'timeout' : exception.code;
    if (!this.warned.has(kind)) {
      this.warned.add(kind);
      const why = exception.serverMessage ?? exception.message;
      this.options.warn?.(
        forbidden
          ? `the credentials may not read the field types of measurement ${quote(use.measurement)} (SHOW FIELD KEYS: ${why}): ` +
              'numbers are written as floats, as without "match the server\'s field types"; let them read the database to match its types'
          : `could not read the field types of measurement ${quote(use.measurement)} from the server (${why}): ` +
              'its numbers are written as floats, as without "match the server\'s field types", until the server tells',
      );
    }
    return this.keep(use.key, { types: undefined, coerces: false, at: performance.now() });
  }

  private keep(key: string, entry: Entry): Entry {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxMeasurements) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return entry;
  }

  /**
   * After a write the server refused: when it was a field type conflict over a field whose type kept
   * here is not the one the server names (or is not kept), the measurements concerned are read again.
   * Whether any was.
   */
  private async refreshAfter(
    error: InfluxDBException,
    uses: Map<string, Use>,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const conflicts = conflictsOf(error);
    if (conflicts.length === 0) return false;
    const stale = new Set<Use>();
    for (const conflict of conflicts) {
      // A measurement the conflict names that none of the lines has (written escaped, say) concerns them all.
      const named = conflict.measurement !== undefined && uses.has(conflict.measurement) ? conflict.measurement : undefined;
      for (const use of uses.values()) {
        if (named !== undefined && named !== use.measurement) continue;
        if (use.entry.types?.get(conflict.field) !== conflict.existing) stale.add(use);
      }
    }
    if (stale.size === 0) return false;
    await Promise.all(
      [...stale].map(async (use) => {
        this.entries.delete(use.key);
        use.entry = await this.entryOf(use, signal, true);
      }),
    );
    return true;
  }
}

const UNKNOWN: Entry = Object.freeze({ types: undefined, coerces: false, at: 0 });

function keyOf(place: Place, measurement: string): string {
  return JSON.stringify([place.database ?? null, place.retentionPolicy ?? null, measurement]);
}

/** The types of a SHOW FIELD KEYS answer, or undefined when it is not one. A field of two types (1.x across shards) is left out. */
export function typesOfAnswer(answer: unknown): Map<string, FieldType> | undefined {
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== 1) return undefined;
  const result = results[0] as { series?: unknown; error?: unknown } | null;
  if (typeof result !== 'object' || result === null || result.error !== undefined) return undefined;
  const types = new Map<string, FieldType>();
  const twice = new Set<string>();
  if (result.series === undefined) return types;
  if (!Array.isArray(result.series)) return undefined;
  for (const series of result.series as unknown[]) {
    const { columns, values = [] } = (series ?? {}) as { columns?: unknown; values?: unknown };
    if (!Array.isArray(columns) || !Array.isArray(values)) return undefined;
    const keyAt = columns.indexOf('fieldKey');
    const typeAt = columns.indexOf('fieldType');
    if (keyAt < 0 || typeAt < 0) return undefined;
    for (const row of values as unknown[]) {
      if (!Array.isArray(row)) return undefined;
      const key: unknown = row[keyAt];
      const type: unknown = row[typeAt];
      if (typeof key !== 'string' || typeof type !== 'string') return undefined;
      if (!(FIELD_TYPES as readonly string[]).includes(type)) continue;
      const known = types.get(key);
      if (known !== undefined && known !== type) twice.add(key);
      types.set(key, type as FieldType);
    }
  }
  for (const key of twice) types.delete(key);
  return types;
}

interface Conflict {
  field: string;
  measurement: string | undefined;
  existing: FieldType;
}

const CONFLICT_1X =
  /field type conflict: input field "((?:[^"\\]|\\.)*)" on measurement "((?:[^"\\]|\\.)*)" is type \w+, already exists as type (\w+)/g;
const CONFLICT_3X = /invalid column type for column '((?:[^'\\]|\\.)*)', expected iox::column_type::field::(\w+)/g;
const IOX_TYPES: Readonly<Record<string, FieldType>> = { uinteger: 'unsigned' };

/** The field type conflicts a refusal names: 1.x's and 2.x's "field type conflict", 3.x's "invalid column type". */
export function conflictsOf(error: InfluxDBException): Conflict[] {
  const texts = [error.message, error.serverMessage ?? '', ...(error.rejectedLines ?? []).map((line) => line.message)].join('\n');
  const conflicts: Conflict[] = [];
  for (const [, field = '', measurement = '', existing = ''] of texts.matchAll(CONFLICT_1X)) {
    if (isFieldType(existing)) conflicts.push({ field: unquote(field), measurement: unquote(measurement), existing });
  }
  for (const [, field = '', existing = ''] of texts.matchAll(CONFLICT_3X)) {
    const type = IOX_TYPES[existing] ?? existing;
    if (isFieldType(type)) conflicts.push({ field, measurement: undefined, existing: type });
  }
  return conflicts;
}

function isFieldType(type: string): type is FieldType {
  return (FIELD_TYPES as readonly string[]).includes(type);
}

function unquote(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** The measurements of lines, as the server reads their names. */
function measurementsOfLines(lines: readonly string[]): Set<string> {
  const measurements = new Set<string>();
  let last = '';
  for (const line of lines) {
    // Lines of one measurement mostly follow each other: the last one's name is compared in place.
    if (last !== '' && startsWithName(line, last)) continue;
    last = line.slice(0, measurementEnd(line));
    measurements.add(unescapeName(last));
  }
  return measurements;
}

const NEWLINE = 10;

/**
 * The measurements of a batch's body (UTF-8 lines, each ending in a line break), read from its bytes: each
 * line's name is compared in place with the last one's, and only a new one is made a string. A body with a
 * double quote may hold a line break inside a string field, where no line starts: it is read as text.
 */
export function measurementsOfBody(body: Uint8Array): Set<string> {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.includes(QUOTE)) return measurementsOfLines(linesOf(body));
  const measurements = new Set<string>();
  let lastStart = 0;
  let lastEnd = -1;
  for (let start = 0; start < bytes.length;) {
    const next = bytes.indexOf(NEWLINE, start);
    const end = next < 0 ? bytes.length : next;
    if (lastEnd < 0 || !sameNameBytes(bytes, start, end, lastStart, lastEnd)) {
      lastStart = start;
      lastEnd = measurementEndOfBytes(bytes, start, end);
      measurements.add(unescapeName(bytes.toString('utf8', lastStart, lastEnd)));
    }
    start = end + 1;
  }
  return measurements;
}

/** Where the measurement of the line from `start` to `end` ends: as measurementEnd, on bytes (delimiters are ASCII). */
function measurementEndOfBytes(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const code = bytes[i];
    if (code === COMMA || code === SPACE) return i;
    if (code === BACKSLASH) {
      const next = bytes[i + 1];
      if (next === COMMA || next === SPACE || next === EQUALS) i++;
    }
  }
  return end;
}

/** Whether the line from `start` to `end` begins with the name from `nameStart` to `nameEnd`, then a comma or a space. */
function sameNameBytes(bytes: Uint8Array, start: number, end: number, nameStart: number, nameEnd: number): boolean {
  const length = nameEnd - nameStart;
  if (end - start <= length) return false;
  const after = bytes[start + length];
  if (after !== COMMA && after !== SPACE) return false;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== bytes[nameStart + i]) return false;
  return true;
}

function anyCoerces(uses: Map<string, Use>): boolean {
  for (const use of uses.values()) if (use.entry.coerces) return true;
  return false;
}

/** The lines with each number of an integer or unsigned field made one; the lines given when nothing changes. */
function matchLines(original: LineProtocol, lines: readonly string[], uses: Map<string, Use>): LineProtocol {
  if (!anyCoerces(uses)) return original;
  let changed = false;
  let last = '';
  let lastUse: Use | undefined;
  const out = lines.map((line) => {
    if (last === '' || !startsWithName(line, last)) {
      last = line.slice(0, measurementEnd(line));
      lastUse = uses.get(unescapeName(last));
    }
    const types = lastUse?.entry.coerces === true ? lastUse.entry.types : undefined;
    if (types === undefined) return line;
    const matched = matchLine(line, types, lastUse?.measurement ?? '');
    if (matched !== line) changed = true;
    return matched;
  });
  return changed ? out : original;
}

function sameLines(a: LineProtocol, b: LineProtocol): boolean {
  if (a === b) return true;
  const left = linesOf(a);
  const right = linesOf(b);
  return left.length === right.length && left.every((line, i) => line === right[i]);
}

const BACKSLASH = 92;
const SPACE = 32;
const COMMA = 44;
const EQUALS = 61;
const QUOTE = 34;

/**
 * Where a line's measurement ends: its first comma or space that is not escaped (a backslash escapes only a
 * delimiter, as nameStep says; written out here, as this runs for every line of every batch).
 */
function measurementEnd(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === COMMA || code === SPACE) return i;
    if (code === BACKSLASH) {
      const next = line.charCodeAt(i + 1);
      if (next === COMMA || next === SPACE || next === EQUALS) i++;
    }
  }
  return line.length;
}

/** Whether the line's measurement is `name` as written (escaped): the same characters, then a comma or a space. */
function startsWithName(line: string, name: string): boolean {
  const length = name.length;
  if (line.length <= length) return false;
  const after = line.charCodeAt(length);
  if (after !== COMMA && after !== SPACE) return false;
  for (let i = 0; i < length; i++) if (line.charCodeAt(i) !== name.charCodeAt(i)) return false;
  return true;
}

/** A measurement name or field key as the server reads it: a backslash before a delimiter dropped. */
function unescapeName(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (nameStep(text, i) === 2) i++;
    out += text[i] ?? '';
  }
  return out;
}

/** One line with the numbers of its integer and unsigned fields (by the server's types) written as such. */
export function matchLine(line: string, types: ReadonlyMap<string, FieldType>, measurement: string): string {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) !== SPACE) i += nameStep(line, i);
  i++;
  let out: string | undefined;
  let copied = 0;
  while (i < line.length) {
    const keyStart = i;
    while (i < line.length && line.charCodeAt(i) !== EQUALS) i += nameStep(line, i);
    const key = unescapeName(line.slice(keyStart, i));
    i++;
    const valueStart = i;
    if (line.charCodeAt(i) === QUOTE) {
      for (i++; i < line.length && line.charCodeAt(i) !== QUOTE; i++) if (line.charCodeAt(i) === BACKSLASH) i++;
      i++;
    } else {
      while (i < line.length && line.charCodeAt(i) !== COMMA && line.charCodeAt(i) !== SPACE) i++;
      const type = types.get(key);
      if (type === 'integer' || type === 'unsigned') {
        const typed = typedNumber(line.slice(valueStart, i), type, key, measurement);
        if (typed !== undefined) {
          out = (out ?? '') + line.slice(copied, valueStart) + typed;
          copied = i;
        }
      }
    }
    if (line.charCodeAt(i) !== COMMA) break;
    i++;
  }
  return out === undefined ? line : out + line.slice(copied);
}

/** A float's text as the integer or unsigned value the server's type wants; undefined for a value that is no float. */
function typedNumber(text: string, type: 'integer' | 'unsigned', key: string, measurement: string): string | undefined {
  const last = text.charCodeAt(text.length - 1);
  // Already typed (i, u), a boolean, or empty: left to the server.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || last === 105 || last === 117) return undefined;
  const what = type === 'integer' ? 'an integer' : 'an unsigned integer';
  const refuse = (why: string): InvalidMeasurementException =>
    new InvalidMeasurementException(
      `field ${quote(key)} of measurement ${quote(measurement)} is ${what} in the database, and ${text} ${why}: ` +
        `send ${type === 'integer' ? 'whole numbers' : 'whole numbers of 0 or more'} for it (Math.round), or write this value to another field`,
    );
  let value: bigint;
  if (/^[-+]?\d+$/.test(text)) value = BigInt(text);
  else {
    const number = Number(text);
    if (!Number.isInteger(number)) throw refuse('is not a whole number');
    if (!Number.isSafeInteger(number)) throw refuse('is beyond 2^53, where a float is not exact (send a bigint)');
    value = BigInt(number);
  }
  if (type === 'unsigned') {
    if (value < 0n) throw refuse('is below 0');
    if (value > UINT64_MAX) throw refuse('is beyond the unsigned 64-bit range');
    return `${value}u`;
  }
  if (value > INT64_MAX || value < INT64_MIN) throw refuse('is beyond the 64-bit integer range');
  return `${value}i`;
}

/** The promise's outcome, unless `ms` pass or the signal aborts first. */
function bounded<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutException(`the server did not answer SHOW FIELD KEYS within ${ms} ms`)), ms);
  });
  const answered = Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
  return untilAborted(answered, signal, () =>
    signal?.reason instanceof Error ? signal.reason : new TimeoutException('abandoned'),
  );
}
