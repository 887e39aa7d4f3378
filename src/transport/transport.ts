import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { createGunzip, gzip as gzipCallback, gunzip as gunzipCallback, constants as zlib } from 'node:zlib';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import { ClientClosedException, ConnectionFailedException, InfluxDBException, TimeoutException } from '../core';

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

export interface TlsOptions {
  /** Certificate authorities to trust, PEM, for a server with a private CA. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** `false` accepts any certificate: for testing only. Default `true`. */
  rejectUnauthorized?: boolean;
}

export interface TransportOptions {
  origin: string;
  basePath: string;
  /** The `Authorization` header for a token sent under a scheme, or for user and password; undefined for none. */
  authorization: ((scheme: TokenScheme) => string) | undefined;
  /** The token and password: cut out of error answers, as some servers echo what they refused (vmauth does). */
  secrets?: readonly string[] | undefined;
  /** Milliseconds to wait for an answer's headers once the request is sent, and then for its whole body. */
  timeout: number;
  /** Request bodies of at least this many bytes are sent gzipped. */
  gzipThreshold: number;
  connections: number;
  tls?: TlsOptions | undefined;
  /** An HTTP(S) proxy to send every request through (a tunnel for each connection). */
  proxy?: string | undefined;
}

/** How a token is introduced: InfluxDB 2.x wants `Token`; 3.x takes either; vmauth wants `Bearer`. */
export type TokenScheme = 'Token' | 'Bearer';

export interface TransportRequest {
  method: 'GET' | 'POST';
  /** Default `Token`. */
  tokenScheme?: TokenScheme | undefined;
  path: string;
  query?: Record<string, string | undefined>;
  body?: string | Uint8Array;
  contentType?: string;
  acceptGzip?: boolean;
  /** The caller's way to abandon the request before its answer. */
  signal?: AbortSignal | undefined;
  /** Most bytes of a successful answer to read; past it the answer is cut. Default: no limit. */
  maxAnswerBytes?: number | undefined;
}

/** What is read of an error answer, at most: enough for any server's words, never a flood. */
export const MAX_ERROR_ANSWER_BYTES = 64 * 1024;

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Set when the answer was longer than what was read: the body holds its first this many bytes. */
  truncatedAt?: number;
}

/** A successful answer read as it arrives, a line at a time; or, for any other status, the answer whole (capped). */
export type StreamedResponse =
  | { status: number; headers: TransportResponse['headers']; lines: AsyncGenerator<string, void, undefined>; answer?: undefined }
  | { status: number; headers: TransportResponse['headers']; answer: TransportResponse; lines?: undefined };

