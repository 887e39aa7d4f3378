import {
  API_CHOICES,
  assertPrecision,
  CLIENT_DEFAULTS,
  ConfigurationException,
  isApiChoice,
  isQueryLanguage,
  LANGUAGE_NAMES,
  QUERY_LANGUAGES,
  InfluxDBException,
  InvalidArgumentException,
  InvalidMeasurementException,
  TimeoutException,
  UnauthorizedException,
  type ApiChoice,
  type ApiName,
  type LineProtocol,
  type Precision,
  type QueryLanguage,
  type QueryParams,
  type WriteTarget,
} from '../core';
import type { LineSink, SinkWriteOptions } from '../delivery';
import {
  describeServer,
  ping,
  serverOfPing,
  V1Api,
  V2Api,
  V3Api,
  VictoriaApi,
  victoriaAnswersNoQueries,
  type AccessReport,
  type Destination,
  type ListKind,
  type TargetState,
  type ServerApi,
  type ServerInfo,
} from '../servers';
import { redactException, Redactor, Transport, type TlsOptions, type TokenScheme, type TransportResponse } from '../transport';
import { untilAborted } from '../util';
import { parseDsn, parseServerUrl, maskDsn } from './dsn';
import type { Kwargs, MeasurementLike, Template, WriteCallOptions } from './measurement';
import type { Point } from './point';
import {
  checkQueryResponse,
  paramsOf,
  reshapeResults,
  reshapeSeries,
  type QueryOptions,
  type RawQueryResponse,
  type Row,
  type Series,
} from './query';
import type { RecordShape, WriteRecord } from './records';
import { Session, type SessionOptions } from './session';
import { settingsFromEnv, settingsFromFile } from './settings-sources';
import { WriteApi, type WriteApiOptions } from './write-api';
import { FieldTypes, type FieldTypesOptions } from './field-types';
import { invalidValuesOf, LineMaker, linesOfRecords, type InvalidValues } from './write-input';

export {
  describeServer,
  type AccessReport,
  type CredentialsVerdict,
  type ListKind,
  type ServerInfo,
  type TargetKind,
  type TargetState,
  type TargetVerdict,
} from '../servers';

