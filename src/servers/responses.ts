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
  type RejectedLine,
} from '../core';
import type { TransportResponse } from '../transport';

export type Operation = 'write' | 'query' | 'ping' | 'check';

const MAX_QUOTED_BODY = 300;

/** vmauth (in front of VictoriaMetrics) refuses an unknown token with a 400 that says so. */
const VMAUTH_REFUSED = /cannot find the provided auth token/i;

/**
 * Where to write or read does not exist: 1.x "database not found", 3.x "Database x not found" and
 * "database not found x", 2.x "bucket \"x\" not found", "organization name \"x\" not found",
 * "no dbrp mapping found" and, from Flux, "could not find bucket".
 */
const NOT_FOUND =
  /\bdatabase\b.*\bnot found\b|\bbucket\b.*\bnot found\b|\borganization name\b.*\bnot found\b|no dbrp mapping found|could not find bucket/i;

/**
 * The error text of an InfluxDB response: its JSON `error` (1.x, 3.x, with the lines 3.x names) or
 * `message` (2.x), its `X-Influxdb-Error` header, or its body.
 */
export function serverErrorText(response: TransportResponse): string {
  const body = response.body.trim();
  const parsed = jsonOf(body);
  if (isRecord(parsed) && typeof parsed.error === 'string') {
    const lines = rejectedLinesOf(parsed.data);
    if (lines.length === 0) return parsed.error;
    return `${parsed.error}: ${lines.map((line) => `line ${line.line}: ${line.message}`).join('; ')}`;
  }
  if (isRecord(parsed) && typeof parsed.message === 'string') return parsed.message;
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
  const rejectedLines = rejectedLinesOf(jsonOf(response.body.trim()), 'data');
  if (rejectedLines.length > 0) details.rejectedLines = rejectedLines;
  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(headerValue(response.headers, 'retry-after'));
    if (retryAfter !== undefined) details.retryAfter = retryAfter;
  }
  const message = `${operation} failed with HTTP ${status}: ${shorten(serverMessage)}`;

  if (status === 401 || VMAUTH_REFUSED.test(serverMessage)) return new UnauthorizedException(message, details);
  if (status === 403) return new ForbiddenException(message, details);
  if (NOT_FOUND.test(serverMessage)) return new DatabaseNotFoundException(message, details);
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
    const hint = `${message} (is the URL the server's, and the server version the one it runs?)`;
    return operationException(operation, hint, details);
  }
  return operationException(operation, message, details);
}

/** Maps an error reported inside a 200 query response (`results[i].error`). */
export function exceptionFromQueryResult(errorText: string, statementId: number): InfluxDBException {
  const message = `query failed in statement ${statementId}: ${shorten(errorText)}`;
  const details: ExceptionDetails = { status: 200, serverMessage: errorText };
  if (NOT_FOUND.test(errorText)) return new DatabaseNotFoundException(message, details);
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

/** The lines a 3.x answer names in `data`: an array of them (a partial write), or one (a parse error). */
function rejectedLinesOf(data: unknown, key?: 'data'): RejectedLine[] {
  const value = key === undefined ? data : isRecord(data) ? data[key] : undefined;
  const entries = Array.isArray(value) ? (value as unknown[]) : isRecord(value) ? [value] : [];
  const lines: RejectedLine[] = [];
  for (const entry of entries) {
    if (isRecord(entry) && typeof entry.line_number === 'number' && typeof entry.error_message === 'string') {
      lines.push({ line: entry.line_number, message: entry.error_message });
    }
  }
  return lines;
}

function jsonOf(body: string): unknown {
  if (!body.startsWith('{')) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
