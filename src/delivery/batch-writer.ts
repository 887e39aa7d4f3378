import {
  BufferOverflowException,
  ClientClosedException,
  InfluxDBException,
  linesOfBody,
  TimeoutException,
  type LineProtocol,
  type WriteTarget,
} from '../core';
import { RetryPolicy, type RetryOptions } from './backoff';
import { PendingLines, type Acknowledge as AcknowledgeWith, type Batch, type EntryLines } from './pending-lines';
import { MAX_LINES_PER_REQUEST, type LineSink } from './sink';
import type { Spool } from './spool';

export type { EntryLines } from './pending-lines';

/** Called once per entry: with nothing when its points are written, or with the error that ended them. */
export type Acknowledge = AcknowledgeWith<InfluxDBException>;

export interface BatchWriterOptions {
  /** Where every point goes: database and retention policy, instead of the client's. */
  target?: WriteTarget | undefined;
  /** Write when this many entries are pending. */
  flushEvery: number;
  /** Write at the latest this many milliseconds after an entry arrives; 0 for no timer. */
  flushInterval: number;
  /** Told whenever the pending count or the last result changes. */
  onChange?: (() => void) | undefined;
  /** Requests in flight at once. Default 2: the client serializes the next batch while the server ingests one. */
  maxInFlight?: number | undefined;
  /** When and how long to retry writes that failed for a passing reason. */
  retry?: RetryOptions | RetryPolicy | undefined;
  /**
   * On close, keep trying this many milliseconds, then abandon requests still under way and fail
   * (or spool) what is left. Default 10 000: Node-RED waits 15 s for a node to close.
   */
  closeTimeout?: number | undefined;
  /**
   * Most points waiting in memory (not counting those in flight). Past it the oldest entries are
   * dropped, each acknowledged with a BufferOverflowException. Default 100 000.
   */
  maxPendingPoints?: number | undefined;
  /**
   * Where batches go when InfluxDB cannot take them for a passing reason: they are acknowledged
   * once on disk, and replayed in order when the server answers again. None: retry in memory.
   */
  spool?: Spool | undefined;
  /** Told of spooled points the server rejected outright on replay (they were acknowledged already). */
  onRejectedFromSpool?: ((error: InfluxDBException, lines: readonly string[]) => void) | undefined;
  /**
   * Told when the spool cannot be written or read (a full or read-only disk, no file descriptor
   * left), once per kind of error: batches are then kept in memory, and retried there.
   */
  onSpoolError?: ((error: Error) => void) | undefined;
}

/** Requests under way at once, unless `maxInFlight` says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT = 2;

/** Retries while closing come this often, until the close timeout. */
const CLOSING_RETRY_DELAY = 250;

/**
 * Accumulates entries (the lines of one message each) and writes them together: when `flushEvery`
 * entries are pending, `flushInterval` ms after the first, and on `flush()` or `close()`. At most
 * `maxInFlight` requests are under way; whatever arrives meanwhile goes in the next, so batches grow
 * with load. Batches in flight at once may land in either order: every point carries its own time.
 *
 * A write that fails for a passing reason (network, timeout, 5xx, 429) is retried with backoff;
 * a batch the server rejects (400, 413) is split until the entries that own the rejected points are
 * found, so only they fail. Each entry is acknowledged once, after its points are written or with
 * the error that ended them.
 */
export class BatchWriter {
  lastWritten: Date | undefined;
  lastError: InfluxDBException | undefined;
  /** Points dropped because the buffer was full, since the writer was made. */
  dropped = 0;
  /** Why the spool could not be used the last time it was tried; undefined once it works again. */
  spoolError: Error | undefined;
  /** Entries ever added: a writer whose count stands still is not in use. */
  added = 0;
  private readonly pending = new PendingLines<InfluxDBException>();
  private inFlightEntries = 0;
  private inFlightPoints = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly workers = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private readonly policy: RetryPolicy;
  // Times below are of the monotonic clock (performance.now()): a step of the wall clock moves none of them.
  private failingSince: number | undefined;
  private retryDue: number | undefined;
  private retries = 0;
  private readonly sleepers = new Set<() => void>();
  private closeDeadline: number | undefined;
  private closed = false;
  /** Aborted at the close deadline: a server that hangs cannot hold the close up for a request's whole timeout. */
  private readonly abandon = new AbortController();
  private replayRun: Promise<void> | undefined;

