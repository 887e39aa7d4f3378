/**
 * A query's time range, bound as parameters instead of built into the query's text: `$start` and `$stop`
 * in InfluxQL and SQL, `params.start` and `params.stop` in Flux. Each bound is RFC3339 text in UTC, which
 * every server reads as a time where a time is compared (InfluxQL and SQL), and Flux's `time(v:)` turns
 * into one.
 */
import { types } from 'node:util';
import { InvalidArgumentException, likelyPrecision, parseRfc3339, unitName } from '../core';
import { describeType, isPlainObject } from '../util';

/** A Date, epoch milliseconds, RFC3339 text, `now`, or a duration from now such as `-1h`, `-7d` or `-1h30m`. */
export type TimeBound = Date | number | string;

export interface TimeRange {
  start: TimeBound;
  /** Now, when left out. */
  stop?: TimeBound | undefined;
}

const NS_PER_DURATION_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

const DURATION = /^([+-])((?:\d+(?:ns|us|µs|ms|s|m|h|d|w))+)$/;
const DURATION_PART = /(\d+)(ns|us|µs|ms|s|m|h|d|w)/g;
const UNSIGNED_DURATION = /^(?:\d+(?:ns|us|µs|ms|s|m|h|d|w))+$/;

/**
 * The range's bounds as RFC3339 text, with durations counted from `nowMs`. `where` names the range in
 * errors (such as `msg.range`).
 */
export function rangeBounds(range: unknown, where = 'range', nowMs = Date.now()): { start: string; stop: string } {
  if (!isPlainObject(range))
    throw new InvalidArgumentException(`${where} must be an object { start, stop }, not ${describeType(range)}`);
  const unknown = Object.keys(range).filter((key) => key !== 'start' && key !== 'stop');
  if (unknown.length > 0) {
    throw new InvalidArgumentException(
      `${where} has ${unknown.map((key) => JSON.stringify(key)).join(', ')}: it takes start and stop only`,
    );
  }
  const { start, stop } = range as { start?: unknown; stop?: unknown };
  if (start === undefined || start === null || start === '')
    throw new InvalidArgumentException(`${where}.start is missing: give a time, or a duration such as "-1h"`);
  const now = BigInt(nowMs) * 1_000_000n;
  const startNs = boundNs(start, `${where}.start`, now);
  const stopNs = stop === undefined || stop === null || stop === '' ? now : boundNs(stop, `${where}.stop`, now);
  if (startNs >= stopNs) {
    throw new InvalidArgumentException(
      `${where}.start (${rfc3339Of(startNs)}) is not before ${where}.stop (${rfc3339Of(stopNs)}): nothing is in such a range`,
    );
  }
  return { start: rfc3339Of(startNs), stop: rfc3339Of(stopNs) };
}

// The times InfluxDB stores: int64 nanoseconds, 1677-09-21 to 2262-04-11.
const MAX_NS = 9_223_372_036_854_775_806n;

function boundNs(value: unknown, where: string, now: bigint): bigint {
  const ns = anyBoundNs(value, where, now);
  if (ns > MAX_NS || ns < -MAX_NS)
    throw new InvalidArgumentException(`${where} is outside the times InfluxDB stores (1677-09-21 to 2262-04-11)`);
  return ns;
}

function anyBoundNs(value: unknown, where: string, now: bigint): bigint {
  // A Date of another realm (a vm context) is a Date too, as core/time.ts reads a point's time.
  if (value instanceof Date || types.isDate(value)) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentException(`${where} is an invalid Date`);
    return BigInt(ms) * 1_000_000n;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new InvalidArgumentException(`${where} must be whole milliseconds since 1970 as a number, not ${value}`);
    // 0 is the start of time as InfluxDB counts it; another number that is a time now only in another unit
    // was most likely meant in it (seconds, from a Function node's Date.now() / 1000).
    const unit = value === 0 ? undefined : likelyPrecision(value, 'ms', Number(now / 1_000_000n));
    if (unit !== undefined)
      throw new InvalidArgumentException(
        `${where} ${value} is milliseconds since 1970, which is ${new Date(value).toISOString()}: it looks like ${unitName(unit)}; give milliseconds, a Date or RFC3339 text`,
      );
    return BigInt(value) * 1_000_000n;
  }
  if (typeof value !== 'string')
    throw new InvalidArgumentException(
      `${where} must be a Date, milliseconds since 1970, RFC3339 text or a duration such as "-1h", not ${describeType(value)}`,
    );
  const text = value.trim();
  if (text === 'now' || text === 'now()') return now;
  const duration = DURATION.exec(text);
  if (duration !== null) {
    let ns = 0n;
    for (const [, count, unit] of (duration[2] as string).matchAll(DURATION_PART))
      ns += BigInt(count as string) * (NS_PER_DURATION_UNIT[unit as string] as bigint);
    return duration[1] === '-' ? now - ns : now + ns;
  }
  if (UNSIGNED_DURATION.test(text))
    throw new InvalidArgumentException(
      `${where} ${JSON.stringify(text)} is a duration without a sign: write "-${text}" for that long ago, "+${text}" for that long from now`,
    );
  try {
    return parseRfc3339(text);
  } catch {
    throw new InvalidArgumentException(
      `${where} ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)} is not a time: ` +
        'give RFC3339 text (2024-05-01T12:00:00Z), milliseconds since 1970, a Date, "now", or a duration such as "-1h" (ns, us, ms, s, m, h, d, w)',
    );
  }
}

/** RFC3339 in UTC, with as many fraction digits as the time has (none, 3, 6 or 9). */
export function rfc3339Of(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentException(`the time ${ns} ns since 1970 is out of range`);
  const seconds = date.toISOString().slice(0, 19);
  const fraction = ns - BigInt(Math.floor(Number(ms) / 1000)) * 1_000_000_000n;
  if (fraction === 0n) return `${seconds}Z`;
  const digits = fraction.toString().padStart(9, '0');
  const cut = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits;
  return `${seconds}.${cut}Z`;
}
