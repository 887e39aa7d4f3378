import { describeType, quote } from '../util';
import { InvalidMeasurementException } from './errors';
import { formatTimestamp, nowTimestamp, type Precision, type Timestamp } from './time';

/** Line protocol to send: lines, or UTF-8 bytes of lines separated by newlines. */
export type LineProtocol = readonly string[] | Uint8Array;

/** An unsigned 64-bit integer field (`u` in line protocol): InfluxDB 2.x and 3.x store it; 1.x does not. */
export class UnsignedInteger {
  readonly value: bigint;

  constructor(value: number | bigint | string, key = 'value') {
    const exact = typeof value === 'bigint' ? value : toBigInt(value, key);
    if (exact < 0n || exact > UINT64_MAX) {
      throw new InvalidMeasurementException(`field ${quote(key)} is ${exact}, outside the unsigned 64-bit integer range`);
    }
    this.value = exact;
  }

  toString(): string {
    return `${this.value}u`;
  }
}

function toBigInt(value: number | string, key: string): bigint {
  if (typeof value === 'number' ? Number.isSafeInteger(value) : /^\d+$/.test(value)) return BigInt(value);
  throw new InvalidMeasurementException(`field ${quote(key)} is ${JSON.stringify(value)}, not a whole number`);
}

export type FieldValue = number | bigint | boolean | string | UnsignedInteger;
export type TagValue = string | number | boolean | bigint;

/** Tags of a point. `null`, `undefined` and `''` values are left out; keys are written sorted. */
export type Tags = Readonly<Record<string, TagValue | null | undefined>>;
/** Fields of a point. `null` and `undefined` values are left out. */
export type Fields = Readonly<Record<string, FieldValue | null | undefined>>;

/** What the serializer needs of a point: the normalized form every write argument becomes. */
export interface PointData {
  readonly name: string;
  readonly tags?: Tags | undefined;
  readonly fields: Fields;
  readonly timestamp?: Timestamp | undefined;
}

export const UINT64_MAX = 18_446_744_073_709_551_615n;
export const INT64_MAX = 9_223_372_036_854_775_807n;
export const INT64_MIN = -9_223_372_036_854_775_808n;

// Per-context character tables, indexed by char code below 128. What 1.x does was measured on the
// server: it unescapes `\,` `\ ` `\=` `\"` in measurement names and field keys, keeps any other
// backslash literally, and reads a backslash before a delimiter as an escape. So some backslashes
// cannot be carried: those are rejected rather than stored as something else.
const ESCAPED = 1;
const LINE_BREAK = 2;

interface NameContext {
  part: Part;
  /** Characters the server skips as whitespace where this part begins, so they cannot start it. */
  notFirst: Uint8Array;
  /** Characters written with a backslash in front, and line breaks. */
  classes: Uint8Array;
  /** Characters that may not follow a backslash of the input (the server would take the pair as an escape). */
  notAfterBackslash: Uint8Array;
}

type Part = 'measurement name' | 'tag key' | 'tag value' | 'field key';

function asciiTable(chars: string, value = 1): Uint8Array {
  const table = new Uint8Array(128);
  for (const char of chars) table[char.charCodeAt(0)] = value;
  return table;
}

function nameContext(part: Part, escaped: string, notAfterBackslash: string, notFirst: string): NameContext {
  const classes = asciiTable(escaped, ESCAPED);
  classes[10] = LINE_BREAK;
  return { part, classes, notAfterBackslash: asciiTable(notAfterBackslash), notFirst: asciiTable(notFirst) };
}

const MEASUREMENT = nameContext('measurement name', ', ', ', ="', '\t\u0000');
// A backslash of the input before a delimiter would be written `\\,`: InfluxDB's key parser reads that pair as
// an escaped delimiter, but its line scanner (scanLine) as a backslash and a real delimiter, so the two parts
// of the server would disagree on where the field set begins, and a string value could then end a line.
const TAG_KEY = nameContext('tag key', ',= ', ',= ', '');
const TAG_VALUE = nameContext('tag value', ',= ', ',= ', '');
const FIELD_KEY = nameContext('field key', ',= ', ', ="', '\t\u0000');
const STRING_CLASSES = asciiTable('"\\', ESCAPED);

const CANNOT_CARRY = 'which InfluxDB 1.x line protocol cannot carry';

function invalid(part: Part, value: string, owner: string | undefined, why: string): InvalidMeasurementException {
  const subject = part === 'tag value' ? `value ${quote(value)} of tag ${quote(owner ?? '')}` : `${part} ${quote(value)}`;
  return new InvalidMeasurementException(`${subject} ${why}`);
}

