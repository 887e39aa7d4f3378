/** One module per server HTTP API: paths, parameters, and what each answer means. */
export type { ApiName, Destination, QueryRequest, ServerApi } from './api';
export { V1Api } from './v1';
export { V2Api } from './v2';
export { V3Api, type V3Options } from './v3';
export { stringFieldOf, VictoriaApi } from './victoria';
export { describeServer, ping, serverOfPing, type ServerInfo } from './ping';
export { exceptionFromQueryResult, exceptionFromResponse, parseRetryAfter, serverErrorText, type Operation } from './responses';
