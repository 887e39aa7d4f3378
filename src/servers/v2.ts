/**
 * InfluxDB 2.x: `/api/v2/write` with an org and a bucket, or, for a database (and retention policy),
 * its v1 `/write` through the DBRP mapping; either with the precision names it knows. InfluxQL
 * through its v1 `/query`. Read from its source (v2.9: http/write_handler.go, http/legacy/).
 */
import { LANGUAGES_OF, ConfigurationException, type ApiName, type JsonValue, type LineProtocol, type Precision } from '../core';
import type { Transport } from '../transport';
import type { Table } from './answers';
import type { Destination, QueryRequest, ServerApi, TableQuery } from './api';
import { bodyIn, v2Precision } from './precision';
import { fluxTables, influxqlTables } from './queries';
import { postWrite, v1Query } from './v1';

export class V2Api implements ServerApi {
  readonly name: ApiName = '2';
  readonly languages = LANGUAGES_OF['2'];

  constructor(
    private readonly transport: Transport,
    private readonly precision: Precision,
  ) {}

  async write(lines: LineProtocol, destination: Destination, signal: AbortSignal | undefined): Promise<void> {
    const sent = v2Precision(this.precision);
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
      await postWrite(this.transport, '/api/v2/write', { org, bucket, precision: sent.name }, bodyIn(lines, sent), signal);
      return;
    }
    if (database === undefined) {
      throw new ConfigurationException(
        'no bucket to write to: InfluxDB 2.x needs a bucket (and its org), or a database mapped to one',
      );
    }
    await postWrite(
      this.transport,
      '/write',
      { db: database, rp: retentionPolicy, precision: sent.name },
      bodyIn(lines, sent),
      signal,
    );
  }

  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined> {
    return query.language === 'flux' ? fluxTables(this.transport, text, query) : influxqlTables(this.transport, text, query);
  }

  query(text: string, request: QueryRequest): Promise<JsonValue> {
    return v1Query(this.transport, text, request);
  }
}
