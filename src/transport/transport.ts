import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { createGunzip, gzip as gzipCallback, constants as zlib } from 'node:zlib';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import {
  AnswerTooLargeException,
  ClientClosedException,
  ConnectionFailedException,
  InfluxDBException,
  TimeoutException,
} from '../core';
import { onAbort } from '../util';
import type { Redactor } from './redact';
import { WholeAnswer, type Ending, type ReadAnswer } from './whole-answer';

const gzip = promisify(gzipCallback);

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
  /** Cuts the token and password out of error answers, as some servers echo what they refused (vmauth does). */
  redactor?: Redactor | undefined;
  /** Milliseconds to wait for an answer's headers once the request is sent, and then for its whole body. */
  timeout: number;
  /** Milliseconds a streamed answer may take in all, from its headers to its last line. */
  streamTimeout: number;
  /** Most bytes of a successful answer read whole (unpacked, when it came gzipped), and of one line of a streamed one. */
  maxAnswerBytes: number;
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
  /** The body is gzip already (a spooled record): it is sent as it is, said so in Content-Encoding. */
  gzipped?: boolean | undefined;
  contentType?: string;
  acceptGzip?: boolean;
  /** The caller's way to abandon the request before its answer. */
  signal?: AbortSignal | undefined;
  /**
   * A successful answer is read whole up to the client's `maxAnswerBytes`, and refused with an
   * AnswerTooLargeException past it. With `cut`, only this many bytes are read and the rest is left
   * (an answer that says nothing but its status: a write's, a ping's).
   */
  cut?: number | undefined;
  /** Instead of the client's `maxAnswerBytes`, for this request. */
  maxAnswerBytes?: number | undefined;
  /** A streamed answer that is kept whole by its reader: `maxAnswerBytes` holds for all of it, not for each line. */
  whole?: boolean | undefined;
  /** Sent without credentials: to learn whether the server asks for any. */
  anonymous?: boolean | undefined;
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

  /** The most of an answer read into memory at once. */
  get maxAnswerBytes(): number {
    return this.#options.maxAnswerBytes;
  }

  async request(request: TransportRequest): Promise<TransportResponse> {
    if (this.closed) throw new ClientClosedException('the client is closed');
    const headers = this.headersOf(request, request.acceptGzip === true);
    let body: string | Uint8Array | undefined = request.body;
    if (body !== undefined && request.gzipped === true) headers['content-encoding'] = 'gzip';
    else if (body !== undefined && Buffer.byteLength(body) >= this.#options.gzipThreshold) {
      body = await gzip(body, { level: zlib.Z_BEST_SPEED });
      headers['content-encoding'] = 'gzip';
    }
    const limit = request.cut ?? request.maxAnswerBytes ?? this.#options.maxAnswerBytes;
    // Until the answer's headers, undici's headersTimeout counts, from when the request is sent on a
    // connection (not while it waits for one); from the headers on, the whole body gets `timeout`.
    const whole = new WholeAnswer({ success: limit, error: MAX_ERROR_ANSWER_BYTES }, this.#options.timeout, request.signal);
    if (whole.abandoned) throw this.networkException(new Error('abandoned before it was sent'), whole);
    let read: ReadAnswer;
    try {
      this.pool.dispatch(this.requestOptions(request, headers, body), whole);
      read = await whole.answer;
    } catch (error) {
      throw this.networkException(error, whole);
    }
    const successful = read.status >= 200 && read.status < 300;
    return await this.answerOf(read, successful && request.cut === undefined ? 'fail' : 'cut', whole);
  }

  /**
   * Sends a request whose answer may be larger than memory: a 2xx answer's lines are read as they
   * arrive (gunzipped when the server compressed them), each waited for at most the timeout, the
   * whole within the stream timeout, and none longer than `maxAnswerBytes`; leaving the loop early
   * drops the connection, so the server stops sending. Other answers are read whole, as `request`
   * reads them.
   */
  async stream(request: TransportRequest): Promise<StreamedResponse> {
    if (this.closed) throw new ClientClosedException('the client is closed');
    const ending = new RequestEnding(request.signal);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatch(request, this.headersOf(request, true), request.body, ending);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        ending.startTimer(this.#options.timeout);
        const answer = await this.readErrorAnswer(response, ending);
        ending.release();
        return { status: answer.status, headers: answer.headers, answer };
      }
    } catch (error) {
      ending.release();
      throw error;
    }
    ending.startTimer(this.#options.streamTimeout);
    const body: Readable = response.body;
    const source: Readable =
      response.headers['content-encoding'] === 'gzip' ? pipeline(body, createGunzip(), () => undefined) : body;
    const limit = request.maxAnswerBytes ?? this.#options.maxAnswerBytes;
    return {
      status: response.statusCode,
      headers: response.headers,
      lines: this.linesOf(source, body, ending, limit, request.whole === true),
    };
  }

  private headersOf(request: TransportRequest, acceptGzip: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.#options.authorization !== undefined && request.anonymous !== true)
      headers.authorization = this.#options.authorization(request.tokenScheme ?? 'Token');
    if (acceptGzip) headers['accept-encoding'] = 'gzip';
    if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'text/plain; charset=utf-8';
    return headers;
  }

  private requestOptions(
    request: TransportRequest,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
  ): Dispatcher.DispatchOptions {
    return {
      origin: this.#options.origin,
      method: request.method,
      path: this.#options.basePath + request.path + queryString(request.query),
      headers,
      body,
    };
  }

  private async dispatch(
    request: TransportRequest,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    ending: RequestEnding,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await this.pool.request({
        ...this.requestOptions(request, headers, body),
        signal: ending.signal,
        // Each 1xx starts undici's headers timeout again: the first starts a deadline that later ones do not.
        onInfo: () => ending.startTimer(this.#options.timeout, { once: true }),
      });
    } catch (error) {
      throw this.networkException(error, ending);
    }
  }

  /** A streamed request's error answer, read whole (capped) from undici's body stream. */
  private async readErrorAnswer(response: Dispatcher.ResponseData, ending: Ending): Promise<TransportResponse> {
    let read: { bytes: Buffer; truncated: boolean };
    try {
      read = await readCapped(response.body, MAX_ERROR_ANSWER_BYTES);
    } catch (error) {
      throw this.networkException(error, ending);
    }
    const answer = { status: response.statusCode, headers: response.headers, cap: MAX_ERROR_ANSWER_BYTES, ...read };
    return await this.answerOf(answer, 'cut', ending);
  }

  /**
   * An answer read whole, unpacked when it came gzipped: up to its cap (on the wire and unpacked), past
   * which it is cut, or refused with an AnswerTooLargeException. An error answer has the secrets some
   * servers echo cut out.
   */
  private async answerOf(read: ReadAnswer, over: 'cut' | 'fail', ending: Ending): Promise<TransportResponse> {
    const { status, headers, cap: limit } = read;
    // Every write InfluxDB takes is answered so.
    if (status === 204) return { status, headers, body: '' };
    let { bytes, truncated } = read;
    if (headers['content-encoding'] === 'gzip') {
      try {
        ({ bytes, truncated } = await gunzipCapped(bytes, limit, truncated));
      } catch (error) {
        throw this.networkException(error, ending);
      }
    }
    if (truncated && over === 'fail') throw tooLarge(limit);
    const successful = status >= 200 && status < 300;
    const answer = bytes.toString('utf8');
    const body = successful ? answer : truncated ? this.redactCut(answer) : this.redact(answer);
    if (!successful && typeof headers['x-influxdb-error'] === 'string') {
      headers['x-influxdb-error'] = this.redact(headers['x-influxdb-error']);
    }
    return truncated ? { status, headers, body, truncatedAt: limit } : { status, headers, body };
  }

  /**
   * The lines of a streamed answer, as they arrive; a line longer than `limit` bytes, or with `whole` the
   * answer as a whole, ends it with an AnswerTooLargeException.
   */
  private async *linesOf(
    source: Readable,
    body: Readable,
    ending: RequestEnding,
    limit: number,
    whole: boolean,
  ): AsyncGenerator<string, void, undefined> {
    const decoder = new StringDecoder('utf8');
    let total = 0;
    // The unfinished line: its parts, joined once its end comes (so a long line costs its length, not its length squared).
    let parts: string[] = [];
    let partBytes = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const text = decoder.write(chunk);
        total += text.length;
        if (whole && total > limit) throw tooLarge(limit);
        let from = 0;
        for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
          parts.push(text.slice(from, newline));
          const line = parts.length === 1 ? (parts[0] as string) : parts.join('');
          parts = [];
          partBytes = 0;
          from = newline + 1;
          yield line.endsWith('\r') ? line.slice(0, -1) : line;
        }
        if (from < text.length) {
          parts.push(text.slice(from));
          // UTF-16 units: no more than the bytes they came as.
          partBytes += text.length - from;
          if (partBytes > limit) throw tooLarge(limit, 'a line of the answer');
        }
      }
      const rest = parts.join('') + decoder.end();
      if (rest !== '') yield rest;
    } catch (error) {
      if (error instanceof AnswerTooLargeException) throw error;
      throw this.networkException(error, ending);
    } finally {
      if (!body.destroyed) body.destroy();
      ending.release();
    }
  }

  private redact(text: string): string {
    return this.#options.redactor?.redact(text) ?? text;
  }

  private redactCut(text: string): string {
    return this.#options.redactor?.redactCut(text) ?? text;
  }

  /** Waits for requests under way (at most `abandonAfter` ms, when given, then fails them), then closes every connection. */
  async close(abandonAfter?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = this.pool.close();
    if (abandonAfter === undefined) return closing;
    let abandon: NodeJS.Timeout | undefined;
    // undici's close() never settles once destroy() has failed requests still waiting for a connection:
    // the close is over when either has ended.
    const abandoned = new Promise<void>((resolve) => {
      abandon = setTimeout(() => {
        const error = new ClientClosedException(`the client was closed before ${this.#options.origin} answered`);
        closing.catch(() => undefined);
        this.pool.destroy(error).then(resolve, resolve);
      }, abandonAfter);
    });
    try {
      await Promise.race([closing, abandoned]);
    } finally {
      clearTimeout(abandon);
    }
  }

  private networkException(error: unknown, ending: Ending): InfluxDBException {
    if (error instanceof InfluxDBException) return error;
    const where = this.#options.origin;
    if (ending.abandoned) {
      const reason: unknown = ending.abandonReason;
      if (reason instanceof InfluxDBException) return reason;
      return new TimeoutException(`the request to ${where} was abandoned before its answer`, { cause: reason });
    }
    const code = errorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (ending.timedOut) {
      return new TimeoutException(`no whole answer from ${where} within ${ending.timeout} ms`, { cause: error });
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
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
  /** The deadline started, in ms. */
  timeout = 0;

  private readonly stopListening: (() => void) | undefined;

  constructor(private readonly abandon: AbortSignal | undefined) {
    if (abandon?.aborted) this.controller.abort();
    else if (abandon !== undefined) this.stopListening = onAbort(abandon, () => this.controller.abort());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abandoned(): boolean {
    return this.abandon?.aborted === true;
  }

  get abandonReason(): unknown {
    return this.abandon?.reason as unknown;
  }

  /** Starts the deadline, in place of one started before; `once`: unless one was started before. */
  startTimer(timeout: number, { once = false } = {}): void {
    if (once && this.timer !== undefined) return;
    clearTimeout(this.timer);
    this.timeout = timeout;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeout);
  }

  release(): void {
    clearTimeout(this.timer);
    this.stopListening?.();
  }
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

/**
 * Unpacks a gzipped body, up to `limit` bytes of output: a small body that unpacks into gigabytes (a gzip
 * bomb) is cut there, never held whole. `cut`: the body itself was cut, so its end is not looked for.
 */
async function gunzipCapped(bytes: Buffer, limit: number, cut: boolean): Promise<{ bytes: Buffer; truncated: boolean }> {
  const gunzip = createGunzip(cut ? { finishFlush: zlib.Z_SYNC_FLUSH } : {});
  const chunks: Buffer[] = [];
  let length = 0;
  let truncated = cut;
  gunzip.end(bytes);
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    if (length + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - length));
      length = limit;
      truncated = true;
      gunzip.destroy();
      break;
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return { bytes: Buffer.concat(chunks, length), truncated };
}

export function tooLarge(limit: number, what = 'the answer'): AnswerTooLargeException {
  return new AnswerTooLargeException(
    `${what} is larger than ${limit} bytes, more than is read into memory at once (maxAnswerBytes; in inflow query, ` +
      '"Largest"): ask for less (a shorter time range, LIMIT, GROUP BY time()), read it a chunk at a time (querySeries; in ' +
      'inflow query, "a message per chunk"), or raise the limit',
  );
}
