/**
 * InfluxDB 2.x: `/api/v2/write` with an org and a bucket, or, for a database (and retention policy),
 * its v1 `/write` through the DBRP mapping; either with the precision names it knows. InfluxQL
 * through its v1 `/query`. Read from its source (v2.9: http/write_handler.go, http/legacy/).
 */
import { LANGUAGES_OF, ConfigurationException, type ApiName, type JsonValue, type LineProtocol, type Precision } from '../core';
import type { Transport, TransportRequest } from '../transport';
import {
  ask,
  fieldOf,
  jsonOf,
  namesIn,
  type AccessCheck,
  type CheckTarget,
  type ListKind,
  type TargetState,
  type TargetVerdict,
} from './access';
import type { Table } from './answers';
import type { Destination, QueryRequest, ServerApi, TableQuery } from './api';
import { bodyIn, v2Precision } from './precision';
import { fluxTables, influxqlTables } from './queries';
import { exceptionFromResponse } from './responses';
import { postWrite, v1Query } from './v1';

export class V2Api implements ServerApi {
  readonly name: ApiName = '2';
  readonly languages = LANGUAGES_OF['2'];

  constructor(
    private readonly transport: Transport,
    private readonly precision: Precision,
  ) {}

  async write(lines: LineProtocol, destination: Destination, signal: AbortSignal | undefined): Promise<void> {
    const sent = v2Precision(destination.precision ?? this.precision);
    const { path, query } = this.endpoint(destination, sent.name);
    await postWrite(this.transport, path, query, bodyIn(lines, sent), signal);
  }

  async writeGzipped(body: Uint8Array, destination: Destination, signal: AbortSignal | undefined): Promise<boolean> {
    const sent = v2Precision(destination.precision ?? this.precision);
    // Minutes and hours go as seconds: the lines must be rewritten.
    if (sent.factor !== 1n) return false;
    const { path, query } = this.endpoint(destination, sent.name);
    await postWrite(this.transport, path, query, body, signal, undefined, true);
    return true;
  }

