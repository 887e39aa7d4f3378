/**
 * Query answers read as they arrive, each into tables of at most CHUNK_ROWS rows (`{ name, tags?,
 * columns, values }`, 1.x's series shape): InfluxQL's chunked JSON (1.x, and the v1 `/query` of 2.x and
 * 3.x), InfluxDB 3's JSON lines (SQL), and Flux's annotated CSV (2.x). Errors reported inside an answer
 * are raised where they appear.
 */
import { answerTime, parseJson, QueryFailedException, WHOLE_NUMBER_TEXT, type JsonValue, type Precision } from '../core';
import { tooLarge } from '../transport';
import { exceptionFromQueryResult } from './responses';

/** Rows a table holds at most: enough to be cheap per row, small enough to keep memory flat. */
export const CHUNK_ROWS = 5000;
/** The text a table is read from at most (rows of long strings): a chunk is bounded in bytes too, not in rows alone. */
const CHUNK_UNITS = 4 * 1024 * 1024;

export type Cell = string | number | bigint | boolean | null;

export interface Table {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Cell[][];
}

/** 1.x's chunked answer: a JSON document per line, each with some rows of some statement's series. */
export async function* tablesOfInfluxQL(lines: AsyncIterable<string>): AsyncGenerator<Table, void, undefined> {
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const document = parseLine(line);
    if (typeof document.error === 'string') throw exceptionFromQueryResult(document.error, 0);
    for (const result of arrayOf(document.results)) {
      const statement = objectOf(result);
      if (typeof statement.error === 'string')
        throw exceptionFromQueryResult(statement.error, Number(statement.statement_id ?? 0));
      for (const raw of arrayOf(statement.series)) {
        const series = objectOf(raw);
        const table: Table = {
          name: typeof series.name === 'string' ? series.name : '',
          columns: arrayOf(series.columns).map(String),
          values: arrayOf(series.values).map((row) => arrayOf(row) as Cell[]),
        };
        if (series.tags !== undefined) table.tags = series.tags as Record<string, string>;
        yield table;
      }
    }
  }
}

/**
 * InfluxDB 3's JSON lines: a row object per line, nulls left out (so the columns are those of the rows
 * of each table, in the order they first appear). The SQL answer names no table: `name` is the one the
 * query reads `FROM`.
 */
export async function* tablesOfJsonLines(
  lines: AsyncIterable<string>,
  name: string,
  epoch: Precision | undefined,
): AsyncGenerator<Table, void, undefined> {
  let rows: Array<Record<string, JsonValue>> = [];
  let units = 0;
  const flush = (): Table => {
    units = 0;
    const seen = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
    const columns = [...seen];
    const values = rows.map((row) =>
      columns.map((column): Cell => {
        const value = row[column];
        if (value === undefined) return null;
        if (column === 'time' && typeof value === 'string') return answerTime(value, epoch);
        return typeof value === 'object' ? JSON.stringify(value) : value;
      }),
    );
    rows = [];
    return { name, columns, values };
  };
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const value = parseLine(line);
    if (typeof value.error === 'string' && Object.keys(value).length <= 2)
      throw new QueryFailedException(`query failed: ${value.error}`, { status: 200, serverMessage: value.error });
    rows.push(value);
    units += line.length;
    if (rows.length >= CHUNK_ROWS || units >= CHUNK_UNITS) yield flush();
  }
  if (rows.length > 0) yield flush();
}

/** The table a SQL query reads (`FROM "x"`, `FROM x`), for its answer's name; '' when it cannot be told. */
export function tableOfSql(query: string): string {
  const match = /\bFROM\s+(?:"((?:[^"]|"")+)"|([A-Za-z_][\w.]*))/i.exec(query);
  if (match === null) return '';
  return match[1] !== undefined ? match[1].replace(/""/g, '"') : (match[2] as string);
}

interface FluxTable {
  datatypes: string[];
  groups: boolean[];
  defaults: string[];
  header: string[] | undefined;
}

const FLUX_META = new Set(['', 'result', 'table', '_start', '_stop']);

/**
 * Flux's annotated CSV (`#datatype`, `#group`, `#default`, a header, rows; a new block for each schema).
 * Tables become series: `_measurement` is the name, the other group-key columns (but `_start`, `_stop`)
 * the tags, and the other columns the values, `_time` as `time`. An error table raises its message.
 */
