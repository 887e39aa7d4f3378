/**
 * InfluxDB 1.x's HTTP API (also what InfluxDB 2.x and 3.x keep for compatibility): `/write`,
 * `/query` and `/ping`, their parameters, and what their answers mean.
 */
import {
  bodyOf,
  ConfigurationException,
  DatabaseNotFoundException,
  ForbiddenException,
  influxqlIdentifier,
  LANGUAGES_OF,
  paramsJson,
  parseJson,
  QueryFailedException,
  type ApiName,
  type JsonValue,
  type LineProtocol,
  type Precision,
} from '../core';
import {
  MAX_ERROR_ANSWER_BYTES,
  type TokenScheme,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from '../transport';
import {
  ask,
  credentialsVerdict,
  fieldOf,
  jsonOf,
  nothingToList,
  type AccessCheck,
  type CheckTarget,
  type ListKind,
  type TargetState,
  type TargetVerdict,
} from './access';
import type { Table } from './answers';
import { databaseAndPolicy, type Destination, type QueryRequest, type ServerApi, type TableQuery } from './api';
import { influxqlTables } from './queries';
import { exceptionFromQueryResult, exceptionFromResponse } from './responses';

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
      { db: database, rp: retentionPolicy, precision: destination.precision ?? this.precision },
      bodyOf(lines),
      signal,
    );
  }

  async writeGzipped(body: Uint8Array, destination: Destination, signal: AbortSignal | undefined): Promise<boolean> {
    const { database, retentionPolicy } = databaseAndPolicy(destination, 'InfluxDB 1.x');
    const query = { db: database, rp: retentionPolicy, precision: destination.precision ?? this.precision };
    await postWrite(this.transport, '/write', query, body, signal, undefined, true);
    return true;
  }

  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
    return influxqlTables(this.transport, text, query);
  }

  /** Runs InfluxQL (POST, so that statements that write work too) and returns the answer, big integers exact. */
  query(text: string, request: QueryRequest): Promise<JsonValue> {
    return v1Query(this.transport, text, request);
  }

  /** Credentials by `SHOW DATABASES` (any user may run it), the database and policy by `SHOW RETENTION POLICIES`. */
  async checkAccess(target: CheckTarget, withCredentials: boolean): Promise<AccessCheck> {
    const asked = await ask(this.transport, SHOW_DATABASES, withCredentials);
    if (asked.refused !== undefined) return asked.refused;
    const credentials = await credentialsVerdict(this.transport, SHOW_DATABASES, withCredentials);
    const { database, retentionPolicy } = v1Target(target);
    if (database === undefined) return { credentials, targets: [] };
    const policies = await this.policiesOn(database);
    const targets: TargetState[] = [{ kind: 'database', name: database, state: policies.state }];
    if (retentionPolicy !== undefined) {
      const state = policies.names === undefined ? 'unchecked' : policies.names.includes(retentionPolicy) ? 'found' : 'missing';
      targets.push({ kind: 'retentionPolicy', name: retentionPolicy, state });
    }
    return { credentials, targets };
  }

  async list(kind: ListKind, target: CheckTarget): Promise<string[]> {
    if (kind === 'databases') return firstColumn(await this.show(SHOW_DATABASES.query?.q ?? ''));
    const { database } = v1Target(target);
    if (kind === 'retentionPolicies' && database !== undefined) return (await this.policiesOn(database)).names ?? [];
    if (kind === 'retentionPolicies') throw new ConfigurationException('name a database to list its retention policies');
    throw nothingToList('InfluxDB 1.x', kind);
  }

  /** `CREATE DATABASE` (an admin's right), when the database is missing. */
  async create(target: CheckTarget): Promise<TargetState> {
    const { database } = v1Target(target);
    if (database === undefined) throw new ConfigurationException('no database to create: name one');
    const { state } = await this.policiesOn(database);
    if (state !== 'missing') return { kind: 'database', name: database, state };
    await this.show(`CREATE DATABASE ${influxqlIdentifier(database)}`, 'POST');
    return { kind: 'database', name: database, state: 'created' };
  }

  /** A database's retention policies, or why they cannot be read: missing, or not this user's to read. */
  private async policiesOn(database: string): Promise<{ state: TargetVerdict; names?: string[] }> {
    try {
      const names = firstColumn(await this.show(`SHOW RETENTION POLICIES ON ${influxqlIdentifier(database)}`));
      return { state: 'found', names };
    } catch (error) {
      if (error instanceof DatabaseNotFoundException) return { state: 'missing' };
      if (error instanceof ForbiddenException) return { state: 'hidden' };
      throw error;
    }
  }

  /** A statement's answer, or the exception of the error inside it. */
  private async show(statement: string, method: 'GET' | 'POST' = 'GET'): Promise<JsonValue> {
    const form = method === 'POST' ? new URLSearchParams({ q: statement }).toString() : undefined;
    const response = await this.transport.request({
      method,
      path: '/query',
      query: method === 'GET' ? { q: statement } : {},
      body: form,
      contentType: form === undefined ? undefined : 'application/x-www-form-urlencoded',
    });
    if (response.status !== 200) throw exceptionFromResponse('check', response);
    const answer = jsonOf(response, statement);
    const results = fieldOf(answer, 'results');
    const result = Array.isArray(results) ? results[0] : undefined;
    const error = result === undefined ? undefined : fieldOf(result, 'error');
    if (typeof error === 'string') throw exceptionFromQueryResult(error, 0);
    return answer;
  }
}

