/**
 * Line protocol text from a user, checked line by line before it is sent: a line the server would refuse
 * (or, worse, some servers would skip in silence) fails alone, named by its number and why.
 */

import { InvalidMeasurementException } from './errors';
import { nameStep, splitLines } from './line-scan';

const FIELD_VALUE = /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|-?\d+i|\d+u|t|T|true|True|TRUE|f|F|false|False|FALSE)$/;

const LINE_BREAK = 'it holds a line break outside a string value';
const isLineBreak = (char: string): boolean => char === '\n' || char === '\r';

const AMBIGUOUS_BACKSLASH =
  'a backslash stands before an escaped delimiter (\\\\, \\\\= or \\\\ followed by a space), which InfluxDB reads two ways';

/**
 * Two backslashes before a delimiter in a name: InfluxDB's key parser reads the second as escaping the
 * delimiter, its line scanner the two as a pair and the delimiter as real; where they disagree, a string
 * value may end the line.
 */
function isAmbiguousBackslash(line: string, i: number): boolean {
  if (line.charCodeAt(i) !== 92 || line.charCodeAt(i + 1) !== 92) return false;
  const after = line[i + 2];
  return after === ',' || after === '=' || after === ' ';
}

/**
 * Why a line of line protocol is not valid, or undefined when it is. Comments and blank lines are not
 * checked here. A line break may stand only inside a string field value, where InfluxDB keeps it.
 */
export function lineProblem(line: string): string | undefined {
  if (line.startsWith(' ') || line.startsWith(',')) return 'it starts with a space or comma: no measurement name';
  let i = 0;
  const at = (index: number): string => line[index] ?? '';
  // Measurement name, then tags: up to the first unescaped space.
  let part = 'measurement';
  let key = '';
  let token = '';
  for (; i < line.length && at(i) !== ' '; i++) {
    const char = at(i);
    if (isLineBreak(char)) return LINE_BREAK;
    if (isAmbiguousBackslash(line, i)) return AMBIGUOUS_BACKSLASH;
    if (nameStep(line, i) === 2) {
      token += at(i + 1);
      i++;
      continue;
    }
    if (char === ',') {
      if (token === '') return part === 'measurement' ? 'no measurement name' : `tag ${JSON.stringify(key)} has no value`;
      if (part === 'tag key') return `tag ${JSON.stringify(token)} has no "=" and value`;
      part = 'tag key';
      token = '';
    } else if (char === '=' && part === 'tag key') {
      if (token === '') return 'a tag has no key';
      key = token;
      part = 'tag value';
      token = '';
    } else token += char;
  }
  if (token === '') return part === 'measurement' ? 'no measurement name' : `tag ${JSON.stringify(key)} has no value`;
  if (part === 'tag key') return `tag ${JSON.stringify(token)} has no "=" and value`;
  if (i >= line.length) return 'no fields: a line is "measurement[,tag=value] field=value [time]"';
  i++;
  // Fields: key=value pairs up to the first space outside a string.
  let fields = 0;
  for (;;) {
    let fieldKey = '';
    for (; i < line.length && at(i) !== '='; i++) {
      if (nameStep(line, i) === 2) {
        fieldKey += at(i + 1);
        i++;
        continue;
      }
      if (isLineBreak(at(i))) return LINE_BREAK;
      if (isAmbiguousBackslash(line, i)) return AMBIGUOUS_BACKSLASH;
      if (at(i) === ' ' || at(i) === ',') return `field ${JSON.stringify(fieldKey)} has no "=" and value`;
      fieldKey += at(i);
    }
    if (fieldKey === '') return 'a field has no key';
    if (i >= line.length) return `field ${JSON.stringify(fieldKey)} has no "=" and value`;
    i++;
    if (at(i) === '"') {
      i++;
      for (; i < line.length && at(i) !== '"'; i++) if (at(i) === '\\') i++;
      if (i >= line.length) return `field ${JSON.stringify(fieldKey)} has a string without its closing quote`;
      i++;
      if (i < line.length && at(i) !== ',' && at(i) !== ' ')
        return `field ${JSON.stringify(fieldKey)} has ${JSON.stringify(at(i))} after its string's closing quote, where a comma, a space or the end of the line goes`;
    } else {
      const start = i;
      while (i < line.length && at(i) !== ',' && at(i) !== ' ') i++;
      const value = line.slice(start, i);
      if (/[\r\n]/.test(value)) return LINE_BREAK;
      if (!FIELD_VALUE.test(value)) {
        return `field ${JSON.stringify(fieldKey)} has value ${JSON.stringify(value)}: not a number, an integer (12i), an unsigned (12u), a boolean or a "string"`;
      }
    }
    fields++;
    if (at(i) === ',') {
      i++;
      continue;
    }
    break;
  }
  if (fields === 0) return 'no fields';
  if (i >= line.length) return undefined;
  const time = line.slice(i + 1);
  if (/[\r\n]/.test(time)) return LINE_BREAK;
  if (!/^-?\d{1,19}$/.test(time)) return `the time ${JSON.stringify(time)} is not a whole number`;
  return undefined;
}

/**
 * The lines of line protocol text, each checked (blank lines and `#` comments skipped, as servers do), into
 * `lines`; a bad line throws, named by `label(number)` ("line 3"), with why and the line itself. `check`, when
 * given, says what else is wrong with a valid line, if anything.
 */
export function addCheckedLines(
  text: string,
  lines: string[],
  label: (number: number) => string,
  check?: (line: string) => string | undefined,
): void {
  const parts = splitLines(text);
  for (let i = 0; i < parts.length; i++) {
    const line = (parts[i] as string).replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const problem = lineProblem(line);
    if (problem !== undefined) {
      throw new InvalidMeasurementException(
        `${label(i + 1)} is not line protocol: ${problem} (${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line)})`,
      );
    }
    const other = check?.(line);
    if (other !== undefined) throw new InvalidMeasurementException(`${label(i + 1)} ${other}`);
    lines.push(line);
  }
}