/**
 * Escapes a measurement name, tag key, tag value or field key, or throws when the text cannot
 * round-trip through 1.x: empty, a line break, a lone UTF-16 surrogate, or a backslash the server
 * would read as an escape.
 */
function escapeName(value: string, context: NameContext, owner?: string): string {
  const length = value.length;
  if (length === 0) throw invalid(context.part, value, owner, 'is empty');
  const { classes, notAfterBackslash } = context;
  const first = value.charCodeAt(0);
  if (first < 128 && context.notFirst[first] === 1) {
    throw invalid(context.part, value, owner, `starts with ${quote(value[0] ?? '')}, which InfluxDB 1.x skips as white space`);
  }
  let needsEscape = false;
  let afterBackslash = false;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 128) {
      if (afterBackslash && notAfterBackslash[code] === 1) {
        throw invalid(context.part, value, owner, `has a backslash before ${quote(value[i] ?? '')}, ${CANNOT_CARRY}`);
      }
      const kind = classes[code];
      if (kind === ESCAPED) needsEscape = true;
      else if (kind === LINE_BREAK) throw invalid(context.part, value, owner, `contains a line break, ${CANNOT_CARRY}`);
      afterBackslash = code === 92;
    } else {
      afterBackslash = false;
      if (code >= 0xd800 && code <= 0xdfff) {
        if (!isSurrogatePairAt(value, i)) {
          throw invalid(context.part, value, owner, 'contains a lone UTF-16 surrogate, which is not valid text');
        }
        i++;
      }
    }
  }
  if (afterBackslash) throw invalid(context.part, value, owner, `ends in a backslash, ${CANNOT_CARRY}`);
  return needsEscape ? insertEscapes(value, classes) : value;
}

function isSurrogatePairAt(value: string, i: number): boolean {
  const code = value.charCodeAt(i);
  if (code > 0xdbff) return false;
  const next = value.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff;
}

function insertEscapes(value: string, table: Uint8Array): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 128 && table[code] === ESCAPED) {
      out += `${value.slice(start, i)}\\`;
      start = i;
    }
  }
  return out + value.slice(start);
}

// Names, keys and tag values repeat from point to point: each context remembers its escaped forms.
// Bounded, so a stream of unique values (ids as tags) cannot grow memory.
const CACHE_LIMIT = 10_000;

function cached(cache: Map<string, string>, value: string, escape: (value: string) => string): string {
  let escaped = cache.get(value);
  if (escaped === undefined) {
    escaped = escape(value);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(value, escaped);
  }
  return escaped;
}

const measurementCache = new Map<string, string>();
const tagKeyCache = new Map<string, string>();
const tagValueCache = new Map<string, string>();
const fieldKeyCache = new Map<string, string>();

function escapeMeasurementUncached(name: string): string {
  if (name.charCodeAt(0) === 35 /* # */) {
    throw invalid('measurement name', name, undefined, 'starts with "#", which InfluxDB 1.x reads as a comment line');
  }
  return escapeName(name, MEASUREMENT);
}

function escapeTagKeyUncached(key: string): string {
  if (key === 'time') throw invalid('tag key', key, undefined, "is reserved by InfluxDB for the point's time");
  return escapeName(key, TAG_KEY);
}

function escapeFieldKeyUncached(key: string): string {
  if (key === 'time') {
    throw invalid('field key', key, undefined, 'is reserved by InfluxDB for the point\'s time (give the time as "timestamp")');
  }
  return escapeName(key, FIELD_KEY);
}

// Consecutive points mostly share their measurement: check the last one before the cache.
let lastMeasurement = '';
let lastMeasurementEscaped = '';

export function escapeMeasurement(name: string): string {
  if (name === lastMeasurement) return lastMeasurementEscaped;
  const escaped = cached(measurementCache, name, escapeMeasurementUncached);
  lastMeasurement = name;
  lastMeasurementEscaped = escaped;
  return escaped;
}

export function escapeTagKey(key: string): string {
  return cached(tagKeyCache, key, escapeTagKeyUncached);
}

export function escapeTagValue(value: string, key: string): string {
  const escaped = tagValueCache.get(value);
  return escaped ?? cached(tagValueCache, value, (text) => escapeName(text, TAG_VALUE, key));
}

export function escapeFieldKey(key: string): string {
  return cached(fieldKeyCache, key, escapeFieldKeyUncached);
}