  constructor(
    private readonly sink: LineSink,
    private readonly options: BatchWriterOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.policy = options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry);
  }

  /** When the next retry is due while writes are failing (wall-clock time); undefined while they succeed. */
  get retryAt(): Date | undefined {
    return this.retryDue === undefined ? undefined : new Date(Date.now() + (this.retryDue - performance.now()));
  }

  /** Entries waiting to be written, those in flight included. */
  get pendingEntries(): number {
    return this.pending.entries + this.inFlightEntries;
  }

  /** Points waiting to be written, those in flight included. */
  get pendingPoints(): number {
    return this.pending.lineCount + this.inFlightPoints;
  }

  add(lines: EntryLines, acknowledge: Acknowledge): void {
    if (this.closed || this.closeDeadline !== undefined) {
      acknowledge(new ClientClosedException('the writer is closed: the flow was stopped'));
      return;
    }
    this.added++;
    this.pending.push(lines, acknowledge);
    if (this.pending.lineCount > (this.options.maxPendingPoints ?? 100_000)) this.dropOldest();
    if (this.pending.entries >= this.options.flushEvery) {
      // While every worker is busy (no timer is set then) they take these entries in their next batch.
      if (this.workers.size < this.maxInFlight) {
        this.clearTimer();
        this.startWorkers();
      }
    } else if (this.timer === undefined && this.options.flushInterval > 0 && this.workers.size === 0) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushInterval);
    }
  }

  /** Writes everything pending; resolves when it is all written or failed (never rejects). */
  flush(): Promise<void> {
    this.clearTimer();
    this.startWorkers();
    return this.idle();
  }

  /**
   * Writes what is pending, retrying for at most the close timeout, fails what is left with its
   * error, then refuses new entries. No timer or retry outlives it.
   */
  async close(): Promise<void> {
    const closeTimeout = this.options.closeTimeout ?? 10_000;
    this.closeDeadline = performance.now() + closeTimeout;
    for (const wake of this.sleepers) wake();
    const deadline = setTimeout(() => {
      this.abandon.abort(new TimeoutException(`InfluxDB did not answer within the close timeout of ${closeTimeout} ms`));
    }, closeTimeout);
    try {
      await this.replayRun;
      await this.flush();
    } finally {
      clearTimeout(deadline);
    }
    this.closed = true;
    this.clearTimer();
  }

  /** Drops the oldest waiting entries until the buffer is within its limit (the newest always stays). */
  private dropOldest(): void {
    const limit = this.options.maxPendingPoints ?? 100_000;
    const dropped = this.pending.takeOverflow(limit);
    if (dropped.entries === 0) return;
    const points = dropped.lineCount;
    this.dropped += points;
    const error = new BufferOverflowException(
      `dropped ${points} of the oldest points: more than ${limit} were waiting for InfluxDB` +
        (this.lastError === undefined
          ? ''
          : ` (${this.lastError.code}: ${this.lastError.serverMessage ?? this.lastError.message})`),
    );
    dropped.acknowledge(error);
    this.options.onChange?.();
  }

  private startWorkers(): void {
    while (this.workers.size < this.maxInFlight && this.pending.entries > 0) this.startWorker();
  }

  private startWorker(): void {
    const worker = (async () => {
      while (this.pending.entries > 0) await this.writeBatch();
    })().finally(() => {
      this.workers.delete(worker);
      // Entries that came in after the last worker's last look wait for their own trigger.
      if (this.workers.size === 0 && this.pending.entries > 0 && !this.closed && this.timer === undefined) {
        if (this.pending.entries >= this.options.flushEvery || this.closeDeadline !== undefined) this.startWorkers();
        else if (this.options.flushInterval > 0) this.timer = setTimeout(() => void this.flush(), this.options.flushInterval);
      }
    });
    this.workers.add(worker);
  }

  private async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all(this.workers);
  }

  /** Takes whole entries, up to MAX_LINES_PER_REQUEST lines (at least one entry, however large), and settles them. */
  private async writeBatch(): Promise<void> {
    const batch = this.pending.take(MAX_LINES_PER_REQUEST);
    const lineCount = batch.lineCount;
    this.inFlightEntries += batch.entries;
    this.inFlightPoints += lineCount;
    await this.settle(batch);
    this.inFlightEntries -= batch.entries;
    this.inFlightPoints -= lineCount;
    this.options.onChange?.();
  }

  /**
   * Writes the entries' lines and acknowledges them. When the server rejects the batch itself,
   * halves it until each rejected point is alone with its own entry (points the server took are
   * written again, harmlessly: every point carries its time).
   */
  private async settle(batch: Batch<InfluxDBException>): Promise<void> {
    const body = batch.body();
    const spool = this.options.spool;
    // While a backlog is on disk, new batches join it, so that replay keeps their order.
    if (spool !== undefined && !spool.empty && (await this.spoolAway(spool, batch))) return;
    let failure = await this.deliver(body, spool === undefined);
    if (failure?.retryable && spool !== undefined) {
      if (await this.spoolAway(spool, batch)) return;
      failure = await this.deliver(body, true);
    }
    if (failure !== undefined && batch.entries > 1 && isRejection(failure)) {
      const [first, second] = batch.halves();
      await this.settle(first);
      await this.settle(second);
      return;
    }
    batch.acknowledge(failure);
  }

  /**
   * Appends the batch's lines to the spool and acknowledges them as safe; false when the spool is
   * full or the disk fails (nothing is acknowledged then: the batch stays in memory).
   */
  private async spoolAway(spool: Spool, batch: Batch<InfluxDBException>): Promise<boolean> {
    let stored: boolean;
    try {
      stored = await spool.append({ target: this.options.target ?? {}, body: batch.body() });
    } catch (error) {
      this.spoolFailed(error);
      return false;
    }
    if (!stored) return false;
    this.spoolWorks();
    batch.acknowledge(undefined);
    this.startReplay();
    return true;
  }

  private spoolFailed(thrown: unknown): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const known = this.spoolError !== undefined && errorKind(this.spoolError) === errorKind(error);
    this.spoolError = error;
    if (!known) this.options.onSpoolError?.(error);
    this.options.onChange?.();
  }

  private spoolWorks(): void {
    if (this.spoolError === undefined) return;
    this.spoolError = undefined;
    this.options.onChange?.();
  }

  /** Whether the spool is being replayed. */
  get replaying(): boolean {
    return this.replayRun !== undefined;
  }

  /** Resolves when the replay under way (if any) has ended: the spool is empty, or the writer is closing. */
  async replayed(): Promise<void> {
    await this.replayRun;
  }

  /** Starts replaying the spool in the background, if there is one with records and none is running. */
  startReplay(): void {
    const spool = this.options.spool;
    if (spool === undefined || spool.empty || this.replayRun !== undefined || this.closeDeadline !== undefined) return;
    this.replayRun = this.replay(spool)
      .catch((error: unknown) => this.spoolFailed(error))
      .finally(() => {
        this.replayRun = undefined;
        this.options.onChange?.();
      });
  }

  /**
   * Writes the spool's records, oldest first, removing each once written. Spooled points were
   * acknowledged already, so they are never given up on for a passing reason or a missing
   * database or credentials (all may be fixed); only points the server rejects outright are
   * dropped, and reported.
   */
  private async replay(spool: Spool): Promise<void> {
    while (!spool.empty && this.closeDeadline === undefined) {
      await this.waitForRetry();
      if (this.closeDeadline !== undefined) return;
      let record;
      try {
        record = await spool.first();
      } catch (error) {
        this.spoolFailed(error);
        // A segment file deleted under the spool cannot come back: its record is given up (and reported).
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') await spool.removeFirst().catch(() => undefined);
        else await this.pause(this.policy.firstDelay);
        continue;
      }
      if (record === undefined) return;
      const outcome = await this.writeIsolating(record.body, record.target);
      if (outcome === 'retry') continue;
      await spool.removeFirst().catch((error: unknown) => this.spoolFailed(error));
      this.options.onChange?.();
    }
  }

  /**
   * Writes lines once, halving them around points the server rejects. 'retry' when a passing
   * failure (or one the user may fix) means the whole record should be tried again later.
   */
  private async writeIsolating(lines: LineProtocol, target: WriteTarget): Promise<'done' | 'retry'> {
    const failure = await this.attempt(lines, target);
    if (failure === undefined) return 'done';
    if (!isRejection(failure)) {
      this.scheduleRetry(failure);
      return 'retry';
    }
    // Only a rejected record is taken apart into its lines.
    const each = lines instanceof Uint8Array ? linesOfBody(lines) : lines;
    if (each.length === 1) {
      this.options.onRejectedFromSpool?.(failure, each);
      return 'done';
    }
    const middle = each.length >> 1;
    if ((await this.writeIsolating(each.slice(0, middle), target)) === 'retry') return 'retry';
    return this.writeIsolating(each.slice(middle), target);
  }

  /**
   * Sends lines; with `retrying`, tries again while the policy says so. The error that ended them,
   * or undefined once written.
   */
  private async deliver(lines: LineProtocol, retrying: boolean): Promise<InfluxDBException | undefined> {
    for (;;) {
      await this.waitForRetry();
      const error = await this.attempt(lines, this.options.target);
      if (error === undefined) return undefined;
      const now = performance.now();
      const failingFor = now - (this.failingSince ?? now);
      const retry =
        retrying &&
        (this.closeDeadline === undefined
          ? this.policy.shouldRetry(error, failingFor)
          : error.retryable && now + CLOSING_RETRY_DELAY < this.closeDeadline);
      if (!retry) return error;
      this.scheduleRetry(error);
    }
  }

  /** One request; keeps the writer's view of the server (last write, last error) up to date. */
  private async attempt(lines: LineProtocol, target: WriteTarget | undefined): Promise<InfluxDBException | undefined> {
    try {
      await this.sink.writeLines(lines, { ...target, signal: this.abandon.signal });
      this.lastWritten = new Date();
      this.lastError = undefined;
      this.failingSince = undefined;
      this.retries = 0;
      this.retryDue = undefined;
      return undefined;
    } catch (thrown) {
      const error = InfluxDBException.from(thrown);
      this.lastError = error;
      this.failingSince ??= performance.now();
      return error;
    }
  }

  private scheduleRetry(error: InfluxDBException): void {
    const now = performance.now();
    this.retries++;
    const wait = this.closeDeadline === undefined ? this.policy.delay(this.retries, error) : CLOSING_RETRY_DELAY;
    if (this.retryDue === undefined || this.retryDue < now + wait) this.retryDue = now + wait;
    this.options.onChange?.();
  }

  /** Sleeps until the retry time, if there is one; close cuts the sleep short. */
  private async waitForRetry(): Promise<void> {
    const due = this.retryDue;
    if (due === undefined) return;
    const left = due - performance.now();
    await this.pause(this.closeDeadline === undefined ? left : Math.min(left, CLOSING_RETRY_DELAY));
  }

  /** Sleeps `wait` ms; close cuts the sleep short. */
  private async pause(wait: number): Promise<void> {
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, wait);
      this.sleepers.add(wake);
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function errorKind(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.name;
}

/** The server refused the batch itself (a line it rejects, a body too large): splitting finds the culprit. */
function isRejection(error: InfluxDBException): boolean {
  return error.status === 400 || error.status === 413;
}
