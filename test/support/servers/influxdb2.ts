/**
 * A test server for InfluxDB 2.x's HTTP API, written from its source (v2.9.1: http/write_handler.go,
 * http/legacy/, http/points/, kit/transport/http/error_handler.go, models/points.go) and its API
 * reference, so that every test run can start one beside the tests (InfluxData ships no 2.x package to test with):
 * - `/api/v2/write?org=&bucket=&precision=ns|us|ms|s` with `Authorization: Token`; 204; errors as JSON
 *   `{ code, message }` with the status its error code maps to; a line that does not parse fails the
 *   whole request (400 "invalid"); a field type conflict stores the other points and answers 422.
 * - v1 `/write?db=&rp=&precision=` through the DBRP mapping (every bucket has a virtual one of its
 *   name; none answers 404 "no dbrp mapping found"), with 2.x's own trap kept: its precision multiplier
 *   knows `us`, `ms` and `s` only, so `u`, `m`, `h` (and anything else) are read as nanoseconds.
 * - `/ping` (204, `X-Influxdb-Version: v2.9.1`), `/health`, v1 `/query` (see influxql.ts) and Flux on
 *   `/api/v2/query` (see flux.ts).
 * - The tenant API as tenant/http_server_org.go, http_server_bucket.go and dbrp/http_server_dbrp.go answer
 *   it: `GET /api/v2/orgs[?org=]` (a name that is no org: 404 `organization name "x" not found`),
 *   `GET /api/v2/buckets?org=|orgID=[&name=]` (a named bucket that is not there: 404 `bucket "x" not
 *   found`), `POST /api/v2/buckets {orgID, name}` (201; a name taken: 422), and `GET /api/v2/dbrps?org=|orgID=[&db=]`
 *   with every bucket's virtual mapping among the explicit ones.
 */
import { answerFlux } from './flux';
import { json, TestHttpServer, type Answer, type Received } from './http';
import { answerInfluxQL, influxqlBody } from './influxql';
import { LineError, parseLine, pointLines, type ParsedPoint } from './line-protocol';
import { PointStore } from './store';

export interface InfluxDB2Options {
  token: string;
  org: string;
  buckets: readonly string[];
  /** Explicit DBRP mappings: `database/retention-policy` (or `database`) -> bucket. */
  dbrp?: Readonly<Record<string, string>>;
  version?: string;
}

/** The one organization's ID, 16 hex digits as 2.x writes IDs. */
const ORG_ID = '0a1b2c3d4e5f6071';

const PRECISION_NS: Record<string, bigint> = { ns: 1n, us: 1000n, ms: 1_000_000n, s: 1_000_000_000n };
const MSG_INVALID_PRECISION = 'invalid precision; valid precision units are ns, us, ms, and s';

export class InfluxDB2Server {
  readonly store = new PointStore();
  readonly http: TestHttpServer;
  readonly version: string;

  constructor(private readonly options: InfluxDB2Options) {
    this.version = options.version ?? 'v2.9.1';
    for (const bucket of options.buckets) this.store.create(bucket);
    this.http = new TestHttpServer((request) => this.route(request), {
      'X-Influxdb-Build': 'OSS',
      'X-Influxdb-Version': this.version,
    });
  }

  get url(): string {
    return this.http.url;
  }