/** A string field value, quoted, with `"` and `\` escaped. */
export function quoteStringField(value: string, key: string): string {
  let needsEscape = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 128) {
      if (STRING_CLASSES[code] === ESCAPED) needsEscape = true;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      if (!isSurrogatePairAt(value, i)) {
        throw new InvalidMeasurementException(`field ${quote(key)} contains a lone UTF-16 surrogate, which is not valid text`);
      }
      i++;
    }
  }
  return `"${needsEscape ? insertEscapes(value, STRING_CLASSES) : value}"`;
}

/** A field value in line protocol: numbers are floats, bigints integers (`i`), booleans, quoted strings. */
export function formatFieldValue(value: FieldValue, key: string): string {
  switch (typeof value) {
    case 'number':
      // String(-0) is "0": the sign InfluxDB would keep must not be lost on the way.
      if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? '-0' : String(value);
      throw new InvalidMeasurementException(`field ${quote(key)} is ${value}, which InfluxDB cannot store`);
    case 'bigint': {
      const text = value.toString();
      // Only a bigint of 19 digits or more can leave the int64 range: compare just those.
      if (text.length >= 19 && (value > INT64_MAX || value < INT64_MIN)) {
        throw new InvalidMeasurementException(`field ${quote(key)} is ${text}, outside the 64-bit integer range`);
      }
      return `${text}i`;
    }
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return quoteStringField(value, key);
    default:
      if (value instanceof UnsignedInteger) return value.toString();
      throw new InvalidMeasurementException(
        `field ${quote(key)} is of type ${describeType(value)}: a field must be a number, bigint, boolean or string`,
      );
  }
}

function tagValueText(value: TagValue, key: string): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      if (Number.isFinite(value)) return String(value);
      throw new InvalidMeasurementException(`tag ${quote(key)} is ${value}: a tag value must be a finite number or text`);
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      throw new InvalidMeasurementException(
        `tag ${quote(key)} is of type ${describeType(value)}: a tag must be a string, number, boolean or bigint`,
      );
  }
}

/**
 * Which keys of the object holding the fields are not fields: none (a `fields` object), the
 * reserved keys of kwargs (`tags`, `timestamp`), or those of a Measurement's init (and `name`).
 */
export type FieldSource = 'fields' | 'kwargs' | 'init';

function isReserved(key: string, source: FieldSource): boolean {
  return source !== 'fields' && (key === 'tags' || key === 'timestamp' || (source === 'init' && key === 'name'));
}

// Keys of the tags written for the point being serialized, to find a field of the same name.
// Serialization is synchronous, so one array serves every call.
const writtenTagKeys: string[] = [];
let writtenTagCount = 0;
const FEW_TAGS = 8;

function isWrittenTag(key: string, tagCount: number): boolean {
  for (let i = 0; i < tagCount; i++) if (writtenTagKeys[i] === key) return true;
  return false;
}

function tagSet(tags: Tags): string {
  let out = '';
  let previous = '';
  for (const key in tags) {
    // Most tag sets come sorted; sort the others once, when the first key out of order shows.
    if (key < previous) return sortedTagSet(tags);
    previous = key;
    out += tagPair(key, tags[key]);
  }
  return out;
}

function sortedTagSet(tags: Tags): string {
  writtenTagCount = 0;
  let out = '';
  for (const key of Object.keys(tags).sort()) out += tagPair(key, tags[key]);
  return out;
}

/** `,key=value` for one tag, or '' for a tag left out (null, undefined, empty). */
function tagPair(key: string, value: TagValue | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : tagValueText(value, key);
  if (text === '') return '';
  writtenTagKeys[writtenTagCount++] = key;
  return `,${escapeTagKey(key)}=${escapeTagValue(text, key)}`;
}

/**
 * Whether a field value is one InfluxDB cannot store whatever its field: NaN, an infinity, an object or an
 * array (anything but a number, bigint, boolean, string or UnsignedInteger). What `invalidValues: 'omit'` leaves out.
 */
export function isUnstorable(value: unknown): boolean {
  switch (typeof value) {
    case 'number':
      return !Number.isFinite(value);
    case 'bigint':
    case 'boolean':
    case 'string':
      return false;
    default:
      return !(value instanceof UnsignedInteger);
  }
}

/** Told of each field left out because InfluxDB cannot store its value (`invalidValues: 'omit'`). */
export type OmitField = (key: string, value: unknown) => void;

// Fields the last fieldSet left out (invalidValues: 'omit'), for the error of a point left with none.
let omitted = 0;

