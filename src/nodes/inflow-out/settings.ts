/**
 * The settings of an "inflow out" node: its editor properties (names kept stable for existing flows)
 * in the writer's vocabulary, and the tuning read from Node-RED's settings.js.
 */
import type { NodeDef } from 'node-red';
import { invalidValuesOf, LineMaker, type InvalidValues, type LineMakerOptions } from '../../client';
import {
  ConfigurationException,
  InvalidMeasurementException,
  SPOOL_DEFAULTS,
  WRITE_API_DEFAULTS,
  WRITER_DEFAULTS,
  type Precision,
} from '../../core';
import type { RetryOptions } from '../../delivery';
import { isPlainObject } from '../../util';
import { tagsOfJson, tagsOver } from '../shared';
import type { OutSettings } from './payload';

/** The node's properties as the editor saves them. */
export interface OutDef extends NodeDef {
  server: string;
  measurement: string;
  /** Messages per commit: the writer's batchSize. */
  autocommitEvery: string | number;
  flushInterval: string | number;
  tags: string;
  integerFields: string;
  errorOutput: boolean;
  /** Points held in memory at most: the writer's maxBufferLines. */
  bufferLimit: string | number;
  spool: boolean;
  /** Megabytes on disk at most. */
  spoolLimit: string | number;
  /** 'fields' (also when missing), 'lineProtocol', or 'influxdb' (node-red-contrib-influxdb's shapes). */
  payloadFormat?: string;
  /** Milliseconds at most added at random to each commit. */
  jitter?: string | number;
  /** Retries of a commit at most; empty for no limit but the retry time. */
  maxRetries?: string | number;
  /** Read the server's field types and write whole numbers for its integer fields as integers (on when missing). */
  matchFieldTypes?: boolean;
  /** 'refuse' (also when missing) or 'omit': what to do with NaN, Infinity, objects and arrays as field values. */
  invalidValues?: string;
  g?: string;
}

export interface OutOptions {
  payload: OutSettings;
  batchSize: number;
  flushInterval: number;
  maxBufferLines: number;
  spool: boolean;
  spoolMaxBytes: number;
  jitterInterval: number;
  maxRetries: number | undefined;
  /** The output number failed messages leave on, or undefined: to Catch nodes. */
  errorOutput: number | undefined;
  /** Whether the server's field types are read and matched. */
  matchFieldTypes: boolean;
  /** What to do with NaN, Infinity, objects and arrays as field values. */
  invalidValues: InvalidValues;
  /** Fields left out so far because InfluxDB cannot store their values (invalidValues 'omit'). */
  leftOut: { fields: number };
}

/** What settings.js may tune, for the few who need it. */
export interface OutTuning {
  retry: RetryOptions | undefined;
  closeTimeout: number | undefined;
  /** A writer for a target of its own (msg.database) is released once unused this long. */
  idleRelease: number;
}

/** What the node uses when it sets nothing: the writer's own defaults, but where the node needs its own. */
export const DEFAULTS = {
  /** Messages per commit: the WriteApi's batch size. */
  batchSize: WRITE_API_DEFAULTS.batchSize,
  flushInterval: WRITE_API_DEFAULTS.flushInterval,
  maxBufferLines: WRITER_DEFAULTS.maxBufferLines,
  spoolLimitMb: SPOOL_DEFAULTS.maxBytes / (1024 * 1024),
  jitter: WRITE_API_DEFAULTS.jitterInterval,
  /** A writer for a target of its own (msg.database) is released once unused a minute. */
  idleRelease: 60_000,
  matchFieldTypes: true,
  invalidValues: 'refuse',
} as const;

