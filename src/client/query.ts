import {
  checkedParams,
  InvalidArgumentException,
  QueryFailedException,
  type JsonValue,
  type Precision,
  type QueryLanguage,
  type QueryParams,
} from '../core';
import { exceptionFromQueryResult } from '../servers';
import { setOwn } from '../util';
import { rangeBounds, type TimeRange } from './time-range';

export type QueryValue = string | number | bigint | boolean | null;
export type { QueryParam } from '../core';

/** One row of a series: `time` (a number or bigint with `epoch`, an RFC3339 string without) and the other columns. */
export type Row = Record<string, QueryValue>;

export interface Series {
  name: string;
  /** The series' tags, present for GROUP BY queries. */
  tags?: Record<string, string>;
  values: Row[];
}

export interface QueryOptions {
  /**
   * `influxql` (default; InfluxDB 1.x, 2.x through its DBRP mapping, 3.x), `sql` (InfluxDB 3) or `flux`
   * (InfluxDB 2.x). A language the server does not answer is a ConfigurationException.
   */
  language?: QueryLanguage | undefined;
  /** Times as whole numbers of this unit instead of RFC3339 strings. With `ns` they are bigints, exact. */
  epoch?: Precision | undefined;
  /**
   * Bound parameters: `$name` in InfluxQL and SQL, `params.name` in Flux; `{ name: value }` here. The safe
   * way to put input in a query.
   */
  params?: QueryParams | undefined;
  /**
   * A time range, bound as `$start` and `$stop` (InfluxQL, SQL) or `params.start` and `params.stop` (Flux,
   * where `time(v: params.start)` makes a time of it), each RFC3339 text in UTC: `WHERE time >= $start AND
   * time < $stop`. Durations such as `-1h` count from when the query is sent; `stop` is now when left out.
   */
  range?: TimeRange | undefined;
  /** A database for this query instead of the client's (InfluxQL, SQL). */
  database?: string | undefined;
  /** On InfluxDB 2.x, InfluxQL reads the database its bucket is mapped to: a bucket names it too. */
  bucket?: string | undefined;
  /** The organization of a Flux query, instead of the client's. */
  org?: string | undefined;
  /** Abandons the query (and its answer, while it streams) when aborted. */
  signal?: AbortSignal | undefined;
  /** Instead of the client's `maxAnswerBytes`, for this query. */
  maxAnswerBytes?: number | undefined;
}

/** The server's own answer to /query, parsed with exact big integers. */
export interface RawQueryResponse {
  results: RawStatementResult[];
  error?: string;
}

export interface RawStatementResult {
  statement_id: number;
  series?: RawSeries[];
  error?: string;
  messages?: Array<{ level: string; text: string }>;
}

export interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: QueryValue[][];
  partial?: boolean;
}

/** A query's bound parameters, checked, with its range as `start` and `stop`. */
export function paramsOf(options: QueryOptions): QueryParams | undefined {
  const { params, range } = options;
  if (range === undefined) return params === undefined ? undefined : checkedParams(params);
  const taken = ['start', 'stop'].filter((key) => params !== undefined && Object.hasOwn(params, key));
  if (taken.length > 0) {
    throw new InvalidArgumentException(
      `the range binds start and stop, and the parameters bind ${taken.join(' and ')} too: leave ${taken.length > 1 ? 'them' : 'it'} out of the parameters`,
    );
  }
  return checkedParams({ ...params, ...rangeBounds(range) });
}

/** Checks the shape of a /query answer, all of it, and raises the first error reported inside it. */
export function checkQueryResponse(body: JsonValue): RawQueryResponse {
  if (!isObject(body)) throw new QueryFailedException('query answer is not a JSON object');
  if (typeof body.error === 'string') throw exceptionFromQueryResult(body.error, 0);
  const results = body.results;
  if (!Array.isArray(results)) throw new QueryFailedException('query answer has no "results"');
  const checked: RawStatementResult[] = results.map((result, index) => statementOf(result, index));
  for (const result of checked) {
    if (typeof result.error === 'string') throw exceptionFromQueryResult(result.error, result.statement_id);
  }
  return { results: checked };
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statementOf(result: JsonValue, index: number): RawStatementResult {
  const where = `statement ${index}`;
  if (!isObject(result)) throw new QueryFailedException(`query answer: ${where} is not a JSON object`);
  const id = typeof result.statement_id === 'number' ? result.statement_id : index;
  const out: RawStatementResult = { statement_id: id };
  if (typeof result.error === 'string') out.error = result.error;
  if (Array.isArray(result.messages)) out.messages = result.messages.filter(isMessage);
  if (result.series !== undefined) {
    if (!Array.isArray(result.series)) throw new QueryFailedException(`query answer: the series of ${where} are not a list`);
    out.series = result.series.map((series, place) => seriesOf(series, `series ${place} of ${where}`));
  }
  return out;
}

function seriesOf(series: JsonValue, where: string): RawSeries {
  if (!isObject(series)) throw new QueryFailedException(`query answer: ${where} is not a JSON object`);
  const { name, tags, columns, values } = series;
  if (!Array.isArray(columns) || !columns.every((column): column is string => typeof column === 'string'))
    throw new QueryFailedException(`query answer: ${where} has no list of column names`);
  const out: RawSeries = { columns };
  if (name !== undefined) {
    if (typeof name !== 'string') throw new QueryFailedException(`query answer: the name of ${where} is not text`);
    out.name = name;
  }
  if (tags !== undefined) {
    if (!isObject(tags) || !isTextRecord(tags)) throw new QueryFailedException(`query answer: the tags of ${where} are not text`);
    out.tags = tags;
  }
  if (values !== undefined) {
    if (!Array.isArray(values) || !values.every(isRow))
      throw new QueryFailedException(`query answer: the rows of ${where} are not lists of values`);
    out.values = values;
  }
  if (series.partial === true) out.partial = true;
  return out;
}

function isMessage(value: JsonValue): value is { level: string; text: string } {
  return isObject(value) && typeof value.level === 'string' && typeof value.text === 'string';
}

function isTextRecord(value: { [key: string]: JsonValue }): value is Record<string, string> {
  return Object.values(value).every((entry) => typeof entry === 'string');
}

function isRow(row: JsonValue): row is QueryValue[] {
  return Array.isArray(row) && row.every(isQueryValue);
}

function isQueryValue(value: JsonValue): value is QueryValue {
  return value === null || typeof value !== 'object';
}

/** Reshapes every statement's series, in order, into `{ name, tags?, values: [{ time, ...columns }] }`. */
export function reshapeResults(response: RawQueryResponse, epoch: Precision | undefined): Series[] {
  const out: Series[] = [];
  for (const result of response.results) {
    for (const series of result.series ?? []) out.push(reshapeSeries(series, epoch === 'ns'));
  }
  return out;
}

/** A table of an answer as a series: `{ name, tags?, values: [{ time, ...columns }] }`. */
export function reshapeSeries(series: RawSeries, exactTime: boolean): Series {
  const { columns } = series;
  const values = (series.values ?? []).map((row) => {
    const record: Row = {};
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as string;
      const value = row[i] ?? null;
      const cell = exactTime && column === 'time' && typeof value === 'number' ? BigInt(value) : value;
      setOwn(record, column, cell);
    }
    return record;
  });
  const name = series.name ?? '';
  return series.tags === undefined ? { name, values } : { name, tags: series.tags, values };
}
