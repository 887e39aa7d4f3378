/** Where a line of line protocol keeps its timestamp, a change of unit for the lines that have one, and default tags. */
import { escapeRegExp } from '../util';
import { InvalidMeasurementException } from './errors';
import { escapeTagKey, escapeTagValue } from './line-protocol';
import { keyEnd, timestampStart } from './line-scan';
import { convertTimestamp, type Precision } from './time';

/** The lines with every timestamp converted from unit `from` to `to`: exactly to a finer one, rounded down to a coarser one. */
export function convertTimestamps(lines: readonly string[], from: Precision, to: Precision): string[] {
  return from === to ? [...lines] : withTimestamps(lines, (time) => convertTimestamp(time, from, to));
}

/** The lines with every timestamp multiplied by `factor` (a coarser unit made finer, exactly). */
export function scaleTimestamps(lines: readonly string[], factor: bigint): string[] {
  return withTimestamps(lines, (time) => time * factor);
}

/** The lines with each timestamp replaced by what `change` makes of it; a line without one as it is. */
function withTimestamps(lines: readonly string[], change: (time: bigint) => bigint): string[] {
  return lines.map((line) => {
    const start = timestampStart(line);
    return start < 0 ? line : `${line.slice(0, start)}${change(timestampOf(line, start)).toString()}`;
  });
}

/**
 * The timestamp of a line, from where it begins; a line whose timestamp is not a whole number is refused
 * alone (an InvalidMeasurementException, so that isolating a rejected point finds it), never a batch's error.
 */
export function timestampOf(line: string, start: number): bigint {
  const text = line.slice(start);
  if (!/^-?\d{1,19}$/.test(text)) {
    throw new InvalidMeasurementException(
      `the time of line ${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line)} is not a whole number`,
    );
  }
  return BigInt(text);
}

/**
 * What adds default tags to lines, where a line has no tag of that key (its own wins): each tag's
 * `,key=value` escaped as the serializer escapes tags, and what finds a line's own tag of that key, built
 * once. Throws an InvalidMeasurementException for a tag InfluxDB could not store as given.
 */
export function defaultTagsAdder(tags: Readonly<Record<string, string>>): (lines: readonly string[]) => string[] {
  const defaults = Object.entries(tags).map(([tag, value]) => {
    const key = escapeTagKey(tag);
    return {
      pair: `,${key}=${escapeTagValue(value, tag)}`,
      own: new RegExp(`(?<!\\\\),${escapeRegExp(key)}=`),
    };
  });
  return (lines) =>
    lines.map((line) => {
      const end = keyEnd(line);
      const key = line.slice(0, end);
      let added = '';
      for (const { pair, own } of defaults) if (!own.test(key)) added += pair;
      return added === '' ? line : `${key}${added}${line.slice(end)}`;
    });
}