/** HTTP to one server over a keep-alive connection pool. Network failures become typed exceptions. */
export class Transport {
  private readonly pool: Dispatcher;
  private closed = false;
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
    const tls = {
      ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca }),
      ...(options.tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.tls.rejectUnauthorized }),
    };
    const pool = {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: options.timeout,
      bodyTimeout: options.timeout,
    };
    this.pool =
      options.proxy === undefined
        ? new Pool(options.origin, { ...pool, connect: { timeout: options.timeout, ...tls } })
        : new ProxyAgent({ ...pool, uri: options.proxy, requestTls: { timeout: options.timeout, ...tls } });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async request(request: TransportRequest): Promise<TransportResponse> {
    if (this.closed) throw new ClientClosedException('the client is closed');
    const headers = this.headersOf(request, request.acceptGzip === true);
    let body: string | Uint8Array | undefined = request.body;
    if (body !== undefined && Buffer.byteLength(body) >= this.#options.gzipThreshold) {
      body = await gzip(body, { level: zlib.Z_BEST_SPEED });
      headers['content-encoding'] = 'gzip';
    }
    // Until the answer's headers, undici's headersTimeout counts, from when the request is sent on a
    // connection (not while it waits for one); from the headers on, the whole body gets `timeout`.
    const ending = new RequestEnding(request.signal);
    try {
      const response = await this.dispatch(request, headers, body, ending);
      ending.startTimer(this.#options.timeout);
      const successful = response.statusCode >= 200 && response.statusCode < 300;
      return await this.readAnswer(response, successful ? (request.maxAnswerBytes ?? Infinity) : MAX_ERROR_ANSWER_BYTES, ending);
    } finally {
      ending.release();
    }
  }

  /**
   * Sends a request whose answer may be larger than memory: a 2xx answer's lines are read as they
   * arrive (gunzipped when the server compressed them), each waited for at most the timeout;
   * leaving the loop early drops the connection, so the server stops sending. Other answers are read
   * whole, as `request` reads them.
   */
  async stream(request: TransportRequest): Promise<StreamedResponse> {
    if (this.closed) throw new ClientClosedException('the client is closed');
    const ending = new RequestEnding(request.signal);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatch(request, this.headersOf(request, true), request.body, ending);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const answer = await this.readAnswer(response, MAX_ERROR_ANSWER_BYTES, ending);
        ending.release();
        return { status: answer.status, headers: answer.headers, answer };
      }
    } catch (error) {
      ending.release();
      throw error;
    }
    const body = response.body as unknown as Readable;
    const source: Readable =
      response.headers['content-encoding'] === 'gzip' ? pipeline(body, createGunzip(), () => undefined) : body;
    return { status: response.statusCode, headers: response.headers, lines: this.linesOf(source, body, ending) };
  }

  private headersOf(request: TransportRequest, acceptGzip: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.#options.authorization !== undefined)
      headers.authorization = this.#options.authorization(request.tokenScheme ?? 'Token');
    if (acceptGzip) headers['accept-encoding'] = 'gzip';
    if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'text/plain; charset=utf-8';
    return headers;
  }

  private async dispatch(
    request: TransportRequest,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    ending: RequestEnding,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await this.pool.request({
        origin: this.#options.origin,
        method: request.method,
        path: this.#options.basePath + request.path + queryString(request.query),
        headers,
        body,
        signal: ending.signal,
      });
    } catch (error) {
      throw this.networkException(error, ending);
    }
  }

  /** An answer read whole, up to `limit` bytes; an error answer has the secrets some servers echo cut out. */
  private async readAnswer(response: Dispatcher.ResponseData, limit: number, ending: RequestEnding): Promise<TransportResponse> {
    const successful = response.statusCode >= 200 && response.statusCode < 300;
    try {
      // Every write InfluxDB takes is answered so: no stream to iterate for a body that is not there.
      if (response.statusCode === 204) {
        await response.body.dump();
        return { status: 204, headers: response.headers, body: '' };
      }
      const { bytes, truncated } = await readCapped(response.body, limit);
      const encoding = response.headers['content-encoding'];
      const decoded = encoding === 'gzip' ? await gunzip(bytes, truncated ? { finishFlush: zlib.Z_SYNC_FLUSH } : {}) : bytes;
      const answer = decoded.toString('utf8');
      const text = successful ? answer : this.redact(answer);
      if (!successful && typeof response.headers['x-influxdb-error'] === 'string') {
        response.headers['x-influxdb-error'] = this.redact(response.headers['x-influxdb-error']);
      }
      return truncated
        ? { status: response.statusCode, headers: response.headers, body: text, truncatedAt: limit }
        : { status: response.statusCode, headers: response.headers, body: text };
    } catch (error) {
      throw this.networkException(error, ending);
    }
  }

  private async *linesOf(source: Readable, body: Readable, ending: RequestEnding): AsyncGenerator<string, void, undefined> {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const parts = (rest + decoder.write(chunk)).split('\n');
        rest = parts.pop() as string;
        for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
      }
      rest += decoder.end();
      if (rest !== '') yield rest;
    } catch (error) {
      throw this.networkException(error, ending);
    } finally {
      if (!body.destroyed) body.destroy();
      ending.release();
    }
  }

  private redact(text: string): string {
    let redacted = text;
    for (const secret of this.#options.secrets ?? []) if (secret.length >= 4) redacted = redacted.split(secret).join('***');
    return redacted;
  }

  /** Waits for requests under way (at most `abandonAfter` ms, when given, then fails them), then closes every connection. */
  async close(abandonAfter?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const abandon =
      abandonAfter === undefined
        ? undefined
        : setTimeout(() => {
            const error = new ClientClosedException(`the client was closed before ${this.#options.origin} answered`);
            this.pool.destroy(error).catch(() => undefined);
          }, abandonAfter);
    try {
      await this.pool.close();
    } finally {
      clearTimeout(abandon);
    }
  }

  private networkException(error: unknown, ending: RequestEnding): InfluxDBException {
    if (error instanceof InfluxDBException) return error;
    const where = this.#options.origin;
    if (ending.abandoned) {
      const reason: unknown = ending.abandonReason;
      if (reason instanceof InfluxDBException) return reason;
      return new TimeoutException(`the request to ${where} was abandoned before its answer`, { cause: reason });
    }
    const code = errorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (
      ending.timedOut ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return new TimeoutException(`no answer from ${where} within ${this.#options.timeout} ms`, { cause: error });
    }
    if (this.closed || code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
      return new ClientClosedException(`the client was closed while talking to ${where}`, { cause: error });
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ConnectionFailedException(`could not reach ${where}: ${detail}${cause}`, { cause: error });
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function queryString(query: TransportRequest['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * What ends one request early: its timeout (started once the answer's headers are in), or the
 * caller's signal. One controller per request, its timer cleared and its listener removed when the
 * request ends (AbortSignal.any would leave an entry on a long-lived caller's signal for every
 * request, on Node 20).
 */
class RequestEnding {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(private readonly abandon: AbortSignal | undefined) {
    if (abandon?.aborted) this.controller.abort();
    else abandon?.addEventListener('abort', this.onAbandon, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abandoned(): boolean {
    return this.abandon?.aborted === true;
  }

  get abandonReason(): unknown {
    return this.abandon?.reason;
  }

  startTimer(timeout: number): void {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeout);
  }

  release(): void {
    clearTimeout(this.timer);
    this.abandon?.removeEventListener('abort', this.onAbandon);
  }

  private readonly onAbandon = (): void => this.controller.abort();
}

/** Reads a body up to `limit` bytes; past it, the rest is not read (the connection is dropped) and `truncated` says so. */
async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (length + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - length));
      body.destroy();
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return { bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length), truncated: false };
}
