import {
  BufferOverflowException,
  ClientClosedException,
  InfluxDBException,
  TimeoutException,
  WriteFailedException,
  type LineProtocol,
  type WriteTarget,
} from '../core';
import { Backoff, Pauses, RetryPolicy, type RetryOptions } from './backoff';
import { isolateRejected } from './isolate';
import { PendingLines, type Acknowledge as AcknowledgeWith, type Batch, type EntryLines } from './pending-lines';
import { Replay } from './replay';
import { MAX_LINES_PER_REQUEST, type LineSink } from './sink';
import type { Spool } from './spool';

export type { EntryLines } from './pending-lines';

/** Called once per entry: with nothing when its points are written, or with the error that ended them. */
export type Acknowledge = AcknowledgeWith<InfluxDBException>;

export interface BatchWriterOptions {
  /** Where every point goes: database and retention policy, instead of the client's. */
  target?: WriteTarget | undefined;
  /** Write when this many entries (or, with `countLines`, points) are pending, or a full request's worth of points. */
  batchSize: number;
  /** Count `batchSize` in points rather than entries (InfluxData's clients count points). Default false. */
  countLines?: boolean | undefined;
  /**
   * Up to this many milliseconds, at random, are added before each batch is written, so that many
   * gateways started together do not write in step. Default 0.
   */
  jitterInterval?: number | undefined;
  /** Write at the latest this many milliseconds after an entry arrives; 0 for no timer. */
  flushInterval: number;
  /** Told whenever the writer's state (see `state()`) changes. */
  onChange?: (() => void) | undefined;
  /**
   * Requests in flight at once, at most. Default 2: a second goes out while one is under way once a whole
   * request's worth of points waits; fewer wait for the first to end and go with the next batch.
   */
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
  maxBufferLines?: number | undefined;
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

/** What a writer is doing, at a glance: what a status shows. */
export interface WriterState {
  /** Entries and points waiting to be written, those in flight included. */
  pendingEntries: number;
  pendingPoints: number;
  /** Points dropped because the buffer was full, since the writer was made. */
  dropped: number;
  /** Records waiting on disk. */
  spooledRecords: number;
  lastWritten: Date | undefined;
  /** The error of the last request, undefined once one succeeds. */
  lastError: InfluxDBException | undefined;
  /** When the next retry is due while writes are failing. */
  retryAt: Date | undefined;
  /** Why the spool could not be used the last time it was tried; undefined once it works again. */
  spoolError: Error | undefined;
  replaying: boolean;
}

/** Requests under way at once, unless `maxInFlight` says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT = 2;

const DEFAULT_MAX_BUFFER_LINES = 100_000;

/**
 * Accumulates entries (the lines of one message each) and writes them together: when `batchSize`
 * entries are pending, `flushInterval` ms after the first, and on `flush()` or `close()`. At most
 * `maxInFlight` requests are under way; whatever arrives meanwhile goes in the next once that is due
 * (so batches grow with load, and a steady flow makes one request a batch, not a batch and the few
 * entries that came during its write). Batches in flight at once may land in either order: every
 * point carries its own time.
 *
 * A write that fails for a passing reason (network, timeout, 5xx, 429) is retried with backoff, or
 * spooled; a batch the server rejects (400, 413) is split until the entries that own the rejected
 * points are found, so only they fail. Each entry is acknowledged once, after its points are written
 * or on disk, or with the error that ended them.
 */
export class BatchWriter {
  /** Entries ever added: a writer whose count stands still is not in use. */
  added = 0;
  private lastWritten: Date | undefined;
  private lastError: InfluxDBException | undefined;
  private dropped = 0;
  private spoolError: Error | undefined;
  private readonly pending = new PendingLines<InfluxDBException>();
  private inFlightEntries = 0;
  private inFlightPoints = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the oldest entry waiting came (or earlier: a partial take leaves later ones), for the flush timer. */
  private waitingSince = 0;
  /** Flushes under way: while one is, workers write whatever is pending, due or not. */
  private draining = 0;
  private readonly workers = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private readonly backoff: Backoff;
  private readonly pauses = new Pauses();
  private readonly replay: Replay | undefined;
  private closed = false;
  /** A batch is due, and waits out its jitter. */
  private jittering = false;
  /** Aborted at the close deadline: a server that hangs cannot hold the close up for a request's whole timeout. */
  private readonly abandon = new AbortController();

  constructor(
    private readonly sink: LineSink,
    private readonly options: BatchWriterOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.backoff = new Backoff(options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry));
    this.replay =
      options.spool === undefined
        ? undefined
        : new Replay(options.spool, {
            backoff: this.backoff,
            pauses: this.pauses,
            attempt: (lines, target) => this.attempt(lines, target),
            spoolFailed: (error) => this.spoolFailed(error),
            rejected: (error, lines) => this.options.onRejectedFromSpool?.(error, lines),
            changed: () => this.options.onChange?.(),
          });
  }

