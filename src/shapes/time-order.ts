import type { QueryValue } from '../client';
import { parseRfc3339 } from '../core';

/**
 * A row's time as a number to order and space rows by: a number as it is (in the query's epoch unit), a
 * bigint as the nearest number, RFC3339 text as milliseconds since 1970; NaN when there is none.
 */
export function timeNumber(time: QueryValue | undefined): number {
  if (typeof time === 'number') return time;
  if (typeof time === 'bigint') return Number(time);
  if (typeof time === 'string') {
    try {
      return Number(parseRfc3339(time)) / 1e6;
    } catch {
      return Number.NaN;
    }
  }
  return Number.NaN;
}

/** A row's time as a sortable bigint, exact for bigints and RFC3339 text down to the nanosecond. */
export function timeKey(time: QueryValue | undefined): bigint | number {
  if (typeof time === 'bigint') return time;
  if (typeof time === 'string') {
    try {
      return parseRfc3339(time);
    } catch {
      return Number.NaN;
    }
  }
  return typeof time === 'number' ? time : Number.NaN;
}
