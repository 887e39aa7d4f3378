/**
 * The exception hierarchy. Every exception has `name` and an own `code` equal to its class name
 * (Node-RED copies `code` into `msg.error.code`, so flows can route on it), `status` when an HTTP
 * response was involved, and a message that carries the server's own words.
 */

export interface ExceptionDetails {
  /** HTTP status of the response that caused it, when there was one. */
  status?: number;
  /** The server's own error text, unchanged. */
  serverMessage?: string;
  /** Milliseconds the server asked us to wait before trying again (`Retry-After`). */
  retryAfter?: number;
  /** The lines of the request the server named as rejected (it stored the others). */
  rejectedLines?: readonly RejectedLine[];
  cause?: unknown;
}

/** A line the server refused while storing the rest of the request, in its own words. */
export interface RejectedLine {
  /** 1-based, in the request body. */
  line: number;
  message: string;
}

export class InfluxDBException extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly serverMessage: string | undefined;
  readonly retryAfter: number | undefined;
  readonly rejectedLines: readonly RejectedLine[] | undefined;

  constructor(message: string, details: ExceptionDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = new.target.name;
    this.status = details.status;
    this.serverMessage = details.serverMessage;
    this.retryAfter = details.retryAfter;
    this.rejectedLines = details.rejectedLines;
  }

  /** The failure as an InfluxDBException, whatever was thrown (kept as the cause). */
  static from(thrown: unknown): InfluxDBException {
    return thrown instanceof InfluxDBException ? thrown : new InfluxDBException(String(thrown), { cause: thrown });
  }

  /**
   * The message alone, without the class name: what Node-RED puts in `msg.error.message` (the class is
   * in `code`), and what a flow author reads first.
   */
  override toString(): string {
    return this.message;
  }

  /**
   * Whether sending the same request again may succeed: network failures, timeouts, 5xx and 429.
   * A plain Client never retries by itself; the delivery layer asks this.
   */
  get retryable(): boolean {
    return this.status === undefined ? false : this.status === 429 || this.status >= 500;
  }
}

/**
 * An exception of the same class with another message: its status, the server's words, its wait and its
 * named lines kept, the original as its cause, unless `changes` says otherwise (a `cause` of undefined
 * keeps none). For the exceptions of a request, whose constructors take (message, details).
 */
export function restated<E extends InfluxDBException>(
  error: E,
  message: string,
  changes: Pick<ExceptionDetails, 'serverMessage' | 'rejectedLines' | 'cause'> = {},
): E {
  const Kind = error.constructor as new (message: string, details: ExceptionDetails) => E;
  const details: ExceptionDetails = {};
  if (error.status !== undefined) details.status = error.status;
  if (error.serverMessage !== undefined) details.serverMessage = error.serverMessage;
  if (error.retryAfter !== undefined) details.retryAfter = error.retryAfter;
  if (error.rejectedLines !== undefined) details.rejectedLines = error.rejectedLines;
  details.cause = error;
  for (const key of ['serverMessage', 'rejectedLines', 'cause'] as const) {
    if (key in changes) {
      const value = changes[key];
      if (value === undefined) delete details[key];
      else Object.assign(details, { [key]: value });
    }
  }
  return new Kind(message, details);
}

/** The server rejected a query: bad InfluxQL, a missing bound parameter, or an error inside the results. */
export class QueryFailedException extends InfluxDBException {}

/** The server rejected a write: a line it could not parse, a field type conflict, a body too large. */
export class WriteFailedException extends InfluxDBException {}

export class DatabaseNotFoundException extends InfluxDBException {}

/** The retention policy does not exist. InfluxDB 1.x answers 500, but retrying will not create it. */
export class RetentionPolicyNotFoundException extends InfluxDBException {
  override get retryable(): boolean {
    return false;
  }
}

/** Missing or wrong credentials (HTTP 401). */
export class UnauthorizedException extends InfluxDBException {}

/** The user is known but may not do this (HTTP 403). */
export class ForbiddenException extends InfluxDBException {}

/** The server could not be reached: refused, reset, unknown host. Worth retrying. */
export class ConnectionFailedException extends InfluxDBException {
  override get retryable(): boolean {
    return true;
  }
}

/** No complete answer within the client's timeout. Worth retrying. */
export class TimeoutException extends InfluxDBException {
  override get retryable(): boolean {
    return true;
  }
}

/** A measurement that cannot be written as given: the message names the field, tag or part, and why. */
export class InvalidMeasurementException extends InfluxDBException {}

/** A DSN or option that cannot work. */
export class ConfigurationException extends InfluxDBException {}

/**
 * An argument of a call that cannot work, found before anything is sent: an empty query, a bound
 * parameter that is no value, write options that are no object, a message property of the wrong type.
 */
export class InvalidArgumentException extends InfluxDBException {}

/** Points were dropped, oldest first, because more were waiting than the buffer may hold. */
export class BufferOverflowException extends InfluxDBException {}

/** An answer larger than the client reads into memory at once (its `maxAnswerBytes`). */
export class AnswerTooLargeException extends InfluxDBException {}

/** The client was closed before or while this call was made. */
export class ClientClosedException extends InfluxDBException {}
