/**
 * node-red-contrib-inflow: a client for the InfluxDB 1.x HTTP API (a TypeScript port of the Python
 * Inflow client), usable from plain Node.js and from Node-RED function nodes.
 */
export { Client, type ClientOptions, type PingResult } from './client/client';
export {
  Measurement,
  type Kwargs,
  type MeasurementDict,
  type MeasurementInit,
  type MeasurementLike,
  type Template,
  type WriteOptions,
} from './client/measurement';
export { Session, type SessionOptions } from './client/session';
export type { QueryOptions, QueryParam, QueryValue, RawQueryResponse, RawSeries, RawStatementResult, Row, Series } from './client/query';
export type { FieldValue, Fields, TagValue, Tags } from './client/line-protocol';
export { PRECISIONS, type Precision, type Timestamp } from './client/time';
export { parseDsn, maskDsn, type Dsn } from './client/dsn';
export type { TlsOptions } from './client/transport';
export {
  InfluxDBException,
  QueryFailedException,
  WriteFailedException,
  DatabaseNotFoundException,
  RetentionPolicyNotFoundException,
  UnauthorizedException,
  ForbiddenException,
  ConnectionFailedException,
  TimeoutException,
  InvalidMeasurementException,
  ConfigurationException,
  ClientClosedException,
  BufferOverflowException,
} from './client/errors';
export { BatchWriter, type Acknowledge, type BatchWriterOptions, type BatchSink, type EntryLines } from './client/batch-writer';
export type { LineProtocol } from './client/line-protocol';
export { RetryPolicy, type RetryOptions } from './client/retry';
export { Spool, SpoolLockedError, type SpoolDamage, type SpoolOptions, type SpoolRecord } from './client/spool';
