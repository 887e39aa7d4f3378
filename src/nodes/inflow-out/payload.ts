/**
 * msg -> line protocol for "inflow out": the payload forms of the node contract, the node's static
 * tags and integer fields, and checks a flow author needs (which message part is wrong, and why).
 */
import { isDictForm, type LineMaker, type Where } from '../../client';
import {
  BufferOverflowException,
  InvalidArgumentException,
  InvalidMeasurementException,
  isPrecision,
  lineProblem,
  type Tags,
  type Timestamp,
  type WriteTarget,
} from '../../core';
import { describeType, isPlainObject, setOwn } from '../../util';

export interface OutSettings {
  /** The node's measurement, when the message names none. */
  measurement: string;
  /** Makes the points: in the server's precision, with the node's tags and integer fields, timestamps checked. */
  maker: LineMaker;
  /** The node's own tags (a message's msg.tags go over them, each point's own over both); undefined for none. */
  tags: Tags | undefined;
  /** How a payload is read: fields (this package's forms), line protocol text, or node-red-contrib-influxdb's shapes. */
  format: 'fields' | 'lineProtocol' | 'influxdb';
  /** Most points the node may hold ("Hold at most"): a payload of more rows is refused before any is serialized. */
  maxPoints?: number | undefined;
}

/** The msg properties "inflow out" reads. */
export interface OutMessage {
  payload?: unknown;
  measurement?: unknown;
  template?: unknown;
  database?: unknown;
  retentionPolicy?: unknown;
  bucket?: unknown;
  org?: unknown;
  tags?: unknown;
  precision?: unknown;
}

export interface MessagePoints {
  /** One line, or the lines of an array payload. */
  lines: string | string[];
  /** Where they go; DEFAULT_TARGET (the same object every time) when the message routes nowhere else. */
  target: WriteTarget;
}

/** The target of a message that names no database, retention policy, bucket or org of its own. */
export const DEFAULT_TARGET: WriteTarget = Object.freeze({});

/** The lines of one message and where they go, or an InvalidMeasurementException that says what is wrong. */
export function pointsOfMessage(msg: OutMessage, nodeSettings: OutSettings): MessagePoints {
  const target = targetOf(msg);
  const settings = messageSettings(msg, nodeSettings);
  const { payload } = msg;
  if (Array.isArray(payload) && settings.maxPoints !== undefined && payload.length > settings.maxPoints) {
    throw new BufferOverflowException(
      `msg.payload has ${payload.length} rows, more than this node may hold waiting for InfluxDB (Hold at most: ${settings.maxPoints} points): ` +
        'none of them was written and nothing else was dropped; send fewer at a time, or raise the limit',
    );
  }
  if (payload instanceof Uint8Array || settings.format === 'lineProtocol') {
    // Counted before a line is cut out: text of a million lines is refused without being split first.
    const lines = lineCountOf(payload);
    if (settings.maxPoints !== undefined && lines > settings.maxPoints) {
      throw new BufferOverflowException(
        `msg.payload has ${lines} lines, more than this node may hold waiting for InfluxDB (Hold at most: ${settings.maxPoints} points): ` +
          'none of them was written and nothing else was dropped; send fewer at a time, or raise the limit',
      );
    }
    return { lines: linesOfText(payload, settings), target };
  }
  if (settings.format === 'influxdb') return { lines: linesOfInfluxdbShapes(payload, msg, settings), target };
  if (Array.isArray(payload)) {
    if (Array.isArray(payload[0]) && payload.every(Array.isArray)) {
      return { lines: linesOfInfluxdbShapes(payload, msg, settings), target };
    }
    refuseFieldsAndTags(payload, msg);
    return { lines: linesOfArray(payload, msg, settings), target };
  }
  if (typeof payload === 'string' && looksLikeLineProtocol(payload)) {
    throw new InvalidMeasurementException(
      'msg.payload is line protocol text, which this node writes as a string field "value" in the Fields payload format: ' +
        'set Payload to "line protocol", or send { value: "..." } to mean a string field',
    );
  }
  return { lines: lineOfPayload(payload, msg, settings, 'msg.payload'), target };
}

/** The node's settings with the message's own: msg.tags over the node's tags, msg.precision for its number times. */
function messageSettings(msg: OutMessage, settings: OutSettings): OutSettings {
  if (isAbsent(msg.tags) && isAbsent(msg.precision)) return settings;
  let tags = settings.tags;
  if (!isAbsent(msg.tags)) {
    if (!isPlainObject(msg.tags))
      throw new InvalidMeasurementException(`msg.tags must be an object of tags, not ${describeType(msg.tags)}`);
    tags = { ...settings.tags, ...(msg.tags as Tags) };
  }
  if (!isAbsent(msg.precision) && !isPrecision(msg.precision)) {
    throw new InvalidArgumentException(`msg.precision must be one of h, m, s, ms, u, ns, not ${JSON.stringify(msg.precision)}`);
  }
  const timestampUnit = isPrecision(msg.precision) ? msg.precision : undefined;
  return { ...settings, tags, maker: settings.maker.with({ defaultTags: tags, timestampUnit }) };
}

