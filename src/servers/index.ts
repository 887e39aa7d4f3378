/** One module per server HTTP API: paths, parameters, and what each answer means. */
export { V1Api, type V1QueryRequest, type V1WriteTarget } from './v1';
export { stringFieldOf, VictoriaApi } from './victoria';
export { exceptionFromQueryResult, exceptionFromResponse, parseRetryAfter, serverErrorText, type Operation } from './responses';
