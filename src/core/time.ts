import { types } from 'node:util';
import { describeType } from '../util';
import { ConfigurationException, InvalidMeasurementException } from './errors';

/** Time units of the 1.x API: hours, minutes, seconds, milliseconds, microseconds, nanoseconds. */
export type Precision = 'h' | 'm' | 's' | 'ms' | 'u' | 'ns';

/**
 * A point's time: a number or bigint in the client's precision unit (or that whole number as a string
 * of digits), a Date, or an RFC3339 string.
 */
export type Timestamp = number | bigint | Date | string;

export const PRECISIONS: readonly Precision[] = ['h', 'm', 's', 'ms', 'u', 'ns'];

const NS_PER_UNIT: Record<Precision, bigint> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
  u: 1_000n,
  ns: 1n,
};

const MS_PER_UNIT: Record<Precision, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, u: 0.001, ns: 0.000_001 };

const UNIT_NAMES: Record<Precision, string> = {
  h: 'hours',
  m: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  u: 'microseconds',
  ns: 'nanoseconds',
};

// InfluxDB 1.x accepts times in [int64 min + 2, int64 max - 1] nanoseconds.
const MAX_NS = 9_223_372_036_854_775_806n;
const MIN_NS = -MAX_NS;
/** The Dates whose milliseconds hold in that range (a Date is whole milliseconds). */
const MAX_DATE_MS = Number(MAX_NS / 1_000_000n);
const MIN_DATE_MS = -MAX_DATE_MS;

// The largest whole number of each unit that stays in range, as a double, for the fast path.
const MAX_IN_UNIT: Record<Precision, number> = Object.fromEntries(
  PRECISIONS.map((p) => [p, Number(MAX_NS / NS_PER_UNIT[p])]),
) as Record<Precision, number>;

export function isPrecision(value: unknown): value is Precision {
  return typeof value === 'string' && (PRECISIONS as readonly string[]).includes(value);
}

export function assertPrecision(value: unknown, what = 'precision'): Precision {
  if (isPrecision(value)) return value;
  throw new ConfigurationException(`${what} ${JSON.stringify(value)} is not one of h, m, s, ms, u, ns`);
}

export function unitName(precision: Precision): string {
  return UNIT_NAMES[precision];
}

/** Milliseconds in one unit of the precision (a fraction below ms). */
export function millisecondsPer(precision: Precision): number {
  return MS_PER_UNIT[precision];
}

/**
 * The line protocol timestamp for a point's time, as a whole number of precision units.
 * Numbers and bigints are taken as already in the unit; Dates and RFC3339 strings are converted,
 * rounding down to the unit.
 */
export function formatTimestamp(timestamp: Timestamp, precision: Precision): string {
  switch (typeof timestamp) {
    case 'number':
      if (Number.isSafeInteger(timestamp) && Math.abs(timestamp) <= MAX_IN_UNIT[precision]) return integerText(timestamp);
      if (!Number.isInteger(timestamp)) {
        throw new InvalidMeasurementException(
          `timestamp ${timestamp} is not a whole number of ${UNIT_NAMES[precision]} (precision "${precision}"): ` +
            'round it, or pass a Date',
        );
      }
      if (Math.abs(timestamp) > MAX_IN_UNIT[precision]) return checkRange(BigInt(timestamp), precision, timestamp).toString();
      if (!Number.isSafeInteger(timestamp)) {
        throw new InvalidMeasurementException(
          `timestamp ${timestamp} is beyond 2^53, where a JavaScript number cannot hold every whole number (it may ` +
            `have been rounded already): send it as a bigint (${BigInt(timestamp)}n) or a string of digits`,
        );
      }
      return integerText(timestamp);
    case 'bigint':
      return checkRange(timestamp, precision, timestamp).toString();
    case 'string':
      if (WHOLE_NUMBER_TEXT.test(timestamp)) return checkRange(BigInt(timestamp), precision, timestamp).toString();
      return inRange(floorDiv(parseRfc3339(timestamp), NS_PER_UNIT[precision]), precision, timestamp);
    default:
      // instanceof first: a tenth of the native check's cost; isDate for Dates of another realm (a Function node's).
      if (timestamp instanceof Date || types.isDate(timestamp)) return formatDate(timestamp, precision);
      throw new InvalidMeasurementException(
        `timestamp of type ${describeType(timestamp)} is not a number, bigint, Date or RFC3339 string`,
      );
  }
}

/**
 * Decimal text of a safe integer. Millisecond and microsecond times are beyond the small-integer
 * range, where String() takes V8's slow double path; two halves below 1e9 convert twice as fast.
 */
export function integerText(value: number): string {
  if (value < 0) return `-${integerText(-value)}`;
  if (value < 1e9) return String(value);
  const high = Math.floor(value / 1e9);
  return String(high) + String(value - high * 1e9 + 1e9).slice(1);
}

const PLAUSIBLE_FROM_MS = Date.UTC(1990, 0, 1);
const LIKELY_FROM_MS = Date.UTC(2000, 0, 1);
const YEARS_AHEAD_MS = 20 * 365.25 * 86_400_000;

/**
 * For a number timestamp that lands outside 1990 to 20 years from now in its precision, the
 * precision in which it would land after 2000: the unit it was most likely meant in. Undefined
 * when the time is plausible, or when no other precision explains it.
 */
