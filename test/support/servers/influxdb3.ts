/**
 * A test server for InfluxDB 3 Core's HTTP API, written from its source (influxdb3_server/src/http.rs,
 * influxdb3_types/src/write.rs and http.rs, influxdb3_write's validator, iox_v1_query_api) and its API
 * reference, so that every test run can start one beside the tests (InfluxData ships no 3.x package to test with):
 * - `/api/v3/write_lp?db=&precision=&accept_partial=&no_sync=`: precision `auto` (the default, guessed
 *   from the magnitude), `second` `millisecond` `microsecond` `nanosecond` and the short names `s ms us u ns
 *   n`; nothing else (no minutes or hours: "serde error"). A database is made on its first write.
 *   Rejected lines answer 400 `{ error, data }`: with `accept_partial` (the default) the other lines are
 *   stored and `data` lists every rejected line (`line_number` from 1 among the lines that carry points,
 *   `original_line` the body's line of that number cut to 20 bytes, out of step after a line break in a
 *   string, as the server's own is, `error_message`); without it, nothing is stored and `data` is the first
 *   bad line alone.
 * - `/api/v2/write` (bucket is the database; precision `s ms us ns`) and v1 `/write` (`db`, and `rp`
 *   joined into a database named "db/rp"; never partial), as its legacy parameter unifier maps them.
 * - `/ping`: 200 with JSON `{ version, revision, process_id, product_name }` and `X-Influxdb-Version`;
 *   like every endpoint it needs the token (`Bearer` or `Token`, or Basic with the token as password),
 *   401 `{"error": "..."}` without.
 * - v1 `/query` (see influxql.ts), where a missing database is "Database x not found" inside a 200.
 * - `GET /api/v3/configure/database?format=json`: the databases as its `SHOW DATABASES` answers them,
 *   `[{"iox::database": "_internal", "deleted": false}, ...]`, its own `_internal` first.
 */
import { randomUUID } from 'node:crypto';
import { json, TestHttpServer, type Answer, type Received } from './http';
import { answerInfluxQL, influxqlBody } from './influxql';
import { answerSql } from './sql';
import { LineError, parseLine, pointLines, type ParsedPoint } from './line-protocol';
import { PointStore } from './store';

export interface InfluxDB3Options {
  token: string;
  version?: string;
  productName?: string;
}

const V3_PRECISION: Record<string, bigint | 'auto'> = {
  auto: 'auto',
  second: 1_000_000_000n,
  s: 1_000_000_000n,
  millisecond: 1_000_000n,
  ms: 1_000_000n,
  microsecond: 1000n,
  us: 1000n,
  u: 1000n,
  nanosecond: 1n,
  ns: 1n,
  n: 1n,
};
const V2_PRECISION: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1000n, ns: 1n };
const V1_PRECISION: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, u: 1000n, us: 1000n, ns: 1n, n: 1n };

export interface WriteRequestSeen {
  path: string;
  database: string;
  noSync: boolean;
}

export class InfluxDB3Server {
  readonly store = new PointStore();
  readonly http: TestHttpServer;
  readonly version: string;
  readonly productName: string;
  readonly writes: WriteRequestSeen[] = [];
  private readonly processId = randomUUID();

  constructor(private readonly options: InfluxDB3Options) {
    this.version = options.version ?? '3.5.0';
    this.productName = options.productName ?? 'InfluxDB 3 Core';
    this.http = new TestHttpServer((request) => this.route(request));
  }

  get url(): string {
    return this.http.url;
  }

