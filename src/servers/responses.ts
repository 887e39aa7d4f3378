/** An HTTP answer -> the exception a caller can branch on, with the server's own words. */
import {
  DatabaseNotFoundException,
  ForbiddenException,
  InfluxDBException,
  QueryFailedException,
  RetentionPolicyNotFoundException,
  UnauthorizedException,
  WriteFailedException,
  type ExceptionDetails,
} from '../core';
import type { TransportResponse } from '../transport';

export type Operation = 'write' | 'query' | 'ping';

const MAX_QUOTED_BODY = 300;

/** The error text of an InfluxDB response: its JSON `error`, its `X-Influxdb-Error` header, or its body. */
export function serverErrorText(response: TransportResponse): string {
  const body = response.body.trim();
  if (body.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (isRecord(parsed) && typeof parsed.error === 'string') return parsed.error;
      if (isRecord(parsed) && typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all: fall through to the header or the raw text
    }
  }
  const header = headerValue(response.headers, 'x-influxdb-error');
  if (header) return header;
  if (body)
    return response.truncatedAt === undefined
      ? shorten(body)
      : `${shorten(body)} (an answer of more than ${response.truncatedAt} bytes, cut there)`;
  return `HTTP ${response.status} with an empty body`;
}

/** Maps a failed HTTP response of one operation to the exception a caller can branch on. */
export function exceptionFromResponse(operation: Operation, response: TransportResponse): InfluxDBException {
  const { status } = response;
  const serverMessage = serverErrorText(response);
  const details: ExceptionDetails = { status, serverMessage };
  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(headerValue(response.headers, 'retry-after'));
    if (retryAfter !== undefined) details.retryAfter = retryAfter;
  }
  const message = `${operation} failed with HTTP ${status}: ${shorten(serverMessage)}`;

  if (status === 401) return new UnauthorizedException(message, details);
  if (status === 403) return new ForbiddenException(message, details);
  if (/database not found/i.test(serverMessage)) return new DatabaseNotFoundException(message, details);
  if (/retention policy not found/i.test(serverMessage)) {
    return new RetentionPolicyNotFoundException(message, details);
  }
  if (status >= 200 && status < 300) {
    const type = headerValue(response.headers, 'content-type') ?? 'no content type';
    return operationException(
      operation,
      `${operation} answered HTTP ${status} with a body (${type}: ${shorten(JSON.stringify(response.body.slice(0, 80)))}) where ` +
        "InfluxDB answers 204 and none: nothing was stored. Is the URL InfluxDB's, or a proxy or login page in front of it?",
      details,
    );
  }
  if (status === 404) {
    const hint = `${message} (is the DSN's address an InfluxDB 1.x HTTP API?)`;
    return operationException(operation, hint, details);
  }
  return operationException(operation, message, details);
}

/** Maps an error reported inside a 200 query response (`results[i].error`). */
export function exceptionFromQueryResult(errorText: string, statementId: number): InfluxDBException {
  const message = `query failed in statement ${statementId}: ${shorten(errorText)}`;
  const details: ExceptionDetails = { status: 200, serverMessage: errorText };
  if (/database not found/i.test(errorText)) return new DatabaseNotFoundException(message, details);
  if (/retention policy not found/i.test(errorText)) return new RetentionPolicyNotFoundException(message, details);
  if (/not authorized|requires .* privilege|error authorizing/i.test(errorText)) {
    return new ForbiddenException(message, details);
  }
  return new QueryFailedException(message, details);
}

function operationException(operation: Operation, message: string, details: ExceptionDetails): InfluxDBException {
  switch (operation) {
    case 'write':
      return new WriteFailedException(message, details);
    case 'query':
      return new QueryFailedException(message, details);
    default:
      return new InfluxDBException(message, details);
  }
}

/**
 * Server text for a message: whole up to MAX_QUOTED_BODY characters; beyond, its start and end
 * around "...", since it may quote a huge line before saying what is wrong with it.
 */
function shorten(text: string): string {
  if (text.length <= MAX_QUOTED_BODY) return text;
  const half = MAX_QUOTED_BODY / 2;
  return `${text.slice(0, half)}...${text.slice(-half)}`;
}

/** `Retry-After` is delta-seconds or an HTTP date; returns milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function headerValue(headers: TransportResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
