/**
 * Why a server could not be used, in a flow author's words: a locale key under `reason.` (refused,
 * host name not found, no route, reset, TLS, no answer in time, an HTTP status with the server's
 * words) and its values, found from the exception and the system error under it.
 */
import { ConnectionFailedException, TimeoutException, type InfluxDBException } from '../../core';

export type Reason = 'refused' | 'dns' | 'noRoute' | 'reset' | 'tls' | 'timeout' | 'http' | 'other';

export interface ReasonText {
  reason: Reason;
  /** The detail: the server's words, the TLS library's, or the exception's message. */
  why: string;
  status?: number;
}

const BY_CODE: Record<string, Reason> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  EHOSTUNREACH: 'noRoute',
  ENETUNREACH: 'noRoute',
  EHOSTDOWN: 'noRoute',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|ERR_OSSL)/;

export function reasonOf(error: InfluxDBException): ReasonText {
  if (error instanceof TimeoutException) return { reason: 'timeout', why: error.message };
  if (error instanceof ConnectionFailedException) {
    for (const cause of causesOf(error)) {
      const code = codeOf(cause);
      if (code === undefined) continue;
      const reason = BY_CODE[code];
      if (reason !== undefined) return { reason, why: code };
      if (TLS_CODE.test(code)) return { reason: 'tls', why: messageOf(cause) };
    }
    return { reason: 'other', why: error.message };
  }
  if (error.status !== undefined) return { reason: 'http', why: error.serverMessage ?? error.message, status: error.status };
  return { reason: 'other', why: error.message };
}

/** The errors under an exception, nearest first (a few levels: undici's under ours, the system's under undici's). */
function causesOf(error: Error): unknown[] {
  const causes: unknown[] = [];
  let cause: unknown = error.cause;
  while (cause !== undefined && causes.length < 5) {
    causes.push(cause);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return causes;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