  static async start(options: InfluxDB2Options): Promise<InfluxDB2Server> {
    const server = new InfluxDB2Server(options);
    await server.http.start();
    return server;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private route(request: Received): Answer | Promise<Answer> {
    const { method, path } = request;
    if (path === '/ping' && (method === 'GET' || method === 'HEAD')) return { status: 204 };
    if (path === '/health')
      return json(200, {
        name: 'influxdb',
        message: 'ready for queries and writes',
        status: 'pass',
        checks: [],
        version: this.version,
        commit: 'test',
      });
    if (path === '/api/v2/write' && method === 'POST') return this.authorized(request, () => this.writeV2(request));
    if (path === '/write' && method === 'POST') return this.authorized(request, () => this.writeV1(request));
    if (path === '/query') return this.authorized(request, () => this.queryV1(request));
    if (path === '/api/v2/query' && method === 'POST') return this.authorized(request, () => this.queryFlux(request));
    if (path === '/api/v2/orgs' && method === 'GET') return this.authorized(request, () => this.orgs(request));
    if (path === '/api/v2/buckets' && method === 'GET') return this.authorized(request, () => this.buckets(request));
    if (path === '/api/v2/buckets' && method === 'POST') return this.authorized(request, () => this.createBucket(request));
    if (path === '/api/v2/dbrps' && method === 'GET') return this.authorized(request, () => this.dbrps(request));
    return error('not found', 'path not found');
  }

  /** Token auth, as 2.x checks it on every API but `/ping` and `/health`; v1 endpoints also take `u`/`p` and Basic with the token as password. */
  private authorized(request: Received, then: () => Answer): Answer {
    const header = request.authorization ?? '';
    const token = header.startsWith('Token ')
      ? header.slice(6)
      : header.startsWith('Basic ')
        ? Buffer.from(header.slice(6), 'base64').toString('utf8').split(':').slice(1).join(':')
        : (request.query.get('p') ?? '');
    if (token !== this.options.token) return error('unauthorized', 'unauthorized access');
    return then();
  }

  private orgs(request: Received): Answer {
    const name = request.query.get('org');
    if (name && name !== this.options.org) return error('not found', `organization name "${name}" not found`);
    return json(200, { links: { self: '/api/v2/orgs' }, orgs: [{ id: ORG_ID, name: this.options.org }] });
  }

  /** The org a request names by name or ID, or the error 2.x answers. */
  private orgOf(request: Received): Answer | undefined {
    const id = request.query.get('orgID');
    const name = request.query.get('org');
    if (id) return id === ORG_ID ? undefined : error('not found', 'organization not found');
    if (name) return name === this.options.org ? undefined : error('not found', `organization name "${name}" not found`);
    return undefined;
  }

  private buckets(request: Received): Answer {
    const wrongOrg = this.orgOf(request);
    if (wrongOrg !== undefined) return wrongOrg;
    const name = request.query.get('name');
    const names = this.store.names().filter((bucket) => !name || bucket === name);
    if (name && names.length === 0) return error('not found', `bucket "${name}" not found`);
    const buckets = names.map((bucket) => ({
      id: bucketId(bucket),
      orgID: ORG_ID,
      type: 'user',
      name: bucket,
      retentionRules: [],
    }));
    return json(200, { links: { self: '/api/v2/buckets' }, buckets });
  }

  private createBucket(request: Received): Answer {
    let body: { orgID?: unknown; name?: unknown };
    try {
      body = JSON.parse(request.body) as { orgID?: unknown; name?: unknown };
    } catch {
      return error('invalid', 'malformed JSON');
    }
    if (typeof body.orgID !== 'string' || body.orgID === '') return error('invalid', 'organization id must be provided');
    if (body.orgID !== ORG_ID) return error('not found', 'organization not found');
    if (typeof body.name !== 'string' || body.name === '') return error('invalid', 'bucket name is required');
    if (body.name.startsWith('_'))
      return error('invalid', `bucket name ${body.name} is invalid. Buckets may not start with underscore`);
    if (this.store.has(body.name)) return error('conflict', `bucket with name ${body.name} already exists`);
    this.store.create(body.name);
    return json(201, { id: bucketId(body.name), orgID: ORG_ID, type: 'user', name: body.name, retentionRules: [] });
  }

  private dbrps(request: Received): Answer {
    if (!request.query.get('orgID') && !request.query.get('org')) return error('invalid', 'either org or orgID must be provided');
    const wrongOrg = this.orgOf(request);
    if (wrongOrg !== undefined) return wrongOrg;
    const db = request.query.get('db');
    const explicit = Object.entries(this.options.dbrp ?? {}).map(([key, bucket]) => {
      const [database = '', policy = 'autogen'] = key.split('/');
      return { database, retention_policy: policy, default: !key.includes('/'), bucketID: bucketId(bucket), virtual: false };
    });
    const virtual = this.store.names().map((bucket) => ({
      database: bucket,
      retention_policy: 'autogen',
      default: true,
      bucketID: bucketId(bucket),
      virtual: true,
    }));
    const content = [...explicit, ...virtual]
      .filter((mapping) => !db || mapping.database === db)
      .map((mapping) => ({ id: bucketId(`${mapping.database}/${mapping.retention_policy}`), orgID: ORG_ID, ...mapping }));
    return json(200, { content });
  }

  private writeV2(request: Received): Answer {
    const precision = request.query.get('precision') || 'ns';
    if (!(precision in PRECISION_NS)) return error('invalid', MSG_INVALID_PRECISION);
    const bucket = request.query.get('bucket');
    if (!bucket) return error('not found', 'bucket not found');
    const org = request.query.get('org') ?? request.query.get('orgID');
    if (!org) return error('invalid', 'Please provide either orgID or org');
    if (org !== this.options.org) return error('not found', `organization name "${org}" not found`);
    if (!this.store.has(bucket)) return error('not found', `bucket "${bucket}" not found`);
    return this.store_(bucket, request.body, PRECISION_NS[precision] as bigint);
  }

  private writeV1(request: Received): Answer {
    const db = request.query.get('db') ?? '';
    const rp = request.query.get('rp') ?? '';
    const bucket = this.mappedBucket(db, rp);
    if (bucket === undefined) return error('not found', 'no dbrp mapping found');
    // models.GetPrecisionMultiplier: "us", "ms", "s"; anything else is nanoseconds.
    const precision = request.query.get('precision') ?? '';
    return this.store_(bucket, request.body, PRECISION_NS[precision] ?? 1n);
  }

  private mappedBucket(db: string, rp: string): string | undefined {
    const explicit = this.options.dbrp?.[rp === '' ? db : `${db}/${rp}`] ?? this.options.dbrp?.[db];
    if (explicit !== undefined) return explicit;
    // The virtual mapping: a bucket of the database's name (any retention policy, or autogen).
    return this.store.has(db) && (rp === '' || rp === 'autogen') ? db : undefined;
  }

  private store_(bucket: string, body: string, nsPerUnit: bigint): Answer {
    const parsed: ParsedPoint[] = [];
    for (const { text } of pointLines(body)) {
      try {
        parsed.push(parseLine(text));
      } catch (thrown) {
        if (thrown instanceof LineError) return error('invalid', `unable to parse '${text}': ${thrown.message}`);
        throw thrown;
      }
    }
    const now = BigInt(Date.now()) * 1_000_000n;
    const conflicts: string[] = [];
    for (const point of parsed) {
      const conflict = this.store.conflictOf(bucket, point);
      if (conflict !== undefined) {
        conflicts.push(
          `field type conflict: input field "${conflict.field}" on measurement "${point.measurement}" is type ${conflict.type}, already exists as type ${conflict.existing}`,
        );
        continue;
      }
      this.store.put(bucket, point, point.time === undefined ? now : point.time * nsPerUnit);
    }
    if (conflicts.length > 0) {
      return error(
        'unprocessable entity',
        `failure writing points to database: partial write: ${conflicts[0]} dropped=${conflicts.length}`,
      );
    }
    return { status: 204 };
  }

  private queryV1(request: Received): Answer {
    const db = request.query.get('db') ?? undefined;
    const bucket = db === undefined ? undefined : this.mappedBucket(db, request.query.get('rp') ?? '');
    if (db !== undefined && bucket === undefined) return error('not found', 'no dbrp mapping found');
    const chunked = request.query.get('chunked') === 'true';
    const documents = answerInfluxQL(
      this.store,
      {
        database: bucket,
        query: request.query.get('q') ?? '',
        epoch: request.query.get('epoch'),
        params: request.query.get('params'),
        chunkSize: chunked ? Number(request.query.get('chunk_size') ?? 10000) : undefined,
      },
      (name) => `database not found: ${name}`,
    );
    return { status: 200, headers: { 'content-type': 'application/json' }, body: influxqlBody(documents, chunked) };
  }

  private queryFlux(request: Received): Answer {
    let query: string;
    // As InfluxDB 2.x's http/query.go reads the request: `extern` (a Flux file evaluated before the query)
    // and no `params`, which only InfluxDB Cloud takes; a `params` field is ignored as an unknown one.
    let params: Record<string, unknown> | undefined;
    try {
      const body = JSON.parse(request.body) as { query?: unknown; extern?: unknown };
      query = typeof body.query === 'string' ? body.query : '';
      params = paramsOfExtern(body.extern);
    } catch {
      query = request.body;
    }
    const org = request.query.get('org');
    if (org !== null && org !== this.options.org) return error('not found', `organization name "${org}" not found`);
    const answer = answerFlux(this.store, query, params, (bucket) => this.store.has(bucket));
    if ('error' in answer) return error(answer.code, answer.error);
    return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: answer.csv };
  }
}

