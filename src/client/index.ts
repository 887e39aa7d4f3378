/** The Inflow port: a Client made from a DSN, its write forms, Sessions, and queries reshaped into series. */
export {
  Client,
  describeServer,
  type AccessReport,
  type ClientOptions,
  type CredentialsVerdict,
  type ListKind,
  type PingResult,
  type ServerInfo,
  type TargetKind,
  type TargetState,
  type TargetVerdict,
} from './client';
export { maskDsn, parseDsn, parseServerUrl, type Dsn } from './dsn';
export {
  isDictForm,
  Measurement,
  type Kwargs,
  type MeasurementDict,
  type MeasurementInit,
  type MeasurementLike,
  type Template,
  type WriteCallOptions,
} from './measurement';
export type { QueryOptions, QueryParam, QueryValue, RawQueryResponse, RawSeries, RawStatementResult, Row, Series } from './query';
export { rangeBounds, rfc3339Of, type TimeBound, type TimeRange } from './time-range';
export { Session, type SessionOptions } from './session';
export { Point } from './point';
export { isRecordShape, type RecordShape, type WriteRecord } from './records';
export {
  invalidValuesOf,
  LineMaker,
  linesOfRecords,
  type InvalidValues,
  type LineMakerOptions,
  type RecordOutcome,
  type Where,
} from './write-input';
export type { FieldType, FieldTypesOptions } from './field-types';
export { WriteApi, WriteOptions, type WriteApiOptions } from './write-api';
