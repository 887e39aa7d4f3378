import { RETRY_DEFAULTS, type InfluxDBException } from '../core';

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
  /** Stop retrying after this many retries in a row. Default: no limit but maxRetryTime. */
  maxRetries?: number | undefined;
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
  readonly maxRetries: number;

  constructor(
    options: RetryOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.firstDelay = options.firstDelay ?? RETRY_DEFAULTS.firstDelay;
    this.base = options.base ?? RETRY_DEFAULTS.base;
    this.maxDelay = options.maxDelay ?? RETRY_DEFAULTS.maxDelay;
    this.jitter = options.jitter ?? RETRY_DEFAULTS.jitter;
    this.maxRetryTime = options.maxRetryTime ?? RETRY_DEFAULTS.maxRetryTime;
    this.maxRetries = options.maxRetries ?? Infinity;
  }

  /** Whether to try again after `error`, the failure that came `failingFor` ms after the first, after `retries` retries. */
  shouldRetry(error: InfluxDBException, failingFor: number, retries = 0): boolean {
    return error.retryable && failingFor < this.maxRetryTime && retries < this.maxRetries;
  }

  /** Milliseconds to wait before retry number `retry` (1 for the first): the backoff, or the server's `Retry-After` clamped to [firstDelay, maxDelay]. */
  delay(retry: number, error: InfluxDBException): number {
    const backoff = Math.min(this.maxDelay, this.firstDelay * this.base ** Math.max(0, retry - 1));
    // The server's Retry-After is honoured within our own bounds: 0 must not become a storm, nor a huge one a stall.
    const wait = error.retryAfter === undefined ? backoff : Math.min(this.maxDelay, Math.max(this.firstDelay, error.retryAfter));
    return Math.round(wait * (1 + this.random() * this.jitter));
  }
}

/** Retries while closing come this often, until the close deadline. */
export const CLOSING_RETRY_DELAY = 250;

/**
 * A writer's retry state, on the monotonic clock (performance.now()), so that a step of the wall
 * clock neither stalls nor hurries it: since when writes fail, how many retries, when the next is due.
 */
export class Backoff {
  private failingSince: number | undefined;
  private retries = 0;
  private due: number | undefined;
  private closeDeadline: number | undefined;
  /**
   * The last retry was scheduled after the server could not be reached: no answer at all, or a gateway's
   * (a proxy in front of it) 502 or 504; no Retry-After to keep.
   */
  unreachable = false;

  constructor(readonly policy: RetryPolicy) {}

  /** When the next retry is due (wall-clock time, for a status); undefined while writes succeed. */
  get retryAt(): Date | undefined {
    return this.due === undefined ? undefined : new Date(Date.now() + (this.due - performance.now()));
  }

  get closing(): boolean {
    return this.closeDeadline !== undefined;
  }

  /** From now on, retries come every CLOSING_RETRY_DELAY ms, and none after `within` ms. */
  closeWithin(within: number): void {
    this.closeDeadline = performance.now() + within;
  }

  succeeded(): void {
    this.unreachable = false;
    this.failingSince = undefined;
    this.retries = 0;
    this.due = undefined;
  }

  failed(): void {
    this.failingSince ??= performance.now();
  }

  /** Whether to try again after `error`: the policy says so, or while closing, the deadline leaves time. */
  shouldRetry(error: InfluxDBException): boolean {
    const now = performance.now();
    if (this.closeDeadline !== undefined) return error.retryable && now + CLOSING_RETRY_DELAY < this.closeDeadline;
    return this.policy.shouldRetry(error, now - (this.failingSince ?? now), this.retries);
  }

  /** Sets the next retry after `error`: the policy's delay (or the closing one), never earlier than one already set. */
  schedule(error: InfluxDBException): void {
    const now = performance.now();
    this.retries++;
    this.unreachable =
      error.retryAfter === undefined && (error.status === undefined || error.status === 502 || error.status === 504);
    const wait = this.closeDeadline === undefined ? this.policy.delay(this.retries, error) : CLOSING_RETRY_DELAY;
    if (this.due === undefined || this.due < now + wait) this.due = now + wait;
  }

  /** Milliseconds until the next retry is due (0 when none is), at most CLOSING_RETRY_DELAY while closing. */
  waitTime(): number {
    if (this.due === undefined) return 0;
    const left = this.due - performance.now();
    return this.closeDeadline === undefined ? left : Math.min(left, CLOSING_RETRY_DELAY);
  }
}

/** Sleeps that a close cuts short: none of them outlives the writer. */
export class Pauses {
  private readonly sleepers = new Set<() => void>();

  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of this.sleepers) wake();
  }
}
