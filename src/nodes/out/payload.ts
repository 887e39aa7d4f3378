/**
 * msg -> line protocol for "inflow out": the payload forms of the node contract, the node's static
 * tags and integer fields, and checks a flow author needs (which message part is wrong, and why).
 */
import { isDictForm } from '../../client';
import {
  InvalidMeasurementException,
  likelyPrecision,
  millisecondsPer,
  serializeLine,
  unitName,
  type FieldSource,
  type Fields,
  type Precision,
  type Tags,
  type Timestamp,
  type WriteTarget,
} from '../../core';
import { describeType, isPlainObject, quote } from '../../util';

export interface OutSettings {
  /** The node's measurement, when the message names none. */
  measurement: string;
  /** Tags the node adds to every point (a message's own tags win); undefined for none. */
  tags: Tags | undefined;
  /** Fields whose numbers are written as integers. */
  integerFields: ReadonlySet<string>;
  precision: Precision;
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
export function pointsOfMessage(msg: OutMessage, settings: OutSettings): MessagePoints {
  const target = targetOf(msg);
  const { payload } = msg;
  if (Array.isArray(payload)) return { lines: linesOfArray(payload, msg, settings), target };
  return { lines: lineOfPayload(payload, msg, settings, 'msg.payload'), target };
}

const TARGET_KEYS = ['database', 'retentionPolicy', 'bucket', 'org'] as const;

function targetOf(msg: OutMessage): WriteTarget {
  if (TARGET_KEYS.every((key) => isAbsent(msg[key]))) return DEFAULT_TARGET;
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
  throw new InvalidMeasurementException(`${what} must be a string, not ${describeType(value)}`);
}

function measurementOf(msg: OutMessage, settings: OutSettings): string {
  if (typeof msg.measurement === 'string' && msg.measurement !== '') return msg.measurement;
  if (!isAbsent(msg.measurement)) {
    throw new InvalidMeasurementException(`msg.measurement must be a string, not ${describeType(msg.measurement)}`);
  }
  if (settings.measurement !== '') return settings.measurement;
  throw new InvalidMeasurementException('no measurement name: set one in the node, or send msg.measurement');
}

/** Which part of the message a point comes from, for errors: built only when there is one. */
type Where = string | (() => string);

const nameOf = (where: Where): string => (typeof where === 'string' ? where : where());

function lineOfPayload(payload: unknown, msg: OutMessage, settings: OutSettings, where: Where): string {
  switch (typeof payload) {
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'string':
      return line(where, measurementOf(msg, settings), undefined, { value: payload }, 'fields', undefined, settings);
    default:
      if (!isPlainObject(payload)) {
        throw new InvalidMeasurementException(
          `${nameOf(where)} is ${payload === undefined || payload === null ? 'empty' : `a ${describeType(payload)}`}: ` +
            'send a number, boolean or string, an object of fields, or an array of rows',
        );
      }
      if (isDictForm(payload)) {
        const name = payload.measurement ?? payload.name ?? measurementOf(msg, settings);
        return line(where, name, payload.tags, payload.fields, 'fields', payload.time ?? payload.timestamp, settings);
      }
      return line(where, measurementOf(msg, settings), payload.tags as Tags | undefined, payload, 'kwargs', payload.timestamp as Timestamp | undefined, settings);
  }
}

function linesOfArray(rows: unknown[], msg: OutMessage, settings: OutSettings): string[] {
  if (rows.length === 0) throw new InvalidMeasurementException('msg.payload is an empty array: nothing to write');
  const lines = new Array<string>(rows.length);
  let i = 0;
  const where = (): string => `msg.payload[${i}]`;
  if (rows.every((row) => isPlainObject(row) && isDictForm(row))) {
    for (; i < rows.length; i++) lines[i] = lineOfPayload(rows[i], msg, settings, where);
    return lines;
  }
  const template = templateOf(msg, settings);
  for (; i < rows.length; i++) {
    const row = rows[i];
    if (!isPlainObject(row)) {
      throw new InvalidMeasurementException(`${where()} is a ${describeType(row)}: each row must be an object of fields`);
    }
    const tags = template.tags === undefined ? (row.tags as Tags | undefined) : { ...template.tags, ...(row.tags as Tags | undefined) };
    lines[i] = line(where, template.name, tags, row, 'kwargs', row.timestamp as Timestamp | undefined, settings);
  }
  return lines;
}

function templateOf(msg: OutMessage, settings: OutSettings): { name: string; tags: Tags | undefined } {
  if (msg.template === undefined || msg.template === null) return { name: measurementOf(msg, settings), tags: undefined };
  if (!isPlainObject(msg.template)) {
    throw new InvalidMeasurementException(`msg.template must be an object such as { name, tags }, not ${describeType(msg.template)}`);
  }
  const { name, measurement, tags } = msg.template as { name?: unknown; measurement?: unknown; tags?: unknown };
  const templateName = name ?? measurement;
  if (tags !== undefined && !isPlainObject(tags)) {
    throw new InvalidMeasurementException(`msg.template.tags must be an object, not ${describeType(tags)}`);
  }
  return {
    name: typeof templateName === 'string' && templateName !== '' ? templateName : measurementOf(msg, settings),
    tags: tags as Tags | undefined,
  };
}

/** One serialized point, with the node's tags and integer fields applied and its time checked. */
function line(
  where: Where,
  name: unknown,
  tags: Tags | undefined,
  fields: unknown,
  source: FieldSource,
  timestamp: Timestamp | undefined,
  settings: OutSettings,
): string {
  try {
    if (tags !== undefined && tags !== null && !isPlainObject(tags)) {
      throw new InvalidMeasurementException(`tags must be an object, not ${describeType(tags)}`);
    }
    const allTags = settings.tags === undefined ? tags : { ...settings.tags, ...tags };
    const fieldObject = settings.integerFields.size > 0 && isPlainObject(fields) ? withIntegers(fields, settings.integerFields) : fields;
    if (typeof timestamp === 'number' || typeof timestamp === 'bigint') checkPrecision(timestamp, settings.precision);
    return serializeLine(name as string, allTags, fieldObject as Fields, source, timestamp, settings.precision);
  } catch (error) {
    if (error instanceof InvalidMeasurementException) throw new InvalidMeasurementException(`${nameOf(where)}: ${error.message}`);
    throw error;
  }
}

function withIntegers(fields: Record<string, unknown>, integerFields: ReadonlySet<string>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of integerFields) {
    const value = fields[key];
    if (typeof value !== 'number') continue;
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

function checkPrecision(timestamp: number | bigint, precision: Precision): void {
  const likely = likelyPrecision(timestamp, precision);
  if (likely === undefined) return;
  const year = new Date(Number(timestamp) * millisecondsPer(precision)).getUTCFullYear();
  throw new InvalidMeasurementException(
    `timestamp ${String(timestamp)} read as ${unitName(precision)} (precision "${precision}") is in the year ` +
      `${Number.isFinite(year) ? year : 'beyond 275760'}; it looks like ${unitName(likely)}: ` +
      `set the precision to "${likely}" or convert the timestamp`,
  );
}