/** The record `params = {...}` an `extern` file declares, its literals as Flux's JSON syntax tree writes them. */
function paramsOfExtern(extern: unknown): Record<string, unknown> | undefined {
  type Node = {
    type?: string;
    name?: string;
    value?: unknown;
    id?: Node;
    init?: Node;
    key?: Node;
    properties?: Node[];
    body?: Node[];
  };
  const file = extern as Node | undefined;
  if (file?.type !== 'File') return undefined;
  const declared = (file.body ?? []).find(
    (statement) => statement.type === 'VariableAssignment' && statement.id?.name === 'params',
  );
  if (declared?.init?.type !== 'ObjectExpression') return undefined;
  const params: Record<string, unknown> = {};
  for (const property of declared.init.properties ?? []) {
    const key = property.key?.type === 'Identifier' ? property.key.name : property.key?.value;
    const literal = property.value as Node | undefined;
    const value = literal?.type === 'IntegerLiteral' ? BigInt(String(literal.value)) : literal?.value;
    Object.defineProperty(params, String(key), { value, enumerable: true });
  }
  return params;
}

/** A bucket's ID: 16 hex digits, the same for the same name. */
function bucketId(name: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(name)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

/** An error answer as 2.x's error handler writes it: `X-Platform-Error-Code`, JSON `{ code, message }`. */
function error(code: string, message: string): Answer {
  const status: Record<string, number> = {
    'internal error': 500,
    invalid: 400,
    'unprocessable entity': 422,
    'not found': 404,
    conflict: 422,
    unavailable: 503,
    forbidden: 403,
    'too many requests': 429,
    unauthorized: 401,
    'request too large': 413,
  };
  return json(status[code] ?? 500, { code, message }, { 'X-Platform-Error-Code': code });
}
