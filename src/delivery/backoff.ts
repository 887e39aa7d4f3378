import type { InfluxDBException } from '../core';

export interface RetryOptions {
  /** Milliseconds before the first retry. Default 5000. */
  firstDelay?: number | undefined;
  /** Each retry waits this many times longer than the one before. Default 2. */
  base?: number | undefined;
  /** The longest wait between two tries. Default 125 000 (about 2 minutes). */
  maxDelay?: number | undefined;
  /** Up to this fraction is added at random to each wait, so many writers do not retry in step. Default 0.2. */
  jitter?: number | undefined;
  /** Stop retrying once the first failure is this many milliseconds old. Default 180 000. */
  maxRetryTime?: number | undefined;
}

/**
 * When to try a failed write again: network failures, timeouts, 5xx and 429 (the exception's
 * `retryable`), with exponential backoff and jitter, or after the server's own `Retry-After`.
 * Other errors (a 400, a missing database, bad credentials) are never retried blindly.
 */
export class RetryPolicy {
  readonly firstDelay: number;
  readonly base: number;
  readonly maxDelay: number;
  readonly jitter: number;
  readonly maxRetryTime: number;

  constructor(
    options: RetryOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.firstDelay = options.firstDelay ?? 5000;
    this.base = options.base ?? 2;
    this.maxDelay = options.maxDelay ?? 125_000;
    this.jitter = options.jitter ?? 0.2;
    this.maxRetryTime = options.maxRetryTime ?? 180_000;
  }

  /** Whether to try again after `error`, the failure that came `failingFor` ms after the first. */
  shouldRetry(error: InfluxDBException, failingFor: number): boolean {
    return error.retryable && failingFor < this.maxRetryTime;
  }

  /** Milliseconds to wait before retry number `retry` (1 for the first): the backoff, or the server's `Retry-After` clamped to [firstDelay, maxDelay]. */
  delay(retry: number, error: InfluxDBException): number {
    const backoff = Math.min(this.maxDelay, this.firstDelay * this.base ** Math.max(0, retry - 1));
    // The server's Retry-After is honoured within our own bounds: 0 must not become a storm, nor a huge one a stall.
    const wait = error.retryAfter === undefined ? backoff : Math.min(this.maxDelay, Math.max(this.firstDelay, error.retryAfter));
    return Math.round(wait * (1 + this.random() * this.jitter));
  }
}
