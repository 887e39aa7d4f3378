/**
 * Where the lines of a line protocol body end, as InfluxDB reads them (models/points.go, scanLine): a
 * backslash takes the character after it along, and in the field set a line break between the quotes of
 * a string value belongs to the value. Every place that cuts a body into points cuts it here, so no
 * fragment of a string can ever be read as a point of its own.
 */
import type { LineProtocol } from './line-protocol';

const BACKSLASH = 92;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const EQUALS = 61;
const NEWLINE = 10;

/**
 * How many characters the name character at `i` takes: InfluxDB reads a backslash as an escape only
 * before a delimiter (comma, space, equals sign); before anything else it is a backslash.
 */
export function nameStep(line: string, i: number): number {
  if (line.charCodeAt(i) !== BACKSLASH) return 1;
  const next = line.charCodeAt(i + 1);
  return next === COMMA || next === SPACE || next === EQUALS ? 2 : 1;
}

/** The index of the line break that ends the line starting at `from`, or `text.length` for the last line. */
export function lineEnd(text: string, from: number): number {
  return scan(text, from, false);
}

/** Index where a line's timestamp begins, or -1 when it has none (the server gives it its own time). */
export function timestampStart(line: string): number {
  const at = scan(line, 0, true);
  return at < line.length && line.charCodeAt(at) === SPACE ? at + 1 : -1;
}

/**
 * Scans a line from `from`: to the line break that ends it (or the text's end), or, `toTimestamp`, to the
 * space before its timestamp, whichever comes first. InfluxDB finds the end of a line with a backslash
 * taking any character along (scanLine), but the end of the measurement and tags as its key parser does,
 * where a backslash escapes only a delimiter (nameStep): each is followed where it matters.
 */
function scan(text: string, from: number, toTimestamp: boolean): number {
  const length = text.length;
  let inFields = false;
  let quoted = false;
  // A quote opens or closes a string only where a field value can stand: more "=" than "," seen in the field set.
  let equals = 0;
  let commas = 0;
  for (let i = from; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) {
      if (inFields || !toTimestamp || nameStep(text, i) === 2) i++;
      continue;
    }
    if (code === NEWLINE) {
      if (!quoted) return i;
      continue;
    }
    if (!inFields) {
      if (code === SPACE) inFields = true;
      continue;
    }
    if (quoted) {
      if (code === QUOTE) quoted = false;
    } else if (code === EQUALS) equals++;
    else if (code === COMMA) commas++;
    else if (code === QUOTE && equals > commas) quoted = true;
    else if (code === SPACE && toTimestamp) return i;
  }
  return length;
}

/**
 * The lines of line protocol text, cut where InfluxDB cuts them. A final line break ends the last line
 * (it does not start an empty one).
 */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  const length = text.length;
  let from = 0;
  while (from < length) {
    const end = lineEnd(text, from);
    lines.push(text.slice(from, end));
    from = end + 1;
  }
  return lines;
}

/** Whether text holds a line break that InfluxDB would read as the end of a line. */
export function hasLineBreak(text: string): boolean {
  return text.includes('\n') && lineEnd(text, 0) < text.length;
}

/** Line protocol bytes as text (UTF-8), without copying them first. */
export function textOfBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The lines of a request body: UTF-8 line protocol, each line ending in a line break. */
export function linesOfBody(body: Uint8Array): string[] {
  return splitLines(textOfBytes(body));
}

/** The lines of line protocol to send, whichever form it comes in (lines, or the bytes of a batch). */
export function linesOf(lines: LineProtocol): readonly string[] {
  return lines instanceof Uint8Array ? linesOfBody(lines) : lines;
}

/** Line protocol to send as a request body: the bytes as they are, or the lines joined. */
export function bodyOf(lines: LineProtocol): string | Uint8Array {
  return lines instanceof Uint8Array ? lines : lines.join('\n');
}

/** Where a line's measurement and tags end: its first space that is not escaped (as InfluxDB's key parser reads it). */
export function keyEnd(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) !== SPACE) i += nameStep(line, i);
  return i;
}

/** The string fields of a line: each key, unescaped, and its value as written (quotes and escapes kept). */
export function* stringFieldsOf(line: string): Generator<{ key: string; text: string }, void, undefined> {
  let i = keyEnd(line) + 1;
  while (i < line.length) {
    let key = '';
    while (i < line.length && line.charCodeAt(i) !== EQUALS) {
      if (nameStep(line, i) === 2) i++;
      key += line[i] ?? '';
      i++;
    }
    i++;
    if (line.charCodeAt(i) === QUOTE) {
      const start = i;
      for (i++; i < line.length && line.charCodeAt(i) !== QUOTE; i++) if (line.charCodeAt(i) === BACKSLASH) i++;
      i++;
      yield { key, text: line.slice(start, i) };
    } else while (i < line.length && line.charCodeAt(i) !== COMMA && line.charCodeAt(i) !== SPACE) i++;
    if (line.charCodeAt(i) !== COMMA) return;
    i++;
  }
}