/** Whether text is line protocol (a measurement, fields and maybe a time), and not a word or sentence. */
function looksLikeLineProtocol(text: string): boolean {
  // A text without "=" has no field: the common string value ("on", "open") is told without splitting it.
  if (!text.includes('=')) return false;
  const first = text.split('\n').find((line) => line.trim() !== '') ?? '';
  return /^[^\s=,]+(?:,[^\s=,]+=[^\s,]+)*\s+[^\s=,]+=\S/.test(first) && lineProblem(first) === undefined;
}

/**
 * node-red-contrib-influxdb's `[fields, tags]` is two objects, the second of tags (text): here an array is
 * rows, and reading it as either would be a guess, so it is refused unless the node reads that package's shapes.
 */
function refuseFieldsAndTags(payload: unknown[], msg: OutMessage): void {
  if (payload.length !== 2 || msg.template !== undefined) return;
  const [fields, tags] = payload;
  if (!isPlainObject(fields) || !isPlainObject(tags) || isDictForm(fields)) return;
  const tagLike = Object.keys(tags).length > 0 && Object.values(tags).every((value) => typeof value === 'string');
  if (!tagLike) return;
  throw new InvalidMeasurementException(
    "msg.payload is two objects, the second all text: node-red-contrib-influxdb's [fields, tags], or two rows? " +
      'Set Payload to "as node-red-contrib-influxdb" to read it as [fields, tags], send { ...fields, tags: { ... } }, ' +
      'or give msg.template to mean rows',
  );
}

/** How many lines text holds (a blank line or a comment counted too), or texts in an array together. */
function lineCountOf(payload: unknown): number {
  if (Array.isArray(payload)) return payload.reduce((sum: number, text: unknown) => sum + lineCountOf(text), 0);
  let breaks = 0;
  let endsWithBreak: boolean;
  if (typeof payload === 'string') {
    for (let at = payload.indexOf('\n'); at !== -1; at = payload.indexOf('\n', at + 1)) breaks++;
    endsWithBreak = payload === '' || payload.endsWith('\n');
  } else if (payload instanceof Uint8Array) {
    // A view of the same bytes, for Buffer's fast search: nothing is copied.
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) breaks++;
    endsWithBreak = bytes.length === 0 || bytes[bytes.length - 1] === 0x0a;
  } else return 0;
  // A final line break ends the last line; it does not start one.
  return endsWithBreak ? breaks : breaks + 1;
}

/** Line protocol text: a string of lines, an array of strings, or a Buffer, each line checked before it is sent. */
function linesOfText(payload: unknown, settings: OutSettings): string[] {
  const texts = Array.isArray(payload) ? payload : [payload];
  const lines: string[] = [];
  texts.forEach((text, index) => {
    const where = Array.isArray(payload) ? `msg.payload[${index}]` : 'msg.payload';
    if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
      throw new InvalidMeasurementException(
        `${where} is a ${describeType(text)}: in the line protocol payload format, send text or a Buffer`,
      );
    }
    for (const line of settings.maker.text(text, (number) => `${where}, line ${number},`)) lines.push(line);
  });
  if (lines.length === 0) throw new InvalidMeasurementException('msg.payload holds no line of line protocol: nothing to write');
  return lines;
}

/**
 * node-red-contrib-influxdb's shapes, read as it reads them: `[fields, tags]`, an array of them, an object
 * of fields, or a value; a field `time` is the point's time, and text like "12i" an integer.
 */
function linesOfInfluxdbShapes(payload: unknown, msg: OutMessage, settings: OutSettings): string[] {
  const pairs: Array<[unknown, unknown, string]> = [];
  if (Array.isArray(payload) && payload.length > 0 && Array.isArray(payload[0])) {
    payload.forEach((pair, i) => {
      if (!Array.isArray(pair))
        throw new InvalidMeasurementException(`msg.payload[${i}] is a ${describeType(pair)}: each point is [fields, tags]`);
      pairs.push([pair[0], pair[1], `msg.payload[${i}]`]);
    });
  } else if (Array.isArray(payload)) pairs.push([payload[0], payload[1], 'msg.payload']);
  else if (isPlainObject(payload)) pairs.push([payload, undefined, 'msg.payload']);
  else return [lineOfPayload(payload, msg, settings, 'msg.payload')];
  const name = measurementOf(msg, settings);
  return pairs.map(([fields, tags, where]) => {
    if (!isPlainObject(fields))
      throw new InvalidMeasurementException(`${where}: the fields must be an object, not ${describeType(fields)}`);
    if (tags !== undefined && tags !== null && !isPlainObject(tags))
      throw new InvalidMeasurementException(`${where}: the tags must be an object, not ${describeType(tags)}`);
    const { time, ...rest } = fields;
    const own: Record<string, unknown> = {};
    // A key "__proto__" is a field like any other, never the object's prototype.
    for (const [key, value] of Object.entries(rest))
      setOwn(own, key, typeof value === 'string' && /^-?\d+i$/.test(value) ? BigInt(value.slice(0, -1)) : value);
    return settings.maker.point(where, name, tags, own, 'fields', time as Timestamp | undefined);
  });
}

