/**
 * A line protocol reader for the test servers, written from InfluxDB's own parser (models/points.go in
 * 2.x, influxdb_line_protocol in 3.x): measurement, tags and fields with their escapes, the field types
 * (float, integer `i`, unsigned `u`, boolean, string), and an optional integer timestamp. It shares no
 * code with the package, so that the package's serializer is checked against something else.
 */
export type StoredValue = number | bigint | boolean | string;
export type FieldType = 'float' | 'integer' | 'unsigned' | 'boolean' | 'string';

export interface ParsedPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, { type: FieldType; value: StoredValue }>;
  /** In the request's unit, as written; undefined when the line has none. */
  time: bigint | undefined;
}

export class LineError extends Error {}

/**
 * Reads a name up to one of `stops` (unescaped). As InfluxDB's models/points.go: a backslash takes the
 * character after it along when scanning, and is dropped only before a character the name's escaping
 * covers (`escaped`: a comma and a space in a measurement, also `=` in a tag or field key or tag value).
 */
function readName(line: string, start: number, stops: string, escaped = ', ='): [string, number] {
  let out = '';
  let i = start;
  while (i < line.length && !stops.includes(line[i] as string)) {
    if (line[i] === '\\' && i + 1 < line.length) {
      const next = line[i + 1] as string;
      out += escaped.includes(next) ? next : `\\${next}`;
      i += 2;
    } else out += line[i++];
  }
  return [out, i];
}

function fieldValue(raw: string, key: string): { type: FieldType; value: StoredValue } {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) throw new LineError(`invalid field format: unterminated string for field "${key}"`);
    return { type: 'string', value: raw.slice(1, -1).replace(/\\(["\\])/g, '$1') };
  }
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return { type: 'boolean', value: true };
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return { type: 'boolean', value: false };
  if (/^-?\d+i$/.test(raw)) {
    const value = BigInt(raw.slice(0, -1));
    if (value > 9223372036854775807n || value < -9223372036854775808n)
      throw new LineError(`unable to parse integer ${raw}: value out of range`);
    return { type: 'integer', value };
  }
  if (/^\d+u$/.test(raw)) return { type: 'unsigned', value: BigInt(raw.slice(0, -1)) };
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return { type: 'float', value: Number(raw) };
  throw new LineError(`invalid number: field "${key}" has value ${JSON.stringify(raw)}`);
}

/** Splits the field set at commas outside string values. */
function splitFields(text: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

export function parseLine(line: string): ParsedPoint {
  const [measurement, afterName] = readName(line, 0, ', ', ', ');
  if (measurement === '') throw new LineError('missing measurement');
  const tags: Record<string, string> = {};
  let i = afterName;
  while (line[i] === ',') {
    const [key, afterKey] = readName(line, i + 1, '=, ');
    if (line[afterKey] !== '=') throw new LineError(`missing tag value for tag "${key}"`);
    const [value, afterValue] = readName(line, afterKey + 1, ', ');
    if (key === '' || value === '') throw new LineError('missing tag key or value');
    tags[key] = value;
    i = afterValue;
  }
  if (line[i] !== ' ') throw new LineError('missing fields');
  // Fields run to the first space outside a string that is not escaped.
  let end = i + 1;
  let quoted = false;
  for (; end < line.length; end++) {
    const char = line[end];
    if (char === '\\') end++;
    else if (char === '"') quoted = !quoted;
    else if (char === ' ' && !quoted) break;
  }
  const fieldText = line.slice(i + 1, end);
  if (fieldText === '') throw new LineError('missing fields');
  const fields: ParsedPoint['fields'] = {};
  for (const part of splitFields(fieldText)) {
    const [key, afterKey] = readName(part, 0, '=');
    if (key === '' || part[afterKey] !== '=') throw new LineError(`missing field value in "${part}"`);
    fields[key] = fieldValue(part.slice(afterKey + 1), key);
  }
  const rest = line.slice(end + 1).trim();
  if (rest !== '' && !/^-?\d+$/.test(rest)) throw new LineError(`invalid timestamp ${JSON.stringify(rest)}`);
  return { measurement, tags, fields, time: rest === '' ? undefined : BigInt(rest) };
}

/**
 * The lines of a body that carry points, as InfluxDB cuts a body (scanLine in 1.x and 2.x, split_lines in
 * 3.x): a backslash takes the next character along, and a line break between the quotes of a string field
 * value belongs to it. Blank lines and comments are skipped, and `number` counts only the lines kept, as 3.x
 * numbers them (`line_number`); `physical` is 3.x's `original_line`, taken from the body's lines as they are
 * split at every line break, so it falls out of step after a blank line, a comment or a line break in a string.
 */
export function pointLines(body: string): Array<{ number: number; text: string; physical: string }> {
  const physical = body.split('\n').map((line) => line.replace(/\r$/, ''));
  const lines: string[] = [];
  let start = 0;
  let inFields = false;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  for (let i = 0; i <= body.length; i++) {
    const char = body[i];
    if (char === '\\' && i + 1 < body.length) {
      i++;
      continue;
    }
    if (i === body.length || (char === '\n' && !quoted)) {
      lines.push(body.slice(start, i));
      start = i + 1;
      inFields = quoted = false;
      equals = commas = 0;
      continue;
    }
    if (char === ' ') inFields = true;
    if (!inFields) continue;
    if (!quoted && char === '=') equals++;
    else if (!quoted && char === ',') commas++;
    else if (char === '"' && equals > commas) quoted = !quoted;
  }
  return lines
    .map((text) => text.replace(/\r$/, ''))
    .filter((text) => text.trim() !== '' && !text.trimStart().startsWith('#'))
    .map((text, index) => ({ number: index + 1, text, physical: physical[index] ?? '' }));
}