  /** A bucket's `/api/v2/write`, or a database's v1 `/write` through its DBRP mapping. */
  private endpoint(destination: Destination, precision: string): { path: string; query: Record<string, string | undefined> } {
    const { bucket, org, database, retentionPolicy } = destination;
    if (bucket !== undefined) {
      if (org === undefined) {
        throw new ConfigurationException(
          `InfluxDB 2.x writes to bucket ${JSON.stringify(bucket)} of an organization: set the org (the server answers "Please provide either orgID or org" without one)`,
        );
      }
      if (retentionPolicy !== undefined) {
        throw new ConfigurationException(
          `retention policy ${JSON.stringify(retentionPolicy)} is InfluxDB 1.x's: a 2.x bucket has its own retention. Leave it out, or write to a database through its DBRP mapping`,
        );
      }
      return { path: '/api/v2/write', query: { org, bucket, precision } };
    }
    if (database === undefined) {
      throw new ConfigurationException(
        'no bucket to write to: InfluxDB 2.x needs a bucket (and its org), or a database mapped to one',
      );
    }
    return { path: '/write', query: { db: database, rp: retentionPolicy, precision } };
  }

  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
    return query.language === 'flux' ? fluxTables(this.transport, text, query) : influxqlTables(this.transport, text, query);
  }

  query(text: string, request: QueryRequest): Promise<JsonValue> {
    return v1Query(this.transport, text, request);
  }

  /**
   * The org by `/api/v2/orgs`, its bucket by `/api/v2/buckets`, a database by its DBRP mappings. 2.x always
   * checks a token, and lists only what the token may read: a bucket it does not list may still take writes.
   */
  async checkAccess(target: CheckTarget, withCredentials: boolean): Promise<AccessCheck> {
    const { org, bucket, database, retentionPolicy } = target;
    const first: TransportRequest =
      org === undefined
        ? { method: 'GET', path: '/api/v2/buckets', query: { limit: '1' } }
        : { method: 'GET', path: '/api/v2/orgs', query: { org } };
    const asked = await this.ask(first, withCredentials);
    if (asked.refused !== undefined) return asked.refused;
    const credentials = withCredentials ? 'accepted' : 'open';
    if (org === undefined) {
      const named = bucket ?? database;
      return {
        credentials,
        targets:
          named === undefined ? [] : [{ kind: bucket === undefined ? 'database' : 'bucket', name: named, state: 'unchecked' }],
      };
    }
    const orgState: TargetVerdict =
      asked.response.status === 404
        ? 'missing'
        : namesIn(fieldOf(jsonOf(asked.response, 'orgs'), 'orgs'), 'name').includes(org)
          ? 'found'
          : 'hidden';
    const targets: TargetState[] = [{ kind: 'org', name: org, state: orgState }];
    if (orgState !== 'found') {
      if (bucket !== undefined) targets.push({ kind: 'bucket', name: bucket, state: 'unchecked' });
      return { credentials, targets };
    }
    if (bucket !== undefined) {
      targets.push({ kind: 'bucket', name: bucket, state: await this.bucketState(org, bucket) });
    } else if (database !== undefined) {
      const mappings = await this.mappings(org, database);
      targets.push({ kind: 'database', name: database, state: mappings.length > 0 ? 'found' : 'missing' });
      if (retentionPolicy !== undefined) {
        const state = mappings.length === 0 ? 'unchecked' : mappings.includes(retentionPolicy) ? 'found' : 'missing';
        targets.push({ kind: 'retentionPolicy', name: retentionPolicy, state });
      }
    }
    return { credentials, targets };
  }

  async list(kind: ListKind, target: CheckTarget): Promise<string[]> {
    if (kind === 'orgs') return namesIn(fieldOf(await this.get('/api/v2/orgs', {}), 'orgs'), 'name');
    const org = target.org;
    if (org === undefined)
      throw new ConfigurationException('set the org first: InfluxDB 2.x lists buckets and databases by organization');
    if (kind === 'buckets') {
      const buckets = namesIn(fieldOf(await this.get('/api/v2/buckets', { org, limit: '100' }), 'buckets'), 'name');
      // Names starting with "_" are 2.x's own (_monitoring, _tasks).
      return buckets.filter((name) => !name.startsWith('_'));
    }
    if (kind === 'databases')
      return [...new Set(namesIn(fieldOf(await this.get('/api/v2/dbrps', { org }), 'content'), 'database'))];
    if (target.database === undefined) throw new ConfigurationException('name a database to list its retention policies');
    return this.mappings(org, target.database);
  }

  /** A bucket of the org, made with the org's default retention when it is missing. */
  async create(target: CheckTarget): Promise<TargetState> {
    const { org, bucket } = target;
    if (org === undefined || bucket === undefined) {
      throw new ConfigurationException('InfluxDB 2.x makes buckets in an organization: set the org and the bucket');
    }
    const state = await this.bucketState(org, bucket);
    if (state !== 'missing') return { kind: 'bucket', name: bucket, state };
    const orgs = fieldOf(await this.get('/api/v2/orgs', { org }), 'orgs');
    const id = Array.isArray(orgs) && orgs[0] !== undefined ? fieldOf(orgs[0], 'id') : undefined;
    if (typeof id !== 'string')
      throw new ConfigurationException(`organization ${JSON.stringify(org)} has no ID in the server's answer`);
    const response = await this.transport.request({
      method: 'POST',
      path: '/api/v2/buckets',
      body: JSON.stringify({ orgID: id, name: bucket, retentionRules: [] }),
      contentType: 'application/json',
    });
    if (response.status !== 201) throw exceptionFromResponse('check', response);
    return { kind: 'bucket', name: bucket, state: 'created' };
  }

  private async bucketState(org: string, bucket: string): Promise<TargetVerdict> {
    const response = await this.transport.request({ method: 'GET', path: '/api/v2/buckets', query: { org, name: bucket } });
    if (response.status === 404) return 'missing';
    if (response.status !== 200) throw exceptionFromResponse('check', response);
    return namesIn(fieldOf(jsonOf(response, 'buckets'), 'buckets'), 'name').includes(bucket) ? 'found' : 'hidden';
  }

  /** The retention policies a database is mapped for in the org (none: no mapping). */
  private async mappings(org: string, database: string): Promise<string[]> {
    return namesIn(fieldOf(await this.get('/api/v2/dbrps', { org, db: database }), 'content'), 'retention_policy');
  }

  private ask(request: TransportRequest, withCredentials: boolean): ReturnType<typeof ask> {
    return ask(this.transport, request, withCredentials, [404]);
  }

  private async get(path: string, query: Record<string, string>): Promise<JsonValue> {
    const response = await this.transport.request({ method: 'GET', path, query });
    if (response.status !== 200) throw exceptionFromResponse('check', response);
    return jsonOf(response, path);
  }
}
