import {
  ConfigurationException,
  type ApiName,
  type JsonValue,
  type LineProtocol,
  type Precision,
  type QueryLanguage,
  type QueryParams,
} from '../core';
import type { AccessCheck, CheckTarget, ListKind, TargetState } from './access';
import type { Table } from './answers';

/** Where a write goes: the call's target with the client's defaults filled in. Each API takes its own kind. */
export interface Destination {
  database: string | undefined;
  retentionPolicy: string | undefined;
  bucket: string | undefined;
  org: string | undefined;
  /** The unit of the lines' times when it is not the client's: a batch kept on disk at an earlier precision. */
  precision?: Precision | undefined;
}

export interface QueryRequest {
  database: string | undefined;
  epoch: Precision | undefined;
  /** Bound parameters, checked. */
  params: QueryParams | undefined;
  /** Instead of the client's cap on an answer read whole. */
  maxAnswerBytes?: number | undefined;
  /** Abandons the query: its request is dropped. */
  signal?: AbortSignal | undefined;
}

/** A query whose answer is read as it arrives. */
export interface TableQuery {
  language: QueryLanguage;
  database: string | undefined;
  org: string | undefined;
  epoch: Precision | undefined;
  /** Bound parameters, checked; each API writes them its own way. */
  params: QueryParams | undefined;
  signal: AbortSignal | undefined;
  /** Instead of the client's cap on a line of the answer. */
  maxAnswerBytes?: number | undefined;
  /** The whole answer is kept (not handed on a chunk at a time): the cap holds for the answer as a whole. */
  whole?: boolean | undefined;
}

/** One server HTTP API: where writes and queries go, with which parameters, and what the answers mean. */
export interface ServerApi {
  readonly name: ApiName;
  /** The query languages it answers, the first its own. */
  readonly languages: readonly QueryLanguage[];
  /** Runs a query in one of its languages; its answer's tables as they arrive. */
  tables(text: string, query: TableQuery): AsyncGenerator<Table, void, undefined>;
  /** Writes line protocol (in the destination's precision, else the client's) in one request; throws the exception its answer means. */
  write(lines: LineProtocol, destination: Destination, signal: AbortSignal | undefined): Promise<void>;
  /**
   * Writes gzipped line protocol (in the destination's precision, else the client's) as it is, when the API sends lines unchanged;
   * false, sending nothing, when it must see them (another unit of time, lines checked one by one).
   */
  writeGzipped(body: Uint8Array, destination: Destination, signal: AbortSignal | undefined): Promise<boolean>;
  /** Runs InfluxQL and returns the answer in 1.x's JSON shape, big integers exact. */
  query(text: string, request: QueryRequest): Promise<JsonValue>;
  /** What the server says of the credentials and of each part of the target, asked without writing. */
  checkAccess(target: CheckTarget, withCredentials: boolean): Promise<AccessCheck>;
  /** The names the server has of a kind (databases, a database's retention policies, an org's buckets, orgs). */
  list(kind: ListKind, target: CheckTarget): Promise<string[]>;
  /** Makes the target's database or bucket if it is missing; what it is now. */
  create(target: CheckTarget): Promise<TargetState>;
}

/** The 1.x database and retention policy of a destination: a bucket reads as `database/retention-policy`. */
export function databaseAndPolicy(
  destination: Destination,
  api: string,
): { database: string; retentionPolicy: string | undefined } {
  if (destination.bucket !== undefined) {
    const slash = destination.bucket.indexOf('/');
    if (slash < 0) return { database: destination.bucket, retentionPolicy: destination.retentionPolicy };
    return { database: destination.bucket.slice(0, slash), retentionPolicy: destination.bucket.slice(slash + 1) || undefined };
  }
  if (destination.database === undefined) {
    throw new ConfigurationException(`no database to write to: ${api} needs a database (the DSN's path, or the database option)`);
  }
  return { database: destination.database, retentionPolicy: destination.retentionPolicy };
}