export async function* tablesOfFlux(
  lines: AsyncIterable<string>,
  epoch: Precision | undefined,
  longest: number,
): AsyncGenerator<Table, void, undefined> {
  let block: FluxTable = { datatypes: [], groups: [], defaults: [], header: undefined };
  let current: { id: string; table: Table; columns: number[]; units: number } | undefined;
  for await (const { fields: record, units } of csvRecords(lines, longest)) {
    if (record.length === 1 && record[0] === '') {
      // An empty line ends a block: the next one has its own annotations.
      if (current !== undefined) yield current.table;
      current = undefined;
      block = { datatypes: [], groups: [], defaults: [], header: undefined };
      continue;
    }
    const first = record[0] ?? '';
    if (first === '#datatype') block.datatypes = record;
    else if (first === '#group') block.groups = record.map((value) => value === 'true');
    else if (first === '#default') block.defaults = record;
    else if (block.header === undefined) {
      block.header = record;
      if (record[1] === 'error' && record[2] === 'reference') block.datatypes = ['error'];
    } else if (block.datatypes[0] === 'error') {
      const message = record[1] ?? 'the query failed';
      throw new QueryFailedException(`query failed: ${message}`, { status: 200, serverMessage: message });
    } else {
      const header = block.header;
      const cell = (index: number): Cell =>
        fluxCell(record[index] || block.defaults[index] || '', block.datatypes[index] ?? 'string', epoch);
      const id = `${record[1] ?? ''}\u0000${record[2] ?? ''}`;
      if (
        current === undefined ||
        current.id !== id ||
        current.table.values.length >= CHUNK_ROWS ||
        current.units >= CHUNK_UNITS
      ) {
        if (current !== undefined) yield current.table;
        const tags: Array<[string, string]> = [];
        let name = '';
        const columns: number[] = [];
        header.forEach((column, index) => {
          if (FLUX_META.has(column) && (column === '' || column === 'result' || column === 'table' || block.groups[index]))
            return;
          if (block.groups[index]) {
            if (column === '_measurement') name = record[index] ?? '';
            else tags.push([column, record[index] ?? '']);
          } else columns.push(index);
        });
        const table: Table = {
          name,
          columns: columns.map((index) => (header[index] === '_time' ? 'time' : (header[index] as string))),
          values: [],
        };
        // fromEntries defines each tag as the table's own, a group column named __proto__ too.
        if (tags.length > 0) table.tags = Object.fromEntries(tags);
        current = { id, table, columns, units: 0 };
      }
      current.table.values.push(current.columns.map(cell));
      current.units += units;
    }
  }
  if (current !== undefined) yield current.table;
}

function fluxCell(text: string, datatype: string, epoch: Precision | undefined): Cell {
  if (text === '') return null;
  switch (datatype) {
    case 'long':
    case 'unsignedLong': {
      // A bigint of millions of digits would take seconds of the event loop to make.
      if (!WHOLE_NUMBER_TEXT.test(text))
        throw new QueryFailedException(
          `a cell of type ${datatype} in the Flux answer is not a whole number of at most 20 digits`,
          {
            status: 200,
          },
        );
      const value = BigInt(text);
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
    }
    case 'double':
      return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
    case 'boolean':
      return text === 'true';
    default:
      return datatype.startsWith('dateTime') ? answerTime(text, epoch) : text;
  }
}

/**
 * CSV records (RFC 4180: quoted fields may hold commas, quotes doubled, and line breaks), from lines, each
 * with the text it was read from; a record longer than `longest` (a quote never closed) is refused.
 */
async function* csvRecords(
  lines: AsyncIterable<string>,
  longest: number,
): AsyncGenerator<{ fields: string[]; units: number }, void, undefined> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let units = 0;
  for await (const line of lines) {
    units += line.length + 1;
    if (units > longest) throw tooLarge(longest, 'a record of the answer');
    for (let i = 0; i < line.length; i++) {
      const char = line[i];
      if (quoted) {
        if (char === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (char === '"') quoted = false;
        else field += char;
      } else if (char === '"') quoted = true;
      else if (char === ',') {
        fields.push(field);
        field = '';
      } else field += char;
    }
    if (quoted) {
      field += '\n';
      continue;
    }
    fields.push(field);
    yield { fields, units };
    fields = [];
    field = '';
    units = 0;
  }
}

function parseLine(line: string): Record<string, JsonValue> {
  try {
    return objectOf(parseJson(line));
  } catch {
    throw new QueryFailedException(`query answer is not JSON: ${JSON.stringify(line.slice(0, 100))}`, { status: 200 });
  }
}

function objectOf(value: unknown): Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, JsonValue>) : {};
}

function arrayOf(value: unknown): JsonValue[] {
  return Array.isArray(value) ? (value as JsonValue[]) : [];
}
