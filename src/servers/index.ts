/** One module per server HTTP API: paths, parameters, and what each answer means. */
export type { AccessCheck, AccessReport, CredentialsVerdict, ListKind, TargetKind, TargetState, TargetVerdict } from './access';
export type { Destination, QueryRequest, ServerApi, TableQuery } from './api';
export { V1Api } from './v1';
export { V2Api } from './v2';
export { V3Api, type V3Options } from './v3';
export { stringFieldOf, VictoriaApi, victoriaAnswersNoQueries } from './victoria';
export { CHUNK_ROWS, type Cell, type Table } from './answers';
export { describeServer, ping, serverOfPing, type ServerInfo } from './ping';
export { exceptionFromQueryResult, exceptionFromResponse, parseRetryAfter, serverErrorText, type Operation } from './responses';