  static async start(options: InfluxDB3Options): Promise<InfluxDB3Server> {
    const server = new InfluxDB3Server(options);
    await server.http.start();
    return server;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private route(request: Received): Answer {
    if (!this.authorized(request)) return { status: 401, body: '{"error": "authentication required"}' };
    const { method, path, query } = request;
    if (path === '/ping') {
      return json(
        200,
        { version: this.version, revision: 'test', process_id: this.processId, product_name: this.productName },
        { 'X-Influxdb-Build': this.productName.replace(/^InfluxDB 3 /, ''), 'X-Influxdb-Version': this.version },
      );
    }
    if (method === 'POST' && path === '/api/v3/write_lp') {
      const db = query.get('db');
      if (!db) return { status: 400, body: "missing query parameter 'db'" };
      const precision = query.get('precision') ?? 'auto';
      const unit = V3_PRECISION[precision];
      if (unit === undefined) {
        return {
          status: 400,
          body: `serde error: unknown variant \`${precision}\`, expected one of \`auto\`, \`second\`, \`millisecond\`, \`microsecond\`, \`nanosecond\``,
        };
      }
      return this.write(path, db, request.body, unit, query.get('accept_partial') !== 'false', query.get('no_sync') === 'true');
    }
    if (method === 'POST' && path === '/api/v2/write') {
      const bucket = query.get('bucket');
      if (!bucket) return { status: 400, body: 'missing bucket' };
      const unit = V2_PRECISION[query.get('precision') ?? 'ns'];
      if (unit === undefined) return { status: 400, body: 'failed to deserialize precision' };
      return this.write(path, bucket, request.body, unit, true, false);
    }
    if (method === 'POST' && path === '/write') {
      const db = query.get('db');
      if (!db) return { status: 400, body: "missing query parameter 'db'" };
      const unit = V1_PRECISION[query.get('precision') ?? 'ns'];
      if (unit === undefined) return { status: 400, body: 'failed to deserialize db/rp/precision in request query' };
      const rp = query.get('rp');
      return this.write(path, rp ? `${db}/${rp}` : db, request.body, unit, false, false);
    }
    if (path === '/query') {
      const chunked = query.get('chunked') === 'true';
      const documents = answerInfluxQL(
        this.store,
        {
          database: query.get('db') ?? undefined,
          query: query.get('q') ?? '',
          epoch: query.get('epoch'),
          params: query.get('params'),
          chunkSize: chunked ? Number(query.get('chunk_size') ?? 10000) : undefined,
        },
        (name) => `Database ${name} not found`,
      );
      return { status: 200, headers: { 'content-type': 'application/json' }, body: influxqlBody(documents, chunked) };
    }
    if (method === 'GET' && path === '/api/v3/configure/database') {
      const names = ['_internal', ...this.store.names()];
      return json(
        200,
        names.map((name) => ({ 'iox::database': name, deleted: false })),
      );
    }
    if (path === '/api/v3/query_sql') return answerSql(this.store, method === 'POST' ? request.body : undefined, query);
    return { status: 404, body: 'not found' };
  }

  private authorized(request: Received): boolean {
    const header = request.authorization ?? '';
    const [scheme, credentials = ''] = header.split(' ', 2);
    if (scheme === 'Bearer' || scheme === 'Token') return credentials === this.options.token;
    if (scheme === 'Basic')
      return Buffer.from(credentials, 'base64').toString('utf8').split(':').slice(1).join(':') === this.options.token;
    return false;
  }

  private write(
    path: string,
    database: string,
    body: string,
    unit: bigint | 'auto',
    acceptPartial: boolean,
    noSync: boolean,
  ): Answer {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_/-]*$/.test(database)) {
      return json(400, { error: `error validating database name: invalid character in database name`, data: null });
    }
    this.writes.push({ path, database, noSync });
    const valid: ParsedPoint[] = [];
    const rejected: Array<{ original_line: string; line_number: number; error_message: string }> = [];
    for (const { number, text, physical } of pointLines(body)) {
      let point: ParsedPoint;
      try {
        point = parseLine(text);
      } catch (thrown) {
        if (!(thrown instanceof LineError)) throw thrown;
        rejected.push({ original_line: physical.slice(0, 20), line_number: number, error_message: thrown.message });
        continue;
      }
      const conflict = this.store.conflictOf(database, point);
      if (conflict !== undefined) {
        rejected.push({
          original_line: physical.slice(0, 20),
          line_number: number,
          error_message: `invalid column type for column '${conflict.field}', expected iox::column_type::field::${conflict.existing}, got iox::column_type::field::${conflict.type}`,
        });
        continue;
      }
      valid.push(point);
    }
    if (rejected.length > 0 && !acceptPartial) return json(400, { error: 'line protocol parsing error', data: rejected[0] });
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const point of valid)
      this.store.put(database, point, point.time === undefined ? now : point.time * unitOf(unit, point.time));
    if (rejected.length > 0) return json(400, { error: 'partial write of line protocol occurred', data: rejected });
    if (valid.length === 0) return { status: 400, body: 'no lines in write request' };
    return { status: 204 };
  }
}

/** Precision `auto`: the unit guessed from the magnitude, as 3.x's Precision::infer_precision does. */
function unitOf(unit: bigint | 'auto', time: bigint): bigint {
  if (unit !== 'auto') return unit;
  const magnitude = time < 0n ? -time : time;
  if (magnitude < 5_000_000_000n) return 1_000_000_000n;
  if (magnitude < 5_000_000_000_000n) return 1_000_000n;
  if (magnitude < 5_000_000_000_000_000n) return 1000n;
  return 1n;
}
