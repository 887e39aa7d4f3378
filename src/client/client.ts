import { assertPrecision, ConfigurationException, QueryFailedException, type LineProtocol, type Precision } from '../core';
import type { LineSink } from '../delivery';
import { V1Api, VictoriaApi } from '../servers';
import { Transport, type TlsOptions } from '../transport';
import { parseDsn, maskDsn } from './dsn';
import { linesOfWriteArgs, type Kwargs, type MeasurementLike, type Template, type WriteOptions } from './measurement';
import { checkQueryResponse, encodeParams, reshapeResults, type QueryOptions, type RawQueryResponse, type Series } from './query';
import { Session, type SessionOptions } from './session';

/** Which API the server speaks: found from its `/ping` ('auto'), or said. */
export type ServerVersion = 'auto' | '1' | 'victoriametrics';

/** What the client found the server to be (or was told). */
export interface ServerInfo {
  kind: 'influxdb' | 'victoriametrics';
  /** The version the server names (`X-Influxdb-Version`), if it names one. */
  version: string | undefined;
}

export interface ClientOptions {
  /**
   * The server's API: '1' (default: InfluxDB's 1.x API, which InfluxDB 2.x and 3.x keep too), or
   * 'victoriametrics' (string fields and times below a millisecond are refused, as it would store them
   * wrongly, and queries, which it cannot answer), or 'auto': `/ping` is asked once, before the first
   * request; a server that names an InfluxDB version gets the 1.x API, one that names none is taken for
   * VictoriaMetrics.
   */
  version?: ServerVersion | 1 | undefined;
  /** On VictoriaMetrics, write string fields (stored as 0) and times below a millisecond (cut) all the same. */
  acceptLoss?: boolean | undefined;
  /** Unit of number timestamps and of the times sent. Default `s`, as in the Python seed. */
  precision?: Precision | undefined;
  /** Retention policy for writes. Default: the database's default policy. */
  retentionPolicy?: string | undefined;
  /** Milliseconds a request may take, answer included. Default 10 000. */
  timeout?: number | undefined;
  /** User name, instead of the DSN's. */
  username?: string | undefined;
  /** Password, instead of the DSN's (so a DSN can be shown without a secret). */
  password?: string | undefined;
  /** A token, sent as `Authorization: Token ...` (InfluxDB 2.x and 3.x). Takes the place of user and password. */
  token?: string | undefined;
  /**
   * Request bodies of at least this many bytes are gzipped. Default 1000, or `Infinity` (never) for a
   * server on this machine (localhost, 127.0.0.0/8, ::1), where compressing costs both sides CPU and saves nothing.
   */
  gzipThreshold?: number | undefined;
  /** Most connections open to the server at once. Default 4. */
  maxConnections?: number | undefined;
  /** TLS settings for https DSNs. */
  tls?: TlsOptions | undefined;
}

export interface PingResult {
  /** The server's version, from its `X-Influxdb-Version` header. */
  version: string | undefined;
  /** Round-trip time in milliseconds. */
  roundTrip: number;
}

const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_GZIP_THRESHOLD = 1000;
const DEFAULT_MAX_CONNECTIONS = 4;

