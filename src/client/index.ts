/** The Inflow port: a Client made from a DSN, its write forms, Sessions, and queries reshaped into series. */
export { Client, describeServer, type ClientOptions, type PingResult, type ServerInfo } from './client';
export { maskDsn, parseDsn, parseServerUrl, type Dsn } from './dsn';
export {
  isDictForm,
  Measurement,
  type Kwargs,
  type MeasurementDict,
  type MeasurementInit,
  type MeasurementLike,
  type Template,
} from './measurement';
export type { QueryOptions, QueryParam, QueryValue, RawQueryResponse, RawSeries, RawStatementResult, Row, Series } from './query';
export { Session, type SessionOptions } from './session';
export { Point } from './point';
export { isRecordShape, linesOfRecords, type RecordShape, type WriteRecord } from './records';
export { WriteApi, WriteOptions, type WriteApiOptions } from './write-api';