export interface ClientOptions {
  /**
   * The server's API: 'auto' (the default: `/ping` is asked once, before the first request, and the API
   * picked from what the server names), '1' (InfluxDB 1.x's API), '2' (InfluxDB 2.x: `/api/v2/write` to an
   * org's bucket), '3' (InfluxDB 3 Core and Enterprise: `/api/v3/write_lp`), or 'victoriametrics' (string
   * fields and times below a millisecond refused, as it would store them wrongly, and queries, which it
   * cannot answer).
   */
  api?: ApiChoice | 1 | 2 | 3 | undefined;
  /** The same as `api`, by the name earlier versions of this package and InfluxData's clients use. */
  version?: ApiChoice | 1 | 2 | 3 | undefined;
  /** The server's address (a path in it is where the server's API sits behind a proxy), instead of a DSN. */
  url?: string | undefined;
  /** Database to write to and query: InfluxDB 1.x and 3.x, a label on VictoriaMetrics. Instead of the DSN's. */
  database?: string | undefined;
  /** Bucket to write to (InfluxDB 2.x; on 1.x it reads as `database/retention-policy`). */
  bucket?: string | undefined;
  /** Organization of the bucket (InfluxDB 2.x; ignored by 1.x, which has none). */
  org?: string | undefined;
  /** On InfluxDB 3, have writes answered before they are on the server's disk (`no_sync`). Default false. */
  noSync?: boolean | undefined;
  /** On VictoriaMetrics, write string fields (stored as 0) and times below a millisecond (cut) all the same. */
  acceptLoss?: boolean | undefined;
  /** Unit of number timestamps and of the times sent. Default `s`, as in Inflow. */
  precision?: Precision | undefined;
  /** Retention policy for writes (InfluxDB 1.x, and 2.x's DBRP mapping). Default: the database's default policy. */
  retentionPolicy?: string | undefined;
  /** Milliseconds a request may take, answer included. Default 10 000. */
  timeout?: number | undefined;
  /**
   * Most bytes of an answer read into memory at once (a query answered in one piece, unpacked when it
   * came gzipped), and of one line of an answer read as it arrives. Past it the query fails with an
   * AnswerTooLargeException. Default 32 MiB.
   */
  maxAnswerBytes?: number | undefined;
  /** Milliseconds an answer read as it arrives (querySeries, queryRows) may take in all. Default 300 000. */
  streamTimeout?: number | undefined;
  /** User name, instead of the DSN's. */
  username?: string | undefined;
  /** Password, instead of the DSN's (so a DSN can be shown without a secret). */
  password?: string | undefined;
  /**
   * A token, sent as `Authorization: Token ...` (InfluxDB 2.x and 3.x), or `Bearer ...` to VictoriaMetrics
   * (as vmauth wants it). Takes the place of user and password.
   */
  token?: string | undefined;
  /**
   * Request bodies of at least this many bytes are gzipped. Default 1000, or `Infinity` (never) for a
   * server on this machine (localhost, 127.0.0.0/8, ::1), where compressing costs both sides CPU and saves nothing.
   * Lines already kept gzipped (inflow out's records on disk) are sent as they are, whatever the threshold:
   * unpacking them first would cost this side what it saves the server.
   */
  gzipThreshold?: number | undefined;
  /** Most connections open to the server at once. Default 4. */
  maxConnections?: number | undefined;
  /** TLS settings for https DSNs. */
  tls?: TlsOptions | undefined;
  /** An HTTP(S) proxy every request goes through: `http://proxy:3128`. */
  proxy?: string | undefined;
  /** Tags on every point written (a point's own tag of the same key wins). */
  defaultTags?: Readonly<Record<string, string>> | undefined;
  /**
   * Read each measurement's field types from the server before its first write (InfluxQL `SHOW FIELD KEYS`,
   * once per measurement and target) and write a whole number for an integer or unsigned field as one;
   * one that is not whole is refused, naming the field. Default false: numbers are floats, as you type them.
   */
  matchFieldTypes?: boolean | undefined;
  /**
   * A field value InfluxDB cannot store (NaN, an infinity, an object, an array): 'refuse' the point (the
   * default), or 'omit' the field; a point left with no field is refused all the same.
   */
  invalidValues?: InvalidValues | undefined;
}

export interface PingResult {
  /** The server's version, from its `X-Influxdb-Version` header (or InfluxDB 3's answer). */
  version: string | undefined;
  /** What the answer says the server is. */
  server: ServerInfo;
  /** Round-trip time in milliseconds. */
  roundTrip: number;
}

