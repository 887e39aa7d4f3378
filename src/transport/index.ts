/** HTTP to one server: a keep-alive connection pool, timeouts, auth header, gzip, TLS, capped answers. */
export {
  MAX_ERROR_ANSWER_BYTES,
  tooLarge,
  Transport,
  type TlsOptions,
  type StreamedResponse,
  type TokenScheme,
  type TransportOptions,
  type TransportRequest,
  type TransportResponse,
} from './transport';
export { redactException, Redactor, type Secrets } from './redact';
