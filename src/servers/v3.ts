/**
 * InfluxDB 3 Core and Enterprise: `/api/v3/write_lp` with a database, its precision names, and
 * `accept_partial` (the good lines are stored, the bad ones named by number). It has no retention
 * policies: its v1 `/write` would store `db` with `rp` in a database named "db/rp", so a retention
 * policy is refused. InfluxQL through its v1 `/query`. Read from its source (influxdb3_server/src/http.rs).
 */
import { LANGUAGES_OF, ConfigurationException, type ApiName, type JsonValue, type LineProtocol, type Precision } from '../core';
import type { Transport, TransportRequest, TransportResponse } from '../transport';
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
} from './access';
import type { Table } from './answers';
import type { Destination, QueryRequest, ServerApi, TableQuery } from './api';
import { bodyIn, v3Precision } from './precision';
import { sqlTables, influxqlTables } from './queries';
import { exceptionFromResponse } from './responses';
import { postWrite, v1Query } from './v1';

export interface V3Options {
  /** Answer a write before it is on the server's disk (`no_sync`): faster, and lost if the server crashes. */
  noSync: boolean;
}

export class V3Api implements ServerApi {
  readonly name: ApiName = '3';
  readonly languages = LANGUAGES_OF['3'];

  constructor(
    private readonly transport: Transport,
    private readonly precision: Precision,
    private readonly options: V3Options,
  ) {}

  async write(lines: LineProtocol, destination: Destination, signal: AbortSignal | undefined): Promise<void> {
    const sent = v3Precision(destination.precision ?? this.precision);
    await postWrite(this.transport, '/api/v3/write_lp', this.writeQuery(destination, sent.name), bodyIn(lines, sent), signal);
  }

  async writeGzipped(body: Uint8Array, destination: Destination, signal: AbortSignal | undefined): Promise<boolean> {
    const sent = v3Precision(destination.precision ?? this.precision);
    if (sent.factor !== 1n) return false;
    await postWrite(this.transport, '/api/v3/write_lp', this.writeQuery(destination, sent.name), body, signal, undefined, true);
    return true;
  }

  private writeQuery(destination: Destination, precision: string): Record<string, string | undefined> {
    return {
      db: v3Database(destination),
      precision,
      accept_partial: 'true',
      no_sync: this.options.noSync ? 'true' : undefined,
    };
  }

  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
    return query.language === 'sql' ? sqlTables(this.transport, text, query) : influxqlTables(this.transport, text, query);
  }

  query(text: string, request: QueryRequest): Promise<JsonValue> {
    return v1Query(this.transport, text, request);
  }

  /** The token and the database by the database list (`/api/v3/configure/database`); a database is made by its first write. */
  async checkAccess(target: CheckTarget, withCredentials: boolean): Promise<AccessCheck> {
    const asked = await ask(this.transport, DATABASES, withCredentials);
    if (asked.refused !== undefined) return asked.refused;
    const credentials = await credentialsVerdict(this.transport, DATABASES, withCredentials);
    const database = target.bucket ?? target.database;
    if (database === undefined) return { credentials, targets: [] };
    // A token limited to some databases may not list them: the first write tells.
    if (asked.response.status === 403) return { credentials, targets: [{ kind: 'database', name: database, state: 'hidden' }] };
    const found = databasesIn(asked.response).includes(database);
    return { credentials, targets: [{ kind: 'database', name: database, state: found ? 'found' : 'onFirstWrite' }] };
  }

  async list(kind: ListKind): Promise<string[]> {
    if (kind !== 'databases') throw nothingToList('InfluxDB 3', kind);
    const response = await this.transport.request(DATABASES);
    if (response.status !== 200) throw exceptionFromResponse('check', response);
    return databasesIn(response).filter((name) => name !== '_internal');
  }

  /** Nothing to make: InfluxDB 3 makes a database with the first write to it. */
  async create(target: CheckTarget): Promise<TargetState> {
    const { targets } = await this.checkAccess(target, true);
    const database = targets[0];
    if (database === undefined) throw new ConfigurationException('no database to create: name one');
    return database;
  }
}

const DATABASES: TransportRequest = { method: 'GET', path: '/api/v3/configure/database', query: { format: 'json' } };

/** The databases of a `/api/v3/configure/database` answer that are not deleted. */
function databasesIn(response: TransportResponse): string[] {
  const list = jsonOf(response, 'databases');
  if (!Array.isArray(list)) return [];
  return list.flatMap((row) => {
    const name = fieldOf(row, 'iox::database');
    return typeof name === 'string' && fieldOf(row, 'deleted') !== true ? [name] : [];
  });
}

/** The database of a destination on 3.x: a bucket names it, as on 3.x's own v2 endpoint. */
function v3Database(destination: Destination): string {
  if (destination.retentionPolicy !== undefined) {
    throw new ConfigurationException(
      `retention policy ${JSON.stringify(destination.retentionPolicy)} cannot be honoured: InfluxDB 3 has none ` +
        '(its 1.x API would write into a database named "database/policy"). Leave it out: retention is set per database',
    );
  }
  const database = destination.bucket ?? destination.database;
  if (database === undefined) throw new ConfigurationException('no database to write to: InfluxDB 3 needs a database');
  if (destination.bucket?.includes('/')) {
    throw new ConfigurationException(
      `bucket ${JSON.stringify(destination.bucket)} reads as database/retention-policy, and InfluxDB 3 has no retention policies: name the database alone`,
    );
  }
  return database;
}