  /** A snapshot of what the writer is doing. */
  state(): WriterState {
    return {
      pendingEntries: this.pendingEntries,
      pendingPoints: this.pending.lineCount + this.inFlightPoints,
      dropped: this.dropped,
      spooledRecords: this.options.spool?.records ?? 0,
      lastWritten: this.lastWritten,
      lastError: this.lastError,
      retryAt: this.lastError === undefined ? undefined : this.backoff.retryAt,
      spoolError: this.spoolError,
      replaying: this.replay?.running === true,
    };
  }

  /** Entries waiting to be written, those in flight included. */
  get pendingEntries(): number {
    return this.pending.entries + this.inFlightEntries;
  }

  /** Whether the writer holds nothing and does nothing: no entry waiting, no record on disk, no replay. */
  get idle(): boolean {
    return this.pendingEntries === 0 && this.options.spool?.empty !== false && this.replay?.running !== true;
  }

  add(lines: EntryLines, acknowledge: Acknowledge): void {
    if (this.closed || this.backoff.closing) {
      acknowledge(new ClientClosedException('the writer is closed: the flow was stopped'));
      return;
    }
    this.added++;
    if (this.pending.entries === 0) this.waitingSince = performance.now();
    this.pending.push(lines, acknowledge);
    if (this.pending.lineCount > (this.options.maxBufferLines ?? DEFAULT_MAX_BUFFER_LINES)) this.dropOldest();
    if (this.batchDue()) {
      // While a request is under way (no timer is set then), waiting entries go in its worker's next batch,
      // so batches grow with load; another request goes out beside it only for a whole request's worth.
      if (this.workers.size === 0 || (this.workers.size < this.maxInFlight && this.pending.lineCount >= MAX_LINES_PER_REQUEST)) {
        const jitter = this.jitter();
        if (jitter === 0) {
          this.clearTimer();
          this.startWorkers();
        } else if (!this.jittering) {
          this.clearTimer();
          this.jittering = true;
          this.timer = setTimeout(() => {
            this.jittering = false;
            void this.flush();
          }, jitter);
        }
      }
    } else if (this.timer === undefined && this.workers.size === 0) {
      this.startTimer();
    }
  }

  /** Flushes `flushInterval` ms after the oldest waiting entry came (plus jitter); no timer for an interval of 0. */
  private startTimer(): void {
    const interval = this.options.flushInterval;
    if (interval <= 0) return;
    const left = Math.max(0, interval - (performance.now() - this.waitingSince));
    this.timer = setTimeout(() => void this.flush(), left + this.jitter());
  }

  /** `batchSize` entries (or points) are waiting, or a full request's worth of points: waiting longer makes no request larger. */
  private batchDue(): boolean {
    if (this.pending.lineCount >= MAX_LINES_PER_REQUEST) return true;
    return (this.options.countLines === true ? this.pending.lineCount : this.pending.entries) >= this.options.batchSize;
  }

  private jitter(): number {
    const most = this.options.jitterInterval ?? 0;
    return most > 0 ? Math.round(Math.random() * most) : 0;
  }

  /** Writes everything pending; resolves when it is all written or failed (never rejects). */
  async flush(): Promise<void> {
    this.draining++;
    try {
      this.clearTimer();
      this.startWorkers();
      while (this.workers.size > 0) await Promise.all(this.workers);
    } finally {
      this.draining--;
    }
  }

  /** Starts replaying the spool in the background, if there is one with records and none is running. */
  startReplay(): void {
    this.replay?.start();
  }

  /** Resolves when the replay under way (if any) has ended: the spool is empty, or the writer is closing. */
  async replayed(): Promise<void> {
    await this.replay?.finished();
  }

  /**
   * Writes what is pending, retrying for at most the close timeout, fails (or spools) what is left
   * with its error, then refuses new entries. No timer or retry outlives it.
   */
  async close(): Promise<void> {
    const closeTimeout = this.options.closeTimeout ?? 10_000;
    this.backoff.closeWithin(closeTimeout);
    this.pauses.wakeAll();
    const deadline = setTimeout(() => {
      this.abandon.abort(new TimeoutException(`InfluxDB did not answer within the close timeout of ${closeTimeout} ms`));
    }, closeTimeout);
    try {
      await this.replay?.finished();
      await this.flush();
    } finally {
      clearTimeout(deadline);
    }
    this.closed = true;
    this.clearTimer();
  }

