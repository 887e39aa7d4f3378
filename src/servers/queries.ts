/** Queries whose answers are read as they arrive: InfluxQL on `/query` (chunked), SQL on 3.x, Flux on 2.x. */
import { fluxParamsExtern, paramsJson } from '../core';
import type { StreamedResponse, Transport } from '../transport';
import { CHUNK_ROWS, tablesOfFlux, tablesOfInfluxQL, tablesOfJsonLines, tableOfSql, type Table } from './answers';
import type { TableQuery } from './api';
import { exceptionFromResponse } from './responses';

export function influxqlTables(transport: Transport, text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
  const form = new URLSearchParams({ q: text });
  if (query.params !== undefined) form.set('params', paramsJson(query.params));
  return tablesFrom(
    transport.stream({
      method: 'POST',
      path: '/query',
      query: { db: query.database, epoch: query.epoch, chunked: 'true', chunk_size: String(CHUNK_ROWS) },
      body: form.toString(),
      contentType: 'application/x-www-form-urlencoded',
      signal: query.signal,
      maxAnswerBytes: query.maxAnswerBytes,
      whole: query.whole,
    }),
    tablesOfInfluxQL,
  );
}

/** InfluxDB 3's `/api/v3/query_sql`, in JSON lines; bound parameters as `params`. */
export function sqlTables(transport: Transport, text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
  const body = `{"db":${JSON.stringify(query.database ?? '')},"q":${JSON.stringify(text)},"format":"jsonl"${query.params === undefined ? '' : `,"params":${paramsJson(query.params)}`}}`;
  return tablesFrom(
    transport.stream({
      method: 'POST',
      path: '/api/v3/query_sql',
      body,
      contentType: 'application/json',
      signal: query.signal,
      maxAnswerBytes: query.maxAnswerBytes,
      whole: query.whole,
    }),
    (lines) => tablesOfJsonLines(lines, tableOfSql(text), query.epoch),
  );
}

/**
 * InfluxDB 2.x's `/api/v2/query`: Flux, answered in annotated CSV; bound parameters as a `params` record
 * declared in `extern`, which InfluxDB 2.x and Cloud both evaluate before the query.
 */
export function fluxTables(transport: Transport, text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
  const dialect = '{"header":true,"delimiter":",","annotations":["datatype","group","default"],"dateTimeFormat":"RFC3339Nano"}';
  const body = `{"query":${JSON.stringify(text)},"type":"flux","dialect":${dialect}${query.params === undefined ? '' : `,"extern":${fluxParamsExtern(query.params)}`}}`;
  return tablesFrom(
    transport.stream({
      method: 'POST',
      path: '/api/v2/query',
      query: { org: query.org },
      body,
      contentType: 'application/json',
      signal: query.signal,
      maxAnswerBytes: query.maxAnswerBytes,
      whole: query.whole,
    }),
    (lines) => tablesOfFlux(lines, query.epoch, longestOf(transport, query)),
  );
}

/** The longest a line (a CSV record) of an answer may be: the query's cap, or the client's. */
function longestOf(transport: Transport, query: TableQuery): number {
  return query.maxAnswerBytes ?? transport.maxAnswerBytes;
}

async function* tablesFrom(
  answer: Promise<StreamedResponse>,
  decode: (lines: AsyncIterable<string>) => AsyncGenerator<Table, void, undefined>,
): AsyncGenerator<Table, void, undefined> {
  const response = await answer;
  if (response.answer !== undefined) throw exceptionFromResponse('query', response.answer);
  yield* decode(response.lines);
}