// for-in without an own-property check: fields are plain data, whose prototypes have no enumerable keys.
function fieldSet(fields: Fields, source: FieldSource, omit: OmitField | undefined): string {
  let out = '';
  let separator = '';
  omitted = 0;
  const tagCount = writtenTagCount;
  // A few tags are looked through; many are put in a set once, so that the work stays linear in the point's size.
  const tagKeys = tagCount > FEW_TAGS ? new Set(writtenTagKeys.slice(0, tagCount)) : undefined;
  for (const key in fields) {
    const value = fields[key];
    if (value === null || value === undefined || (source !== 'fields' && isReserved(key, source))) continue;
    if (tagKeys === undefined ? isWrittenTag(key, tagCount) : tagKeys.has(key)) {
      throw new InvalidMeasurementException(
        `${quote(key)} is both a tag and a field, which InfluxDB 1.x stores as two columns a query cannot tell apart`,
      );
    }
    if (omit !== undefined && isUnstorable(value)) {
      omit(key, value);
      omitted++;
      continue;
    }
    out += `${separator}${escapeFieldKey(key)}=${formatFieldValue(value, key)}`;
    separator = ',';
  }
  return out;
}

/**
 * One line of line protocol. `fields` is the object holding the fields, and `source` says which of
 * its keys are not fields, so kwargs are serialized without being copied. A point without a time
 * is stamped with "now" here: call this when the point is written or added to a session. With `omit`,
 * a field whose value InfluxDB cannot store (NaN, an infinity, an object, an array) is left out and
 * `omit` told of it, instead of refusing the point; a point left with no field is refused all the same.
 */
export function serializeLine(
  name: string,
  tags: Tags | undefined,
  fields: Fields | Readonly<Record<string, unknown>>,
  source: FieldSource,
  timestamp: Timestamp | undefined,
  precision: Precision,
  omit?: OmitField,
): string {
  if (typeof name !== 'string') {
    throw new InvalidMeasurementException(`measurement name is of type ${describeType(name)}, not a string`);
  }
  const escapedName = escapeMeasurement(name);
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new InvalidMeasurementException(`fields of ${quote(name)} are of type ${describeType(fields)}, not an object`);
  }
  let tagText = '';
  writtenTagCount = 0;
  if (tags !== undefined && tags !== null) {
    if (typeof tags !== 'object' || Array.isArray(tags)) {
      throw new InvalidMeasurementException(`tags of ${quote(name)} are of type ${describeType(tags)}, not an object`);
    }
    tagText = tagSet(tags);
  }
  const fieldText = fieldSet(fields as Fields, source, omit);
  if (fieldText === '') {
    const unstorable =
      omitted === 0 ? '' : `, and ${omitted === 1 ? 'one' : omitted} that InfluxDB cannot store (NaN, Infinity, objects, arrays)`;
    throw new InvalidMeasurementException(
      `measurement ${quote(name)} has no field to write (null and undefined fields are left out${unstorable})`,
    );
  }
  // Each field's key (series key, a separator, the field key) must fit the server's limit; only a long line can break it.
  if ((escapedName.length + tagText.length + fieldText.length) * 3 + FIELD_KEY_SEPARATOR_BYTES > MAX_KEY_BYTES) {
    checkKeyLength(name, `${escapedName}${tagText}`, fields as Fields, source);
  }
  const time = timestamp === undefined || timestamp === null ? nowTimestamp(precision) : formatTimestamp(timestamp, precision);
  return `${escapedName}${tagText} ${fieldText} ${time}`;
}

// InfluxDB keys a field's values by its series key (measurement and tags, escaped), "#!~#", and the field key.
const MAX_KEY_BYTES = 65_535;
const FIELD_KEY_SEPARATOR_BYTES = 4;

function checkKeyLength(name: string, seriesKey: string, fields: Fields, source: FieldSource): void {
  const seriesBytes = Buffer.byteLength(seriesKey);
  for (const key in fields) {
    if (fields[key] === null || fields[key] === undefined || isReserved(key, source)) continue;
    const bytes = seriesBytes + FIELD_KEY_SEPARATOR_BYTES + Buffer.byteLength(escapeFieldKey(key));
    if (bytes > MAX_KEY_BYTES) {
      throw new InvalidMeasurementException(
        `measurement ${quote(name)} with field ${quote(key)} makes a key of ${bytes} bytes (measurement, tags and field ` +
          `key together), over InfluxDB's limit of ${MAX_KEY_BYTES}`,
      );
    }
  }
}

/** One line of line protocol for a point with a `fields` object. */
export function serializePoint(point: PointData, precision: Precision): string {
  return serializeLine(point.name, point.tags, point.fields, 'fields', point.timestamp, precision);
}