  /** Drops the oldest waiting entries until the buffer is within its limit (the newest always stays). */
  private dropOldest(): void {
    const limit = this.options.maxBufferLines ?? DEFAULT_MAX_BUFFER_LINES;
    const dropped = this.pending.takeOverflow(limit);
    if (dropped.entries === 0) return;
    const points = dropped.lineCount;
    this.dropped += points;
    const last = this.lastError;
    const error = new BufferOverflowException(
      `dropped ${points} of the oldest points: more than ${limit} were waiting for InfluxDB` +
        (last === undefined ? '' : ` (${last.code}: ${last.serverMessage ?? last.message})`),
    );
    dropped.acknowledge(error);
    this.options.onChange?.();
  }

  private startWorkers(): void {
    while (this.workers.size < this.maxInFlight && this.pending.entries > 0) this.startWorker();
  }

  private startWorker(): void {
    const worker = (async () => {
      while (this.pending.entries > 0 && this.mayWrite()) await this.writeBatch();
    })().finally(() => {
      this.workers.delete(worker);
      // Entries that came in after the last worker's last look wait for their own trigger.
      if (this.workers.size === 0 && this.pending.entries > 0 && !this.closed && this.timer === undefined) {
        if (this.mayWrite()) this.startWorkers();
        else this.startTimer();
      }
    });
    this.workers.add(worker);
  }

  /** Whether pending entries are to be written now: a batch is due, or a flush or the close wants everything. */
  private mayWrite(): boolean {
    return this.draining > 0 || this.backoff.closing || this.batchDue();
  }

  /** Takes whole entries, up to MAX_LINES_PER_REQUEST lines (at least one entry, however large), and settles them. */
  private async writeBatch(): Promise<void> {
    const batch = this.pending.take(MAX_LINES_PER_REQUEST);
    const lineCount = batch.lineCount;
    this.inFlightEntries += batch.entries;
    this.inFlightPoints += lineCount;
    await isolateRejected(batch, {
      write: (part) => this.deliver(part),
      split: (part) => (part.entries > 1 ? part.halves() : undefined),
      end: (part, failure) => {
        part.acknowledge(failure);
        return true;
      },
      endPartial: (part, rejected, failure) => {
        part.acknowledgeLines(rejected, (own) => rejectionOf(own, failure));
        return true;
      },
    });
    this.inFlightEntries -= batch.entries;
    this.inFlightPoints -= lineCount;
    this.options.onChange?.();
  }

  /**
   * Delivers a batch: to the server, or to disk (done once there) when the server cannot take it
   * for a passing reason, or while a backlog is on disk (so that replay keeps the order); without a
   * spool, or when the disk fails, it is retried in memory. The error that ended it, or undefined.
   */
  private async deliver(batch: Batch<InfluxDBException>): Promise<InfluxDBException | undefined> {
    const spool = this.options.spool;
    if (spool !== undefined && !spool.empty && (await this.spoolAway(spool, batch))) return undefined;
    const body = batch.body();
    const failure = await this.send(body, spool === undefined);
    if (failure?.retryable !== true || spool === undefined) return failure;
    if (await this.spoolAway(spool, batch)) return undefined;
    return this.send(body, true);
  }

  /**
   * Appends the batch's lines to the spool, where they are safe (deliver then reports the batch as
   * done); false when the spool is full or the disk fails: the batch stays in memory.
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
    if (this.spoolError !== undefined) this.spoolError = undefined;
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

  /** Sends lines; with `retrying`, tries again while the backoff says so. The error that ended them, or undefined once written. */
  private async send(lines: LineProtocol, retrying: boolean): Promise<InfluxDBException | undefined> {
    for (;;) {
      await this.pauses.sleep(this.backoff.waitTime());
      const error = await this.attempt(lines, this.options.target);
      if (error === undefined || !retrying || !this.backoff.shouldRetry(error)) return error;
      this.backoff.schedule(error);
      this.options.onChange?.();
    }
  }

  /** One request; keeps the writer's view of the server (last write, last error) up to date. */
  private async attempt(lines: LineProtocol, target: WriteTarget | undefined): Promise<InfluxDBException | undefined> {
    try {
      await this.sink.writeLines(lines, { ...target, signal: this.abandon.signal });
      this.lastWritten = new Date();
      this.lastError = undefined;
      this.backoff.succeeded();
      return undefined;
    } catch (thrown) {
      const error = InfluxDBException.from(thrown);
      this.lastError = error;
      this.backoff.failed();
      return error;
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.jittering = false;
  }
}

/** The error of a message the server stored but for some of its points, in the server's words. */
function rejectionOf(own: ReadonlyArray<{ line: number; message: string }>, failure: InfluxDBException): WriteFailedException {
  const words = own.map(({ line, message }) => `point ${line}: ${message}`).join('; ');
  return new WriteFailedException(
    `the server refused ${own.length === 1 ? 'a point' : `${own.length} points`} of the message (${words})`,
    {
      status: failure.status,
      serverMessage: own.map(({ message }) => message).join('; '),
    },
  );
}

function errorKind(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.name;
}
