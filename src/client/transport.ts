import { promisify } from 'node:util';
import { gzip as gzipCallback, gunzip as gunzipCallback, constants as zlib } from 'node:zlib';
import { Pool, type Dispatcher } from 'undici';
import { ClientClosedException, ConnectionFailedException, InfluxDBException, TimeoutException } from './errors';
import type { ResponseLike } from './errors';

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
  /** The full `Authorization` header value, or undefined for none. */
  authorization: string | undefined;
  /** Milliseconds a request may take from start to its whole answer. */
  timeout: number;
  /** Request bodies of at least this many bytes are sent gzipped. */
  gzipThreshold: number;
  connections: number;
  tls?: TlsOptions | undefined;
}

export interface TransportRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | undefined>;
  body?: string | Uint8Array;
  contentType?: string;
  acceptGzip?: boolean;
  /** The caller's way to abandon the request before its answer. */
  signal?: AbortSignal | undefined;
}

export type TransportResponse = ResponseLike;

/** HTTP to one server over a keep-alive connection pool. Network failures become typed exceptions. */
export class Transport {
  private readonly pool: Pool;
  private closed = false;
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.pool = new Pool(options.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: options.timeout,
      bodyTimeout: options.timeout,
      connect: {
        timeout: options.timeout,
        ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca }),
        ...(options.tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.tls.rejectUnauthorized }),
      },
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async request(request: TransportRequest): Promise<TransportResponse> {
    if (this.closed) throw new ClientClosedException('the client is closed');
    const headers: Record<string, string> = {};
    if (this.#options.authorization !== undefined) headers.authorization = this.#options.authorization;
    if (request.acceptGzip) headers['accept-encoding'] = 'gzip';
    let body: string | Uint8Array | undefined = request.body;
    if (body !== undefined) {
      headers['content-type'] = request.contentType ?? 'text/plain; charset=utf-8';
      if (Buffer.byteLength(body) >= this.#options.gzipThreshold) {
        body = await gzip(body, { level: zlib.Z_BEST_SPEED });
        headers['content-encoding'] = 'gzip';
      }
    }
    const ending = new RequestEnding(this.#options.timeout, request.signal);
    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await this.pool.request({
          method: request.method,
          path: this.#options.basePath + request.path + queryString(request.query),
          headers,
          body,
          signal: ending.signal,
        });
      } catch (error) {
        throw this.networkException(error, ending);
      }
      try {
        const raw = Buffer.from(await response.body.arrayBuffer());
        const encoding = response.headers['content-encoding'];
        const text = (encoding === 'gzip' ? await gunzip(raw) : raw).toString('utf8');
        return { status: response.statusCode, headers: response.headers, body: text };
      } catch (error) {
        throw this.networkException(error, ending);
      }
    } finally {
      ending.release();
    }
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
 * What ends one request early: its timeout, or the caller's signal. One controller per request, its
 * timer cleared and its listener removed when the request ends (AbortSignal.any would leave an entry
 * on a long-lived caller's signal for every request, on Node 20).
 */
class RequestEnding {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  timedOut = false;

  constructor(
    timeout: number,
    private readonly abandon: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeout);
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

  release(): void {
    clearTimeout(this.timer);
    this.abandon?.removeEventListener('abort', this.onAbandon);
  }

  private readonly onAbandon = (): void => this.controller.abort();
}
