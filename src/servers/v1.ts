/**
 * InfluxDB 1.x's HTTP API (also what InfluxDB 2.x and 3.x keep for compatibility): `/write`,
 * `/query` and `/ping`, their parameters, and what their answers mean.
 */
import { parseJson, QueryFailedException, type JsonValue, type Precision } from '../core';
import { MAX_ERROR_ANSWER_BYTES, type Transport, type TransportResponse } from '../transport';
import { exceptionFromResponse } from './responses';

/** Where a write goes, with the client's defaults filled in. */
export interface V1WriteTarget {
  database: string;
  retentionPolicy: string | undefined;
}

export interface V1QueryRequest {
  database: string;
  epoch: Precision | undefined;
  /** Bound parameters, already encoded as the `params` form field. */
  params: string | undefined;
}

export class V1Api {
  constructor(
    private readonly transport: Transport,
    private readonly precision: Precision,
  ) {}

  /** Writes line protocol in one request; throws the exception its answer means. */
  async write(body: string | Uint8Array, target: V1WriteTarget, signal: AbortSignal | undefined): Promise<void> {
    const response = await this.transport.request({
      method: 'POST',
      path: '/write',
      query: { db: target.database, rp: target.retentionPolicy, precision: this.precision },
      body,
      signal,
      maxAnswerBytes: MAX_ERROR_ANSWER_BYTES,
    });
    if (!isWritten(response)) throw exceptionFromResponse('write', response);
  }

  /** Runs InfluxQL (POST, so that statements that write work too) and returns the answer, big integers exact. */
  async query(text: string, request: V1QueryRequest): Promise<JsonValue> {
    const form = new URLSearchParams({ q: text });
    if (request.params !== undefined) form.set('params', request.params);
    const response = await this.transport.request({
      method: 'POST',
      path: '/query',
      query: { db: request.database, epoch: request.epoch },
      body: form.toString(),
      contentType: 'application/x-www-form-urlencoded',
      acceptGzip: true,
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

  /** Checks the server answers; the version it names in `X-Influxdb-Version`. */
  async ping(): Promise<string | undefined> {
    const response = await this.transport.request({ method: 'GET', path: '/ping', maxAnswerBytes: MAX_ERROR_ANSWER_BYTES });
    if (response.status !== 204 && response.status !== 200) throw exceptionFromResponse('ping', response);
    const version = response.headers['x-influxdb-version'];
    return Array.isArray(version) ? version[0] : version;
  }
}

/**
 * InfluxDB answers a write with 204 and no body. A 200 with a page (a captive portal, a login page,
 * a proxy's error page) has stored nothing: it must never count as written.
 */
function isWritten(response: TransportResponse): boolean {
  return response.status === 204 || (response.status === 200 && response.body.trim() === '');
}