const TARGET_KEYS = ['database', 'retentionPolicy', 'bucket', 'org'] as const;

function targetOf(msg: OutMessage): WriteTarget {
  // Four reads, not TARGET_KEYS.every(...): a closure a message is garbage a busy flow makes thousands of a second.
  if (isAbsent(msg.database) && isAbsent(msg.retentionPolicy) && isAbsent(msg.bucket) && isAbsent(msg.org)) return DEFAULT_TARGET;
  const target: { -readonly [K in (typeof TARGET_KEYS)[number]]?: string } = {};
  for (const key of TARGET_KEYS) {
    const value = optionalText(msg[key], `msg.${key}`);
    if (value !== undefined) target[key] = value;
  }
  return target;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function optionalText(value: unknown, what: string): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'string') return value;
  throw new InvalidArgumentException(`${what} must be a string, not ${describeType(value)}`);
}

function measurementOf(msg: OutMessage, settings: OutSettings): string {
  if (typeof msg.measurement === 'string' && msg.measurement !== '') return msg.measurement;
  if (!isAbsent(msg.measurement)) {
    throw new InvalidMeasurementException(`msg.measurement must be a string, not ${describeType(msg.measurement)}`);
  }
  if (settings.measurement !== '') return settings.measurement;
  throw new InvalidMeasurementException('no measurement name: set one in the node, or send msg.measurement');
}

const nameOf = (where: Where): string => (typeof where === 'string' ? where : where());

function lineOfPayload(payload: unknown, msg: OutMessage, settings: OutSettings, where: Where): string {
  switch (typeof payload) {
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'string':
      return settings.maker.point(where, measurementOf(msg, settings), undefined, { value: payload }, 'fields', undefined);
    default:
      if (!isPlainObject(payload)) {
        throw new InvalidMeasurementException(
          `${nameOf(where)} is ${payload === undefined || payload === null ? 'empty' : `a ${describeType(payload)}`}: ` +
            'send a number, boolean or string, an object of fields, or an array of rows',
        );
      }
      if (isDictForm(payload)) {
        const named = payload.measurement !== undefined || payload.name !== undefined;
        return settings.maker.dict(where, payload, named ? undefined : measurementOf(msg, settings));
      }
      return settings.maker.point(
        where,
        measurementOf(msg, settings),
        payload.tags,
        payload,
        'kwargs',
        payload.timestamp as Timestamp | undefined,
      );
  }
}

function linesOfArray(rows: unknown[], msg: OutMessage, settings: OutSettings): string[] {
  if (rows.length === 0) throw new InvalidMeasurementException('msg.payload is an empty array: nothing to write');
  const where = (i: number): string => `msg.payload[${i}]`;
  if (rows.every((row) => isPlainObject(row) && isDictForm(row)))
    return rows.map((row, i) => lineOfPayload(row, msg, settings, () => where(i)));
  const template = templateOf(msg, settings);
  return settings.maker.rows(where, template.name, template.tags, rows);
}

function templateOf(msg: OutMessage, settings: OutSettings): { name: string; tags: Tags | undefined } {
  if (msg.template === undefined || msg.template === null) return { name: measurementOf(msg, settings), tags: undefined };
  if (!isPlainObject(msg.template)) {
    throw new InvalidMeasurementException(
      `msg.template must be an object such as { name, tags }, not ${describeType(msg.template)}`,
    );
  }
  const { name, measurement, tags } = msg.template as { name?: unknown; measurement?: unknown; tags?: unknown };
  const templateName = name ?? measurement;
  if (tags !== undefined && !isPlainObject(tags)) {
    throw new InvalidMeasurementException(`msg.template.tags must be an object, not ${describeType(tags)}`);
  }
  if (templateName !== undefined && templateName !== null && typeof templateName !== 'string') {
    throw new InvalidMeasurementException(
      `msg.template.${name === undefined ? 'measurement' : 'name'} must be text, not ${describeType(templateName)}`,
    );
  }
  return {
    name: typeof templateName === 'string' && templateName !== '' ? templateName : measurementOf(msg, settings),
    tags: tags as Tags | undefined,
  };
}