/** The node's options, or a ConfigurationException that says which property is wrong and why. */
export function optionsOf(def: OutDef, precision: Precision, defaultTags?: Readonly<Record<string, string>>): OutOptions {
  const tags = tagsOver(tagsOfJson(def.tags, 'tags'), defaultTags);
  const invalidValues = invalidValuesOf(
    def.invalidValues === '' ? undefined : def.invalidValues,
    (reason) => new ConfigurationException(`invalid values ${reason}`),
  );
  const leftOut = { fields: 0 };
  const integerFields = new Set(
    (def.integerFields ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  return {
    payload: {
      measurement: (def.measurement ?? '').trim(),
      maker: makerOf({
        precision,
        defaultTags: tags,
        integerFields,
        checkTimestampUnits: true,
        invalidValues,
        onOmit: () => leftOut.fields++,
      }),
      tags,
      format: payloadFormat(def.payloadFormat),
      maxPoints: wholeNumber(def.bufferLimit, DEFAULTS.maxBufferLines, 1, 'buffer limit'),
    },
    batchSize: wholeNumber(def.autocommitEvery, DEFAULTS.batchSize, 1, 'autocommit every'),
    flushInterval: wholeNumber(def.flushInterval, DEFAULTS.flushInterval, 0, 'flush interval'),
    maxBufferLines: wholeNumber(def.bufferLimit, DEFAULTS.maxBufferLines, 1, 'buffer limit'),
    spool: def.spool !== false,
    spoolMaxBytes: wholeNumber(def.spoolLimit, DEFAULTS.spoolLimitMb, 1, 'spool limit') * 1024 * 1024,
    jitterInterval: wholeNumber(def.jitter, DEFAULTS.jitter, 0, 'jitter'),
    maxRetries:
      def.maxRetries === undefined || def.maxRetries === '' ? undefined : wholeNumber(def.maxRetries, 0, 0, 'max retries'),
    errorOutput: def.errorOutput ? 0 : undefined,
    matchFieldTypes: def.matchFieldTypes ?? DEFAULTS.matchFieldTypes,
    invalidValues,
    leftOut,
  };
}

const FORMATS = ['fields', 'lineProtocol', 'influxdb'] as const;

function payloadFormat(value: string | undefined): OutSettings['format'] {
  if (value === undefined || value === '') return 'fields';
  if ((FORMATS as readonly string[]).includes(value)) return value as OutSettings['format'];
  throw new ConfigurationException(`payload format ${JSON.stringify(value)} is not one of ${FORMATS.join(', ')}`);
}

/** The node's tuning in Node-RED's settings.js; a value that cannot work is a ConfigurationException naming it. */
export function tuningOf(settings: object): OutTuning {
  return {
    retry: retryOf(Reflect.get(settings, 'inflowOutRetry')),
    closeTimeout: millisecondsSetting(settings, 'inflowOutCloseTimeout'),
    idleRelease: millisecondsSetting(settings, 'inflowOutIdleRelease') ?? DEFAULTS.idleRelease,
  };
}

/** The Node-RED user directory, where the disk spool lives; undefined without one. */
export function userDirOf(settings: object): string | undefined {
  const userDir: unknown = Reflect.get(settings, 'userDir');
  return typeof userDir === 'string' && userDir !== '' ? userDir : undefined;
}

const RETRY_KEYS = ['firstDelay', 'base', 'maxDelay', 'jitter', 'maxRetryTime', 'maxRetries'] as const;

function retryOf(value: unknown): RetryOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    throw new ConfigurationException(`inflowOutRetry in settings.js must be an object such as { firstDelay: 5000 }`);
  const retry: RetryOptions = {};
  for (const key of Object.keys(value)) {
    const known = RETRY_KEYS.find((name) => name === key);
    if (known === undefined)
      throw new ConfigurationException(`inflowOutRetry.${key} in settings.js is not a setting: use ${RETRY_KEYS.join(', ')}`);
    const number = value[key];
    const least = known === 'base' ? 1 : 0;
    if (typeof number !== 'number' || !Number.isFinite(number) || number < least || (known === 'jitter' && number > 1))
      throw new ConfigurationException(
        `inflowOutRetry.${key} in settings.js must be a number ${known === 'jitter' ? 'from 0 to 1' : `of at least ${least}`}, not ${JSON.stringify(number)}`,
      );
    retry[known] = number;
  }
  return retry;
}

function millisecondsSetting(settings: object, name: string): number | undefined {
  const value: unknown = Reflect.get(settings, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ConfigurationException(
      `${name} in settings.js must be a whole number of milliseconds, not ${JSON.stringify(value)}`,
    );
  return value;
}

function wholeNumber(value: string | number | undefined, fallback: number, minimum: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < minimum) {
    throw new ConfigurationException(`${what} must be a whole number of at least ${minimum}, not ${JSON.stringify(value)}`);
  }
  return number;
}

/** The node's line maker; a ConfigurationException (naming the tag) for a node tag InfluxDB could not store as given. */
function makerOf(options: LineMakerOptions): LineMaker {
  try {
    return new LineMaker(options);
  } catch (error) {
    if (error instanceof InvalidMeasurementException) throw new ConfigurationException(`tags: ${error.message}`);
    throw error;
  }
}