function defaultGzipThreshold(origin: string): number {
  return isLoopback(new URL(origin).hostname) ? Infinity : DEFAULT_GZIP_THRESHOLD;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * A client for the InfluxDB 1.x HTTP API, made from a DSN: `http://user:pass@host:8086/database`.
 * Every call is one request that succeeds or throws its typed exception: no hidden retries.
 */
export class Client implements LineSink, AsyncDisposable {
  readonly database: string;
  readonly precision: Precision;
  readonly retentionPolicy: string | undefined;
  readonly timeout: number;
  /** The DSN with its password masked: safe for labels and logs. */
  readonly displayDsn: string;
  // Private (#) so that inspecting or serializing a client never shows its credentials.
  readonly #transport: Transport;
  readonly #version: ServerVersion;
  readonly #acceptLoss: boolean;
  #api: Promise<V1Api> | undefined;
  #server: ServerInfo | undefined;

  constructor(dsn: string, options: ClientOptions = {}) {
    const parsed = parseDsn(dsn);
    this.database = parsed.database;
    this.precision = assertPrecision(options.precision ?? 's');
    this.retentionPolicy = optionalName(options.retentionPolicy, 'retentionPolicy');
    this.timeout = positiveNumber(options.timeout ?? DEFAULT_TIMEOUT, 'timeout');
    this.displayDsn = maskDsn(dsn);
    const username = options.username ?? parsed.username;
    const password = options.password ?? parsed.password;
    this.#transport = new Transport({
      origin: parsed.origin,
      basePath: parsed.basePath,
      authorization: authorizationHeader(options.token, username, password),
      timeout: this.timeout,
      gzipThreshold: nonNegativeNumber(options.gzipThreshold ?? defaultGzipThreshold(parsed.origin), 'gzipThreshold'),
      connections: positiveInteger(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 'maxConnections'),
      tls: options.tls,
    });
    this.#version = serverVersion(options.version);
    this.#acceptLoss = options.acceptLoss === true;
    if (this.#version !== 'auto')
      this.#api = Promise.resolve(
        this.apiFor({ kind: this.#version === '1' ? 'influxdb' : 'victoriametrics', version: undefined }),
      );
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#transport.isClosed;
  }

  /**
   * Writes points at once, in one request:
   * `write('temperature', { value: 21.3 })`, `write([measurements])`, `write(measurement)`,
   * `write({ name, tags }, [rows])`, each with optional `{ retentionPolicy, database }` last.
   */
  write(name: string, kwargs: Kwargs, options?: WriteOptions): Promise<void>;
  write(measurements: readonly MeasurementLike[], options?: WriteOptions): Promise<void>;
  write(measurement: MeasurementLike, options?: WriteOptions): Promise<void>;
  write(template: Template, rows: readonly Kwargs[], options?: WriteOptions): Promise<void>;
  async write(...args: unknown[]): Promise<void> {
    const { lines, options } = linesOfWriteArgs(args, this.precision);
    await this.writeLines(lines, options);
  }

  /**
   * Writes line protocol already in this client's precision, in one request: lines, or UTF-8 bytes
   * of lines separated by newlines.
   */
  async writeLines(lines: LineProtocol, options: WriteOptions = {}): Promise<void> {
    if (lines.length === 0) return;
    const target = {
      database: options.database ?? this.database,
      retentionPolicy: options.retentionPolicy ?? this.retentionPolicy,
    };
    await (await this.api()).write(lines instanceof Uint8Array ? lines : lines.join('\n'), target, options.signal);
  }

  /**
   * Runs InfluxQL and returns the series of every statement in order, each as
   * `{ name, tags?, values: [{ time, ...columns }] }`. Errors inside the answer are raised.
   */
  async query(query: string, options: QueryOptions = {}): Promise<Series[]> {
    return reshapeResults(await this.queryRaw(query, options), options.epoch);
  }

  /** Runs InfluxQL and returns the server's answer as it is (big integers exact), after raising its errors. */
  async queryRaw(query: string, options: QueryOptions = {}): Promise<RawQueryResponse> {
    if (typeof query !== 'string' || query.trim() === '') throw new QueryFailedException('the query is empty');
    const epoch = options.epoch === undefined ? undefined : assertPrecision(options.epoch, 'epoch');
    const params = options.params === undefined ? undefined : encodeParams(options.params);
    const api = await this.api();
    return checkQueryResponse(await api.query(query, { database: options.database ?? this.database, epoch, params }));
  }

  /** A session that accumulates writes and commits them together. */
  session(options: SessionOptions = {}): Session {
    return new Session(this, options);
  }

  /** Checks the server answers; its version and the round-trip time. */
  async ping(): Promise<PingResult> {
    const started = performance.now();
    const version = await new V1Api(this.#transport, this.precision).ping();
    return { version, roundTrip: performance.now() - started };
  }

  /** What the server is: found from its `/ping` on the first call (and the first request), or as told. */
  async detectServer(): Promise<ServerInfo> {
    await this.api();
    return this.#server as ServerInfo;
  }

  /** What the server was found to be, once known (after `detectServer()` or a first request). */
  get server(): ServerInfo | undefined {
    return this.#server;
  }

  /** The server's API, detected once; a failed detection (the server away) is tried again next time. */
  private api(): Promise<V1Api> {
    this.#api ??= this.ping().then(
      ({ version }) => this.apiFor({ kind: version === undefined ? 'victoriametrics' : 'influxdb', version }),
      (error: unknown) => {
        this.#api = undefined;
        throw error;
      },
    );
    return this.#api;
  }

  private apiFor(server: ServerInfo): V1Api {
    this.#server = server;
    return server.kind === 'victoriametrics'
      ? new VictoriaApi(this.#transport, this.precision, this.#acceptLoss)
      : new V1Api(this.#transport, this.precision);
  }

  /**
   * Lets requests under way finish, then closes the connections. Later calls throw ClientClosedException.
   * With `abandonAfter`, requests still without an answer after that many ms fail with ClientClosedException,
   * so that a server that hangs cannot hold the close up for a whole request timeout.
   */
  async close(options: { abandonAfter?: number | undefined } = {}): Promise<void> {
    await this.#transport.close(options.abandonAfter);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toString(): string {
    return `Client(${this.displayDsn})`;
  }
}

function authorizationHeader(
  token: string | undefined,
  username: string | undefined,
  password: string | undefined,
): string | undefined {
  if (token !== undefined && token !== '') return `Token ${checkedToken(token)}`;
  if (username === undefined || username === '') return undefined;
  return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
}

/**
 * A token goes into an HTTP header as it is, and a header cannot carry every character: refused here,
 * such a token would fail every request as if the server could not be reached. Says what is wrong,
 * and where, without the token itself.
 */
function serverVersion(value: unknown): ServerVersion {
  if (value === 'auto') return 'auto';
  if (value === undefined || value === 1 || value === '1') return '1';
  if (value === 'victoriametrics') return 'victoriametrics';
  throw new ConfigurationException(
    `version ${JSON.stringify(value)} is not one of 'auto', 1 or 'victoriametrics' (InfluxDB 2.x and 3.x: 1, through their 1.x endpoints)`,
  );
}

function checkedToken(token: unknown): string {
  if (typeof token !== 'string') throw new ConfigurationException(`the token must be text, not ${typeof token}`);
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const where = i === token.length - 1 ? 'at its end' : i === 0 ? 'at its start' : `at character ${i + 1} of ${token.length}`;
    if (code === 10 || code === 13) {
      throw new ConfigurationException(
        `the token has a line break ${where} (pasted with it?), which an HTTP header cannot carry: remove it`,
      );
    }
    if (code < 32 || code === 127)
      throw new ConfigurationException(`the token has a control character ${where}, which an HTTP header cannot carry`);
    if (code > 255) {
      throw new ConfigurationException(
        `the token has a character outside Latin-1 ${where}, which an HTTP header cannot carry: tokens are plain ASCII`,
      );
    }
  }
  if (token.trim() !== token) throw new ConfigurationException('the token starts or ends with white space: remove it');
  return token;
}

function optionalName(value: unknown, what: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigurationException(`${what} must be a string`);
  return value;
}

function positiveNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && value > 0 && Number.isFinite(value)) return value;
  throw new ConfigurationException(`${what} must be a number of milliseconds above 0, not ${String(value)}`);
}

function nonNegativeNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && value >= 0) return value;
  throw new ConfigurationException(`${what} must be a number of at least 0, not ${String(value)}`);
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw new ConfigurationException(`${what} must be a whole number above 0, not ${String(value)}`);
}