const SHOW_DATABASES: TransportRequest = { method: 'GET', path: '/query', query: { q: 'SHOW DATABASES' } };

/** The 1.x database and policy a check looks for: a bucket reads as `database/retention-policy`. */
function v1Target(target: CheckTarget): { database: string | undefined; retentionPolicy: string | undefined } {
  if (target.bucket === undefined && target.database === undefined) return { database: undefined, retentionPolicy: undefined };
  return databaseAndPolicy(target, 'InfluxDB 1.x');
}

/** The first column of the first series of a 1.x answer: the names `SHOW DATABASES` and its kin list. */
function firstColumn(answer: JsonValue): string[] {
  const results = fieldOf(answer, 'results');
  const series = Array.isArray(results) && results[0] !== undefined ? fieldOf(results[0], 'series') : undefined;
  const first = Array.isArray(series) ? series[0] : undefined;
  const values = first === undefined ? undefined : fieldOf(first, 'values');
  if (!Array.isArray(values)) return [];
  return values.flatMap((row) => (Array.isArray(row) && typeof row[0] === 'string' ? [row[0]] : []));
}

/** POSTs line protocol to a write endpoint; throws the exception its answer means. */
export async function postWrite(
  transport: Transport,
  path: string,
  query: Record<string, string | undefined>,
  body: string | Uint8Array,
  signal: AbortSignal | undefined,
  tokenScheme?: TokenScheme,
  gzipped?: boolean,
): Promise<void> {
  const response = await transport.request({
    method: 'POST',
    path,
    query,
    body,
    gzipped,
    signal,
    tokenScheme,
    cut: MAX_ERROR_ANSWER_BYTES,
  });
  if (!isWritten(response)) throw exceptionFromResponse('write', response);
}

/** InfluxQL through `/query`, the 1.x endpoint every InfluxDB keeps. */
export async function v1Query(transport: Transport, text: string, request: QueryRequest): Promise<JsonValue> {
  const form = new URLSearchParams({ q: text });
  if (request.params !== undefined) form.set('params', paramsJson(request.params));
  const response = await transport.request({
    method: 'POST',
    path: '/query',
    query: { db: request.database, epoch: request.epoch },
    body: form.toString(),
    contentType: 'application/x-www-form-urlencoded',
    acceptGzip: true,
    maxAnswerBytes: request.maxAnswerBytes,
    signal: request.signal,
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
