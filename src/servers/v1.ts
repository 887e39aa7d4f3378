/**
 * InfluxDB 1.x's HTTP API (also what InfluxDB 2.x and 3.x keep for compatibility): `/write`,
 * `/query` and `/ping`, their parameters, and what their answers mean.
 */
import {
  bodyOf,
  LANGUAGES_OF,
  parseJson,
  QueryFailedException,
  type ApiName,
  type JsonValue,
  type LineProtocol,
  type Precision,
} from '../core';
import { MAX_ERROR_ANSWER_BYTES, type TokenScheme, type Transport, type TransportResponse } from '../transport';
import type { Table } from './answers';
import { databaseAndPolicy, type Destination, type QueryRequest, type ServerApi, type TableQuery } from './api';
import { influxqlTables } from './queries';
import { exceptionFromResponse } from './responses';

export class V1Api implements ServerApi {
  readonly name: ApiName = '1';
  readonly languages = LANGUAGES_OF['1'];

  constructor(
    protected readonly transport: Transport,
    protected readonly precision: Precision,
  ) {}

  async write(lines: LineProtocol, destination: Destination, signal: AbortSignal | undefined): Promise<void> {
    const { database, retentionPolicy } = databaseAndPolicy(destination, 'InfluxDB 1.x');
    await postWrite(
      this.transport,
      '/write',
      { db: database, rp: retentionPolicy, precision: this.precision },
      bodyOf(lines),
      signal,
    );
  }

  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
    return influxqlTables(this.transport, text, query);
  }

  /** Runs InfluxQL (POST, so that statements that write work too) and returns the answer, big integers exact. */
  query(text: string, request: QueryRequest): Promise<JsonValue> {
    return v1Query(this.transport, text, request);
  }
}

/** POSTs line protocol to a write endpoint; throws the exception its answer means. */
export async function postWrite(
  transport: Transport,
  path: string,
  query: Record<string, string | undefined>,
  body: string | Uint8Array,
  signal: AbortSignal | undefined,
  tokenScheme?: TokenScheme,
): Promise<void> {
  const response = await transport.request({
    method: 'POST',
    path,
    query,
    body,
    signal,
    tokenScheme,
    cut: MAX_ERROR_ANSWER_BYTES,
  });
  if (!isWritten(response)) throw exceptionFromResponse('write', response);
}

/** InfluxQL through `/query`, the 1.x endpoint every InfluxDB keeps. */
export async function v1Query(transport: Transport, text: string, request: QueryRequest): Promise<JsonValue> {
  const form = new URLSearchParams({ q: text });
  if (request.params !== undefined) form.set('params', request.params);
  const response = await transport.request({
    method: 'POST',
    path: '/query',
    query: { db: request.database, epoch: request.epoch },
    body: form.toString(),
    contentType: 'application/x-www-form-urlencoded',
    acceptGzip: true,
    maxAnswerBytes: request.maxAnswerBytes,
  });
  if (response.status !== 200) throw exceptionFromResponse('query', response);
  try {
    return parseJson(response.body);
  } catch {
    throw new QueryFailedException(`query answer is not JSON: ${JSON.stringify(response.body.slice(0, 100))}`, {
      status: response.status,
    });
  }
}

/**
 * InfluxDB answers a write with 204 and no body. A 200 with a page (a captive portal, a login page,
 * a proxy's error page) has stored nothing: it must never count as written.
 */
function isWritten(response: TransportResponse): boolean {
  return response.status === 204 || (response.status === 200 && response.body.trim() === '');
}