function defaultGzipThreshold(origin: string): number {
  return isLoopback(new URL(origin).hostname) ? Infinity : CLIENT_DEFAULTS.gzipThreshold;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * A client for InfluxDB 1.x, 2.x and 3.x and VictoriaMetrics, made from a DSN
 * (`http://user:pass@host:8086/database`, Inflow's form) or from options with a `url`.
 * Every call is one request that succeeds or throws its typed exception: no hidden retries.
 */
export class Client implements LineSink, AsyncDisposable {
  /** Where writes and queries go when a call names no database (undefined when the client has a bucket instead). */
  readonly database: string | undefined;
  readonly bucket: string | undefined;
  readonly org: string | undefined;
  readonly precision: Precision;
  readonly retentionPolicy: string | undefined;
  readonly timeout: number;
  /** Tags on every point written, unless the point has its own. */
  readonly defaultTags: Readonly<Record<string, string>> | undefined;
  /** Makes the lines of every write form, in this client's precision, with its default tags. */
  readonly lineMaker: LineMaker;
  /** The DSN with its password masked: safe for labels and logs. */
  readonly displayDsn: string;
  /** Where the server's API is: scheme, host, port and the path in front of it, without credentials. */
  readonly serverUrl: string;
  // Private (#) so that inspecting or serializing a client never shows its credentials.
  readonly #transport: Transport;
  /** Cuts the password and token, in every form, out of every error before it leaves the client. */
  readonly #redactor: Redactor;
  readonly #apiChoice: ApiChoice;
  readonly #acceptLoss: boolean;
  readonly #noSync: boolean;
  readonly #hasToken: boolean;
  readonly #hasCredentials: boolean;
  /** The field types read from the server, with `matchFieldTypes`. */
  readonly #fieldTypes: FieldTypes | undefined;
  #api: Promise<ServerApi> | undefined;
  #resolvedApi: ServerApi | undefined;
  #server: ServerInfo | undefined;

  constructor(dsn: string, options?: ClientOptions);
  constructor(options: ClientOptions & { url: string });
  constructor(dsnOrOptions: string | (ClientOptions & { url: string }), moreOptions: ClientOptions = {}) {
    const fromDsn = typeof dsnOrOptions === 'string';
    const options: ClientOptions = fromDsn ? moreOptions : (dsnOrOptions ?? {});
    const address = fromDsn ? dsnOrOptions : options.url;
    if (typeof address !== 'string') throw new ConfigurationException('the client needs a DSN, or options with a url');
    const parsed = fromDsn ? parseDsn(address) : parseServerUrl(address);
    this.bucket = optionalName(options.bucket, 'bucket');
    this.org = optionalName(options.org, 'org');
    this.database = optionalName(options.database, 'database') ?? (this.bucket === undefined ? parsed.database : undefined);
    this.precision = assertPrecision(options.precision ?? CLIENT_DEFAULTS.precision);
    this.retentionPolicy = optionalName(options.retentionPolicy, 'retentionPolicy');
    this.timeout = positiveNumber(options.timeout ?? CLIENT_DEFAULTS.timeout, 'timeout');
    this.displayDsn = maskDsn(address);
    this.serverUrl = `${parsed.origin}${parsed.basePath}`;
    const username = options.username ?? parsed.username;
    const password = options.password ?? parsed.password;
    this.#hasToken = options.token !== undefined && options.token !== '';
    this.#hasCredentials = this.#hasToken || (username !== undefined && username !== '');
    this.#redactor = new Redactor({
      secrets: [options.token, password].filter((secret): secret is string => typeof secret === 'string' && secret !== ''),
      basic: username !== undefined && password !== undefined ? { username, password } : undefined,
    });
    this.#transport = new Transport({
      origin: parsed.origin,
      basePath: parsed.basePath,
      authorization: authorization(options.token, username, password),
      redactor: this.#redactor,
      timeout: this.timeout,
      streamTimeout: positiveNumber(options.streamTimeout ?? CLIENT_DEFAULTS.streamTimeout, 'streamTimeout'),
      maxAnswerBytes: positiveInteger(options.maxAnswerBytes ?? CLIENT_DEFAULTS.maxAnswerBytes, 'maxAnswerBytes'),
      gzipThreshold: nonNegativeNumber(options.gzipThreshold ?? defaultGzipThreshold(parsed.origin), 'gzipThreshold'),
      connections: positiveInteger(options.maxConnections ?? CLIENT_DEFAULTS.maxConnections, 'maxConnections'),
      tls: options.tls,
      proxy: options.proxy,
    });
    this.defaultTags = defaultTagsOf(options.defaultTags);
    this.lineMaker = lineMakerOf(
      this.precision,
      this.defaultTags,
      invalidValuesOf(options.invalidValues, (reason) => new ConfigurationException(`invalidValues ${reason}`)),
    );
    if (options.matchFieldTypes !== undefined && typeof options.matchFieldTypes !== 'boolean')
      throw new ConfigurationException(`matchFieldTypes must be true or false, not ${JSON.stringify(options.matchFieldTypes)}`);
    this.#fieldTypes =
      options.matchFieldTypes === true
        ? new FieldTypes(this, { warn: (text) => process.emitWarning(text, { code: 'INFLOW_FIELD_TYPES' }) })
        : undefined;
    this.#apiChoice = apiChoiceOf(options);
    this.#acceptLoss = options.acceptLoss === true;
    this.#noSync = options.noSync === true;
    if (this.#apiChoice !== 'auto') {
      this.#api = Promise.resolve(this.apiFor({ api: this.#apiChoice, version: undefined, product: undefined }));
    }
  }

  /** A client from the environment: `INFLUXDB_V2_URL`, `_ORG`, `_TOKEN`, `_TIMEOUT`, ... or InfluxDB 3's `INFLUX_HOST`, `INFLUX_TOKEN`, `INFLUX_DATABASE`. */
  static fromEnv(env?: NodeJS.ProcessEnv, options: ClientOptions = {}): Client {
    const settings = settingsFromEnv(env);
    return new Client({ ...settings.options, ...options, url: settings.url });
  }

  /** A client from a TOML or INI file with an `[influx2]` section (and `[tags]` for default tags). */
  static fromConfigFile(path: string, options: ClientOptions = {}): Client {
    const settings = settingsFromFile(path);
    return new Client({ ...settings.options, ...options, url: settings.url });
  }

  /** Whether the server answers a ping now: what a writer waiting with a backlog asks between its retries. */
  async answers(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.ping(signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#transport.isClosed;
  }

  /**
   * Writes points at once, in one request:
   * `write('temperature', { value: 21.3 })`, `write([measurements])`, `write(measurement)`,
   * `write({ name, tags }, [rows])`, each with optional `{ retentionPolicy, database, bucket, org }` last.
   */
  write(name: string, kwargs: Kwargs, options?: WriteCallOptions): Promise<void>;
  write(measurements: readonly MeasurementLike[], options?: WriteCallOptions): Promise<void>;
  write(measurement: MeasurementLike, options?: WriteCallOptions): Promise<void>;
  write(template: Template, rows: readonly Kwargs[], options?: WriteCallOptions): Promise<void>;
  write(lineProtocol: string | Uint8Array): Promise<void>;
  write(...points: Point[]): Promise<void>;
  write(records: readonly WriteRecord[]): Promise<void>;
  write(...recordsAndShape: [...records: WriteRecord[], shape: RecordShape]): Promise<void>;
  async write(...args: unknown[]): Promise<void> {
    // The WriteApi's records too (line protocol text, Points, Buffers, records with a shape), in this client's precision.
    const { lines, options } = this.lineMaker.call(args);
    await this.writeLines(lines, options);
  }

  /**
   * What was thrown, with the client's secrets cut out of it in every form. Anything else that holds one
   * (a parser's error quoting what a server sent) becomes an InfluxDBException with the secret cut out.
   */
  #clean(thrown: unknown): unknown {
    if (thrown instanceof InfluxDBException) return redactException(thrown, this.#redactor);
    const text = thrown instanceof Error ? `${thrown.message}\n${thrown.stack ?? ''}` : String(thrown);
    if (this.#redactor.redact(text) === text) return thrown;
    return new InfluxDBException(this.#redactor.redact(thrown instanceof Error ? thrown.message : String(thrown)));
  }

  /** What a /ping answer says the server is, its names cut to a few printable words, with no secret in them. */
  #serverInfo(response: TransportResponse): ServerInfo {
    const server = serverOfPing(response);
    const clean = (name: string | undefined): string | undefined =>
      name === undefined ? undefined : this.#redactor.redact(name.replace(/[^\x20-\x7e]/g, '').slice(0, 64));
    return { api: server.api, version: clean(server.version), product: clean(server.product) };
  }

  /**
   * Writes line protocol already in this client's precision (or in `options.precision`), in one request:
   * lines, or UTF-8 bytes of lines separated by newlines. On InfluxDB 3, the lines it refuses are named in
   * the exception's `rejectedLines`; it stored the others.
   */
  async writeLines(lines: LineProtocol | string, options: SinkWriteOptions = {}): Promise<void> {
    // Text from a user is checked line by line: a bad line fails named, never forwarded blind.
    if (typeof lines === 'string') lines = linesOfRecords([lines], options.precision ?? this.precision);
    if (lines.length === 0) return;
    if (this.#fieldTypes === undefined) return this.#send(lines, options);
    await this.#fieldTypes.write(lines, options, options.signal, (matched) => this.#send(matched, options));
  }

  /**
   * Writes gzipped line protocol already in this client's precision (a spooled record), as it is where the
   * server takes it so, or else the lines `plain` unpacks; matched to the server's field types first with
   * `matchFieldTypes`, and then sent as it is only when no line changed.
   */
  async writeGzipped(gzipped: Uint8Array, plain: () => Promise<Uint8Array>, options: SinkWriteOptions = {}): Promise<void> {
    const fieldTypes = this.#fieldTypes;
    if (fieldTypes === undefined) return this.#sendGzipped(gzipped, plain, options);
    await this.#writeGzippedMatched(fieldTypes, gzipped, plain, options);
  }

  /** Gzipped lines matched to the field types: sent as they are when no line changed, else the matched lines. */
  async #writeGzippedMatched(
    types: FieldTypes,
    gzipped: Uint8Array,
    plain: () => Promise<Uint8Array>,
    options: SinkWriteOptions,
  ): Promise<void> {
    const lines = await plain();
    await types.write(lines, options, options.signal, (matched) =>
      matched === lines ? this.#sendGzipped(gzipped, () => Promise.resolve(lines), options) : this.#send(matched, options),
    );
  }

  /** One write request of gzipped lines as they are, or of the lines unpacked where the server must see them. */
  async #sendGzipped(gzipped: Uint8Array, plain: () => Promise<Uint8Array>, options: SinkWriteOptions): Promise<void> {
    let sent: boolean;
    try {
      const api = await this.api(options.signal);
      sent = await api.writeGzipped(gzipped, this.destination(options), options.signal);
    } catch (error) {
      throw this.#clean(error);
    }
    if (!sent) await this.#send(await plain(), options);
  }

  /** One write request of lines as they are. */
  async #send(lines: LineProtocol, options: SinkWriteOptions): Promise<void> {
    try {
      const api = await this.api(options.signal);
      await api.write(lines, this.destination(options), options.signal);
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /**
   * A sink for batch writers (what inflow out writes through) that matches the server's field types as
   * `matchFieldTypes` does, with a cache of its own: bounded, and told its warnings, as the options say.
   */
  fieldTypesSink(options: FieldTypesOptions = {}): LineSink {
    const types = new FieldTypes(this, options);
    return {
      precision: this.precision,
      writeLines: async (lines, call = {}) => {
        if (lines.length === 0) return;
        await types.write(lines, call, call.signal, (matched) => this.#send(matched, call));
      },
      writeGzipped: (gzipped, plain, call = {}) => this.#writeGzippedMatched(types, gzipped, plain, call),
      resolveTarget: (target) => this.resolveTarget(target),
      answers: (signal) => this.answers(signal),
    };
  }

  /**
   * Runs InfluxQL and returns the series of every statement in order, each as
   * `{ name, tags?, values: [{ time, ...columns }] }`. Errors inside the answer are raised.
   */
  async query(query: string, options: QueryOptions = {}): Promise<Series[]> {
    if ((options.language ?? 'influxql') === 'influxql')
      return reshapeResults(await this.queryRaw(query, options), options.epoch);
    // Tables of one series follow each other in an answer: those of one name and tags are one series.
    const series: Series[] = [];
    let last: { key: string; series: Series } | undefined;
    // Read whole into one answer: the answer as a whole within maxAnswerBytes, not only each line of it.
    for await (const chunk of this.#series(query, options, true)) {
      const key = JSON.stringify([chunk.name, chunk.tags ?? null]);
      if (last?.key === key) for (const row of chunk.values) last.series.values.push(row);
      else {
        last = { key, series: chunk };
        series.push(chunk);
      }
    }
    return series;
  }

  /** Runs InfluxQL and returns the server's answer as it is (big integers exact), after raising its errors. */
  async queryRaw(query: string, options: QueryOptions = {}): Promise<RawQueryResponse> {
    if ((options.language ?? 'influxql') !== 'influxql') {
      throw new ConfigurationException(
        `queryRaw answers InfluxQL in 1.x's JSON shape; ${String(options.language)} answers come from query() and querySeries()`,
      );
    }
    try {
      const { api, epoch, params } = await this.prepareQuery(query, options, 'influxql');
      const request = {
        database: this.queryDatabase(options),
        epoch,
        params,
        maxAnswerBytes: options.maxAnswerBytes,
        signal: options.signal,
      };
      return checkQueryResponse(await api.query(query, request));
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /**
   * Runs a query and yields its answer as it arrives, a series chunk at a time (at most 5,000 rows each;
   * the chunks of one long series follow each other with the same name and tags): memory stays bounded
   * by a chunk, however large the answer. Leaving the loop early ends the request.
   */
  querySeries(query: string, options: QueryOptions = {}): AsyncGenerator<Series, void, undefined> {
    return this.#series(query, options, false);
  }

  /** The series of an answer as it arrives; `whole`: the whole answer is kept, so it is held to maxAnswerBytes as a whole. */
  async *#series(query: string, options: QueryOptions, whole: boolean): AsyncGenerator<Series, void, undefined> {
    try {
      const language = queryLanguage(options.language);
      const { api, epoch, params } = await this.prepareQuery(query, options, language);
      const tables = api.tables(query, {
        language,
        database: this.queryDatabase(options),
        org: options.org ?? this.org,
        epoch,
        params,
        signal: options.signal,
        maxAnswerBytes: options.maxAnswerBytes,
        whole,
      });
      for await (const table of tables) yield reshapeSeries(table, epoch === 'ns');
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /** Runs a query and yields its rows as they arrive (`{ time, ...columns }`); see querySeries for their series. */
  async *queryRows(query: string, options: QueryOptions = {}): AsyncGenerator<Row, void, undefined> {
    for await (const series of this.querySeries(query, options)) yield* series.values;
  }

  /** A query's checked parts, and the server's API once it is known to answer the language. */
  private async prepareQuery(
    query: string,
    options: QueryOptions,
    language: QueryLanguage,
  ): Promise<{ api: ServerApi; epoch: Precision | undefined; params: QueryParams | undefined }> {
    if (typeof query !== 'string' || query.trim() === '') throw new InvalidArgumentException('the query is empty');
    const epoch = options.epoch === undefined ? undefined : asArgument(() => assertPrecision(options.epoch, 'epoch'));
    if (options.maxAnswerBytes !== undefined) asArgument(() => positiveInteger(options.maxAnswerBytes, 'maxAnswerBytes'));
    const params = paramsOf(options);
    const api = await this.api(options.signal);
    this.checkLanguage(api, language);
    return { api, epoch, params };
  }

  private queryDatabase(options: QueryOptions): string | undefined {
    return options.database ?? options.bucket ?? this.database ?? this.bucket;
  }

  private checkLanguage(api: ServerApi, language: QueryLanguage): void {
    if (api.languages.includes(language)) return;
    const server = describeServer(this.#server ?? { api: api.name, version: undefined, product: undefined });
    if (api.languages.length === 0) throw victoriaAnswersNoQueries();
    throw new ConfigurationException(
      `${server} answers ${api.languages.map((one) => LANGUAGE_NAMES[one]).join(' and ')}, not ${LANGUAGE_NAMES[language]}`,
    );
  }

  /** The WriteApi of InfluxData's clients: batched (1,000 points or 1 s), or `WriteOptions.SYNCHRONOUS`. */
  writeApi(options: WriteApiOptions = {}): WriteApi {
    return new WriteApi(this, options, this.lineMaker);
  }

  /** A session that accumulates writes and commits them together. */
  session(options: SessionOptions = {}): Session {
    return new Session(this, options, this.lineMaker);
  }

  /** Checks the server answers; what it is, its version, and the round-trip time. */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    const started = performance.now();
    try {
      const response = await this.pingAnswer(signal);
      const server = this.#serverInfo(response);
      return { version: server.version, server, roundTrip: performance.now() - started };
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /** What the server is: found from its `/ping` on the first call (and the first request), or as told. */
  async detectServer(signal?: AbortSignal): Promise<ServerInfo> {
    try {
      await this.api(signal);
    } catch (error) {
      throw this.#clean(error);
    }
    return this.#server as ServerInfo;
  }

  /**
   * What the server says of these settings, asked without writing: what it is (by `/ping`, whatever kind
   * was chosen), whether it took the credentials, and whether each part of the target is there (`target`,
   * or the client's own). A server of another kind than the one chosen is said so (`chosen`), and nothing
   * more is asked of it.
   */
  async checkAccess(target: WriteTarget = {}, signal?: AbortSignal): Promise<AccessReport> {
    try {
      const started = performance.now();
      let response: TransportResponse;
      try {
        response = await this.pingAnswer(signal);
      } catch (error) {
        if (!(error instanceof UnauthorizedException)) throw error;
        // InfluxDB 3 and vmauth ask for credentials on /ping too.
        const credentials = this.#hasCredentials ? 'refused' : 'needed';
        const serverMessage = error.serverMessage === undefined ? undefined : this.#redactor.redact(error.serverMessage);
        return { server: undefined, roundTrip: undefined, credentials, serverMessage, targets: [] };
      }
      const roundTrip = performance.now() - started;
      const server = this.#serverInfo(response);
      if (this.#apiChoice !== 'auto' && this.#apiChoice !== server.api) {
        return { server, roundTrip, chosen: this.#apiChoice, credentials: undefined, targets: [] };
      }
      const check = await this.#apiOfServer(server).checkAccess(this.destination(target), this.#hasCredentials);
      const serverMessage = check.serverMessage === undefined ? undefined : this.#redactor.redact(check.serverMessage);
      return { server, roundTrip, ...check, serverMessage };
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /** What the server has of a kind, for a person to pick from: databases, a database's retention policies, an org's buckets, orgs. */
  async listTargets(kind: ListKind, target: WriteTarget = {}): Promise<string[]> {
    try {
      // A name is the server's to choose: one that holds a secret is not handed on.
      const names = await (await this.api()).list(kind, this.destination(target));
      return names.filter((name) => this.#redactor.redact(name) === name);
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /**
   * Makes the target's database (1.x) or bucket (2.x) when it is missing, where the credentials may;
   * InfluxDB 3 and VictoriaMetrics make theirs with the first write. What the target is now.
   */
  async createTarget(target: WriteTarget = {}): Promise<TargetState> {
    try {
      return await (await this.api()).create(this.destination(target));
    } catch (error) {
      throw this.#clean(error);
    }
  }

  /** The API of a server found by a ping: the client's own once it knows it, or one for this check. */
  #apiOfServer(server: ServerInfo): ServerApi {
    if (this.#resolvedApi?.name === server.api) return this.#resolvedApi;
    if (this.#apiChoice === 'auto' && this.#resolvedApi === undefined) return this.apiFor(server);
    return apiOf(server.api, this.#transport, this.precision, { acceptLoss: this.#acceptLoss, noSync: this.#noSync });
  }

  /** What the server was found to be, once known (after `detectServer()` or a first request). */
  get server(): ServerInfo | undefined {
    return this.#server;
  }

  /**
   * A `/ping` answer. A token is offered as `Token` (InfluxDB); a server that refuses it is asked
   * again with `Bearer`, as vmauth in front of VictoriaMetrics wants it.
   */
  private async pingAnswer(signal: AbortSignal | undefined): Promise<TransportResponse> {
    try {
      return await ping(this.#transport, signal);
    } catch (error) {
      if (!(error instanceof UnauthorizedException) || !this.#hasToken) throw error;
      return ping(this.#transport, signal, 'Bearer' satisfies TokenScheme);
    }
  }

  /**
   * The server's API, detected once (however many callers wait for it); a failed detection (the
   * server away) is tried again next time. A caller's signal ends its own wait, not the detection.
   */
  private api(signal?: AbortSignal): Promise<ServerApi> {
    // Once known, no wait at all: nothing is added to a long-lived signal for each request.
    if (this.#resolvedApi !== undefined) return Promise.resolve(this.#resolvedApi);
    this.#api ??= this.pingAnswer(undefined).then(
      (response) => this.apiFor(this.#serverInfo(response)),
      (error: unknown) => {
        this.#api = undefined;
        throw error;
      },
    );
    return signal === undefined ? this.#api : untilAborted(this.#api, signal, () => abortReason(signal, this.serverUrl));
  }

  /** Where a write to `target` goes: the target with this client's defaults filled in (what is left out, left out). */
  resolveTarget(target: WriteTarget): WriteTarget {
    const { database, retentionPolicy, bucket, org } = this.destination(target);
    return {
      ...(database === undefined ? {} : { database }),
      ...(retentionPolicy === undefined ? {} : { retentionPolicy }),
      ...(bucket === undefined ? {} : { bucket }),
      ...(org === undefined ? {} : { org }),
    };
  }

  private destination(target: SinkWriteOptions): Destination {
    const named = target.bucket !== undefined || target.database !== undefined;
    return {
      bucket: named ? target.bucket : this.bucket,
      database: named ? target.database : this.database,
      // '' names the database's default policy, whatever this client's (WriteTarget).
      retentionPolicy: target.retentionPolicy === '' ? undefined : (target.retentionPolicy ?? this.retentionPolicy),
      org: target.org ?? this.org,
      precision: target.precision === undefined ? undefined : assertPrecision(target.precision, 'write option precision'),
    };
  }

  /** The query languages the server answers, once its API is known (at once for a version given). */
  get queryLanguages(): readonly QueryLanguage[] | undefined {
    return this.#resolvedApi?.languages;
  }

  private apiFor(server: ServerInfo): ServerApi {
    this.#server = server;
    this.#resolvedApi = apiOf(server.api, this.#transport, this.precision, {
      acceptLoss: this.#acceptLoss,
      noSync: this.#noSync,
    });
    return this.#resolvedApi;
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

function authorization(
  token: string | undefined,
  username: string | undefined,
  password: string | undefined,
): ((scheme: TokenScheme) => string) | undefined {
  if (token !== undefined && token !== '') {
    const checked = checkedToken(token);
    return (scheme) => `${scheme} ${checked}`;
  }
  if (username === undefined || username === '') return undefined;
  const basic = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  return () => basic;
}

/** What a request abandoned through its signal fails with, as the transport says it: the reason when it is an InfluxDBException. */
function abortReason(signal: AbortSignal, where: string): InfluxDBException {
  const reason: unknown = signal.reason;
  if (reason instanceof InfluxDBException) return reason;
  return new TimeoutException(`the request to ${where} was abandoned before its answer`, { cause: reason });
}

function apiOf(
  api: ApiName,
  transport: Transport,
  precision: Precision,
  options: { acceptLoss: boolean; noSync: boolean },
): ServerApi {
  switch (api) {
    case 'victoriametrics':
      return new VictoriaApi(transport, precision, options.acceptLoss);
    case '2':
      return new V2Api(transport, precision);
    case '3':
      return new V3Api(transport, precision, { noSync: options.noSync });
    default:
      return new V1Api(transport, precision);
  }
}

/** The client's line maker; a ConfigurationException (naming the tag) for a default tag InfluxDB could not store as given. */
function lineMakerOf(
  precision: Precision,
  defaultTags: Readonly<Record<string, string>> | undefined,
  invalidValues: InvalidValues,
): LineMaker {
  try {
    return new LineMaker({ precision, defaultTags, invalidValues });
  } catch (error) {
    if (error instanceof InvalidMeasurementException) throw new ConfigurationException(`default tags: ${error.message}`);
    throw error;
  }
}

function defaultTagsOf(tags: unknown): Readonly<Record<string, string>> | undefined {
  if (tags === undefined) return undefined;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
    throw new ConfigurationException('defaultTags must be an object of tag values');
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string' || value === '')
      throw new ConfigurationException(`default tag ${JSON.stringify(key)} must be text, not ${JSON.stringify(value)}`);
  }
  return Object.keys(tags).length === 0 ? undefined : Object.freeze({ ...(tags as Record<string, string>) });
}

function queryLanguage(value: unknown): QueryLanguage {
  if (value === undefined) return 'influxql';
  if (isQueryLanguage(value)) return value;
  throw new InvalidArgumentException(`query language ${JSON.stringify(value)} is not one of ${QUERY_LANGUAGES.join(', ')}`);
}

/** A check of a call's argument: what it refuses is an InvalidArgumentException (the same check on a client option is a ConfigurationException). */
function asArgument<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigurationException) throw new InvalidArgumentException(error.message);
    throw error;
  }
}

/** The API a client is told to speak (`api`, or `version` by its older name), 'auto' when it is told none. */
function apiChoiceOf(options: ClientOptions): ApiChoice {
  const given: unknown = options.api ?? options.version;
  const name = options.api === undefined ? 'version' : 'api';
  if (given === undefined || given === '') return CLIENT_DEFAULTS.api;
  const text = typeof given === 'number' ? String(given) : given;
  if (isApiChoice(text)) return text;
  throw new ConfigurationException(`${name} ${JSON.stringify(given)} is not one of ${API_CHOICES.join(', ')}`);
}

/**
 * A token goes into an HTTP header as it is, and a header cannot carry every character: refused here,
 * such a token would fail every request as if the server could not be reached. Says what is wrong,
 * and where, without the token itself.
 */
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
