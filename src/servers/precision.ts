/**
 * The client's precision as each API names it. 2.x and 3.x have no minutes or hours: such times are
 * sent in seconds, scaled exactly, so that an instant never changes meaning on the way (2.x's v1
 * `/write` would read `m` and `h` as nanoseconds, and 3.x refuses them).
 */
import { bodyOf, linesOf, scaleTimestamps, type LineProtocol, type Precision } from '../core';

export interface SentPrecision {
  /** The `precision` parameter as the API spells it. */
  name: string;
  /** What each timestamp is multiplied by to be in that unit. */
  factor: bigint;
}

const V2_NAMES: Record<Precision, SentPrecision> = {
  h: { name: 's', factor: 3600n },
  m: { name: 's', factor: 60n },
  s: { name: 's', factor: 1n },
  ms: { name: 'ms', factor: 1n },
  u: { name: 'us', factor: 1n },
  ns: { name: 'ns', factor: 1n },
};

const V3_NAMES: Record<Precision, SentPrecision> = {
  h: { name: 'second', factor: 3600n },
  m: { name: 'second', factor: 60n },
  s: { name: 'second', factor: 1n },
  ms: { name: 'millisecond', factor: 1n },
  u: { name: 'microsecond', factor: 1n },
  ns: { name: 'nanosecond', factor: 1n },
};

export function v2Precision(precision: Precision): SentPrecision {
  return V2_NAMES[precision];
}

export function v3Precision(precision: Precision): SentPrecision {
  return V3_NAMES[precision];
}

/** A request body of the lines, in the unit sent. */
export function bodyIn(lines: LineProtocol, sent: SentPrecision): string | Uint8Array {
  if (sent.factor === 1n) return bodyOf(lines);
  return scaleTimestamps(linesOf(lines), sent.factor).join('\n');
}