export function likelyPrecision(timestamp: number | bigint, precision: Precision, now = Date.now()): Precision | undefined {
  const value = Number(timestamp);
  const until = now + YEARS_AHEAD_MS;
  const inPrecision = value * MS_PER_UNIT[precision];
  if (inPrecision >= PLAUSIBLE_FROM_MS && inPrecision <= until) return undefined;
  for (const other of PRECISIONS) {
    const ms = value * MS_PER_UNIT[other];
    if (other !== precision && ms >= LIKELY_FROM_MS && ms <= until) return other;
  }
  return undefined;
}

function formatDate(date: Date, precision: Precision): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new InvalidMeasurementException('timestamp is an Invalid Date');
  if (ms > MAX_DATE_MS || ms < MIN_DATE_MS) {
    throw new InvalidMeasurementException(
      `timestamp ${date.toISOString()} is outside the range InfluxDB can store (years 1677 to 2262)`,
    );
  }
  if (precision === 'ms') return integerText(ms);
  if (precision === 'u' || precision === 'ns') return (BigInt(ms) * (1_000_000n / NS_PER_UNIT[precision])).toString();
  return String(Math.floor(ms / MS_PER_UNIT[precision]));
}

function checkRange(value: bigint, precision: Precision, original: unknown): bigint {
  const ns = value * NS_PER_UNIT[precision];
  if (ns > MAX_NS || ns < MIN_NS) {
    throw new InvalidMeasurementException(
      `timestamp ${String(original)} ${UNIT_NAMES[precision]} is outside the range InfluxDB can store ` + '(years 1677 to 2262)',
    );
  }
  return value;
}

function inRange(value: bigint, precision: Precision, original: unknown): string {
  return checkRange(value, precision, original).toString();
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * A whole number as text, such as a nanosecond time too large for a JavaScript number: at most 20 digits,
 * as InfluxDB's integers (int64, uint64) have; a longer one is out of any range InfluxDB stores.
 */
export const WHOLE_NUMBER_TEXT = /^-?\d{1,20}$/;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Exact nanoseconds since the epoch of an RFC3339 timestamp (fractions down to the nanosecond kept). */
export function parseRfc3339(text: string): bigint {
  const match = RFC3339.exec(text);
  if (match === null) {
    throw new InvalidMeasurementException(
      `timestamp ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)} is not an RFC3339 date ` +
        '(such as 2016-10-07T13:11:03.123456789Z) nor a whole number of the precision unit',
    );
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    throw new InvalidMeasurementException(`timestamp ${JSON.stringify(text)} is not a real date and time`);
  }
  let offsetMinutes = 0;
  if (match[9] !== undefined) {
    const sign = match[9] === '-' ? -1 : 1;
    offsetMinutes = sign * (Number(match[10]) * 60 + Number(match[11]));
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  const fraction = match[7] === undefined ? 0n : BigInt(match[7].padEnd(9, '0'));
  return (BigInt(utc.getTime()) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + fraction;
}

// Wall-clock nanoseconds from a monotonic clock anchored to Date.now(), re-anchored when the
// wall clock is stepped, so that "now" at u and ns precision has more than millisecond resolution.
let anchorWallNs = BigInt(Date.now()) * 1_000_000n;
let anchorMonotonic = process.hrtime.bigint();
const REANCHOR_DRIFT_MS = 1000;

function wallClockNs(): bigint {
  const wallMs = Date.now();
  let ns = anchorWallNs + (process.hrtime.bigint() - anchorMonotonic);
  if (Math.abs(Number(ns / 1_000_000n) - wallMs) > REANCHOR_DRIFT_MS) {
    anchorWallNs = BigInt(wallMs) * 1_000_000n;
    anchorMonotonic = process.hrtime.bigint();
    ns = anchorWallNs;
  }
  return ns;
}

// The last stamp handed out at u and ns precision: each new one is at least one unit later, so two
// points stamped by this process in quick succession never share a timestamp (and never overwrite).
const lastStamp: { u: bigint; ns: bigint } = { u: 0n, ns: 0n };

/** "Now" in the precision's unit, as line protocol text. */
export function nowTimestamp(precision: Precision): string {
  switch (precision) {
    case 'ms':
      return integerText(Date.now());
    case 'u':
    case 'ns': {
      let stamp = wallClockNs() / NS_PER_UNIT[precision];
      if (stamp <= lastStamp[precision]) stamp = lastStamp[precision] + 1n;
      lastStamp[precision] = stamp;
      return stamp.toString();
    }
    default:
      return String(Math.floor(Date.now() / MS_PER_UNIT[precision]));
  }
}

/**
 * A time an answer gave as RFC3339 text, as a query asked for it: whole `epoch` units (floored, as
 * InfluxDB does; a bigint for `ns`, exact), or the text itself, in UTC with its `Z` (InfluxDB 3's SQL
 * answers leave the zone out: their times are UTC).
 */
export function answerTime(text: string, epoch: Precision | undefined): string | number | bigint {
  const zoned = /[Zz]$|[+-]\d{2}:\d{2}$/.test(text) ? text : `${text}Z`;
  if (epoch === undefined) return zoned;
  const units = floorDiv(parseRfc3339(zoned), NS_PER_UNIT[epoch]);
  return epoch === 'ns' ? units : Number(units);
}

/**
 * A whole number of one unit in another, rounded down as Dates are: `time(1700000000123, 'ms')` written at
 * precision `s` is second 1700000000. A number must be a whole, safe one.
 */
export function convertTimestamp(value: number | bigint, from: Precision, to: Precision): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new InvalidMeasurementException(
      `timestamp ${value} is not a whole number of ${UNIT_NAMES[from]} a JavaScript number holds exactly: send a bigint`,
    );
  }
  const ns = BigInt(value) * NS_PER_UNIT[from];
  return checkRange(floorDiv(ns, NS_PER_UNIT[to]), to, value);
}
