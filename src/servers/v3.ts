/**
 * InfluxDB 3 Core and Enterprise: `/api/v3/write_lp` with a database, its precision names, and
 * `accept_partial` (the good lines are stored, the bad ones named by number). It has no retention
 * policies: its v1 `/write` would store `db` with `rp` in a database named "db/rp", so a retention
 * policy is refused. InfluxQL through its v1 `/query`. Read from its source (influxdb3_server/src/http.rs).
 */
import { LANGUAGES_OF, ConfigurationException, type ApiName, type JsonValue, type LineProtocol, type Precision } from '../core';
import type { Transport } from '../transport';
import type { Table } from './answers';
import type { Destination, QueryRequest, ServerApi, TableQuery } from './api';
import { bodyIn, v3Precision } from './precision';
import { sqlTables, influxqlTables } from './queries';
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
    const database = v3Database(destination);
    const sent = v3Precision(this.precision);
    const query = {
      db: database,
      precision: sent.name,
      accept_partial: 'true',
      no_sync: this.options.noSync ? 'true' : undefined,
    };
    await postWrite(this.transport, '/api/v3/write_lp', query, bodyIn(lines, sent), signal);
  }

  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
    return query.language === 'sql' ? sqlTables(this.transport, text, query) : influxqlTables(this.transport, text, query);
  }

  query(text: string, request: QueryRequest): Promise<JsonValue> {
    return v1Query(this.transport, text, request);
  }
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
