import { InvalidArgumentException, QueryFailedException, type JsonValue, type Precision, type QueryLanguage } from '../core';
import { exceptionFromQueryResult } from '../servers';
import { quote } from '../util';

export type QueryValue = string | number | bigint | boolean | null;
export type QueryParam = string | number | bigint | boolean;

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
  params?: Readonly<Record<string, QueryParam>> | undefined;
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

/** The `params` form field: JSON, with bigints written as exact integers. */
export function encodeParams(params: Readonly<Record<string, QueryParam>>): string {
  const entries = Object.keys(params).map((key) => {
    const value: unknown = params[key];
    switch (typeof value) {
      case 'bigint':
        return `${JSON.stringify(key)}:${value.toString()}`;
      case 'number':
        if (!Number.isFinite(value)) throw new InvalidArgumentException(`query parameter ${quote(key)} is ${value}`);
        return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
      case 'string':
      case 'boolean':
        return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
      default:
        throw new InvalidArgumentException(
          `query parameter ${quote(key)} must be a string, number, bigint or boolean, not ${value === null ? 'null' : typeof value}`,
        );
    }
  });
  return `{${entries.join(',')}}`;
}

/** Checks the shape of a /query answer and raises the first error reported inside it. */
export function checkQueryResponse(body: JsonValue): RawQueryResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new QueryFailedException('query answer is not a JSON object');
  }
  const response = body as unknown as RawQueryResponse;
  if (typeof response.error === 'string') throw exceptionFromQueryResult(response.error, 0);
  if (!Array.isArray(response.results)) throw new QueryFailedException('query answer has no "results"');
  for (const result of response.results) {
    if (typeof result.error === 'string') throw exceptionFromQueryResult(result.error, result.statement_id);
  }
  return response;
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
      // Assigning to "__proto__" would set the row's prototype instead of adding the column.
      if (column === '__proto__')
        Object.defineProperty(record, column, { value: cell, enumerable: true, writable: true, configurable: true });
      else record[column] = cell;
    }
    return record;
  });
  const name = series.name ?? '';
  return series.tags === undefined ? { name, values } : { name, tags: series.tags, values };
}
