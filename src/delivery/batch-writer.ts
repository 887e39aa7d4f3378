import {
  BufferOverflowException,
  ClientClosedException,
  InfluxDBException,
  restated,
  TimeoutException,
  WriteFailedException,
  WRITER_DEFAULTS,
  type LineProtocol,
  type Precision,
  type WriteTarget,
} from '../core';
import { Backoff, Pauses, RetryPolicy, type RetryOptions } from './backoff';
import { BufferBudget, type BufferHolder } from './buffer-budget';
import { isolateRejected, isRejection } from './isolate';
import { PendingLines, type Acknowledge as AcknowledgeWith, type Batch, type EntryLines } from './pending-lines';
import { Replay, type ReplayOptions } from './replay';
import type { LineSink } from './sink';
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
   * dropped, each acknowledged with a BufferOverflowException; an entry larger than the whole cap is
   * refused so. Default 100 000. Ignored with `buffer`.
   */
  maxBufferLines?: number | undefined;
  /** A cap on points waiting shared with other writers (those of one node), instead of `maxBufferLines`. */
  buffer?: BufferBudget | undefined;
  /**
   * Where batches go when InfluxDB cannot take them for a passing reason: they are acknowledged
   * once on disk, and replayed in order when the server answers again. None: retry in memory.
   */
  spool?: Spool | undefined;
  /** How a backlog on disk is written: requests joined up to so many points and bytes, so many at once. */
  replay?: ReplayOptions | undefined;
  /** Told of spooled points the server rejected outright on replay (they were acknowledged already). */
  onRejectedFromSpool?: ((error: InfluxDBException, lines: readonly string[]) => void) | undefined;
  /**
   * Told when the spool cannot be written (a full or read-only disk, no file descriptor left: batches
   * are then kept in memory, and retried there, and on disk again) or read (its records stay there, and are
   * read again later), once per kind of error.
   */
  onSpoolError?: ((error: Error, operation: 'write' | 'read') => void) | undefined;
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
  /** Records set aside on disk since the spool was opened: they could not be read back, and are not written. */
  setAsideRecords: number;
  lastWritten: Date | undefined;
  /**
   * Why the last request failed for the server's state (away, refusing the credentials, without the
   * target); undefined once one succeeds. Points the server refused for what they hold are not this.
   */
  lastError: InfluxDBException | undefined;
  /** The last time the server refused points for what they hold (a bad line, a field type conflict), and its words. */
  lastRejected: { at: Date; error: InfluxDBException } | undefined;
  /** Points the server refused for what they hold, since the writer was made (their messages failed, or, replayed from disk, were dropped). */
  refusedPoints: number;
  /** When the next retry is due while writes are failing. */
  retryAt: Date | undefined;
  /** Why the spool could not be used the last time it was tried; undefined once it works again. */
  spoolError: Error | undefined;
  replaying: boolean;
}

const { maxLinesPerRequest: MAX_LINES_PER_REQUEST, maxRequestBytes: MAX_REQUEST_BYTES } = WRITER_DEFAULTS;
/** Tries of a spool append that failed (a passing I/O error) before a batch stays in memory. */
const SPOOL_ATTEMPTS = 3;
const SPOOL_RETRY_DELAY = 50;

/**
 * Accumulates entries (the lines of one message each) and writes them together: when `batchSize`
 * entries are pending, `flushInterval` ms after the first, and on `flush()` or `close()`. At most
 * `maxInFlight` requests are under way; whatever arrives meanwhile goes in the next once that is due
 * (so batches grow with load, and a steady flow makes one request a batch, not a batch and the few
 * entries that came during its write). Batches in flight at once may land in either order: every
 * point carries its own time. They go to disk in the order they were taken, whichever fails first.
 *
 * A write that fails for a passing reason (network, timeout, 5xx, 429) is retried with backoff, or
 * spooled; a batch the server rejects (400, 413) is split until the entries that own the rejected
 * points are found, so only they fail. Each entry is acknowledged once, after its points are written
 * or on disk, or with the error that ended them.
 */
export class BatchWriter implements BufferHolder {
  /** Entries ever added: a writer whose count stands still is not in use. */
  added = 0;
  private lastWritten: Date | undefined;
  private lastError: InfluxDBException | undefined;
  private lastRejected: { at: Date; error: InfluxDBException } | undefined;
  private refusedPoints = 0;
  private dropped = 0;
  private spoolError: Error | undefined;
  private readonly pending = new PendingLines<InfluxDBException>();
  private readonly budget: BufferBudget;
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
  /**
   * Batches taken and not yet written, on disk or ended, each by the promise of its end. A batch goes to
   * disk only after those taken before it: two requests in flight fail in either order, and the spool must
   * replay them in the order their messages came.
   */
  private readonly unsettled = new Set<Promise<void>>();

  constructor(
    private readonly sink: LineSink,
    private readonly options: BatchWriterOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? WRITER_DEFAULTS.maxInFlight;
    this.budget = options.buffer ?? new BufferBudget(options.maxBufferLines ?? WRITER_DEFAULTS.maxBufferLines);
    this.budget.join(this);
    this.backoff = new Backoff(options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry));
    this.replay =
      options.spool === undefined
        ? undefined
        : new Replay(
            options.spool,
            {
              backoff: this.backoff,
              pauses: this.pauses,
              attempt: (lines, target, precision) => this.attempt(lines, target, precision),
              attemptGzipped: (gzipped, plain, target, precision) => this.attemptGzipped(gzipped, plain, target, precision),
              answers:
                sink.answers === undefined ? undefined : () => sink.answers?.(this.abandon.signal) ?? Promise.resolve(false),
              spoolFailed: (error) => this.spoolFailed(error, 'read'),
              rejected: (error, lines) => {
                this.refusedPoints += lines.length;
                this.options.onRejectedFromSpool?.(error, lines);
              },
              changed: () => this.options.onChange?.(),
            },
            options.replay,
          );
  }

  /** A snapshot of what the writer is doing. */
  state(): WriterState {
    return {
      pendingEntries: this.pendingEntries,
      pendingPoints: this.pending.lineCount + this.inFlightPoints,
      dropped: this.dropped,
      spooledRecords: this.options.spool?.records ?? 0,
      setAsideRecords: this.options.spool?.setAside ?? 0,
      lastWritten: this.lastWritten,
      lastError: this.lastError,
      lastRejected: this.lastRejected,
      refusedPoints: this.refusedPoints,
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
    const size = typeof lines === 'string' ? 1 : lines.length;
    if (size > this.budget.maxLines) {
      // Taking it in would drop older points for one that cannot fit in any case.
      acknowledge(
        new BufferOverflowException(
          `${size} points in one go are more than may wait for InfluxDB at once (${this.budget.maxLines}, the buffer limit): ` +
            'none of them was written and nothing else was dropped; send fewer at a time, or raise the limit',
        ),
      );
      return;
    }
    this.added++;
    if (this.pending.entries === 0) this.waitingSince = performance.now();
    if (typeof lines === 'string' || !isLarge(lines)) this.queue(lines, acknowledge);
    else {
      const parts = partsOf(lines);
      const joint = jointAcknowledgement(parts, size, acknowledge);
      parts.forEach((part, index) => this.queue(part.lines, (error) => joint(index, error)));
    }
    this.budget.reclaim();
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

  private queue(lines: EntryLines, acknowledge: Acknowledge): void {
    this.pending.push(lines, acknowledge, this.budget.arrival());
    this.budget.lines += typeof lines === 'string' ? 1 : lines.length;
  }

  /** For the buffer budget: this writer's waiting entries, oldest first. */
  arrivalAt(index: number): number | undefined {
    return this.pending.arrivalAt(index);
  }

  sizeAt(index: number): number {
    return this.pending.sizeAt(index);
  }

  /** Drops the oldest `count` waiting entries, failing them with one BufferOverflowException (the budget chose them). */
  dropOldest(count: number): void {
    const dropped = this.pending.takeOldest(count);
    if (dropped.entries === 0) return;
    const points = dropped.lineCount;
    this.budget.lines -= points;
    this.dropped += points;
    const last = this.lastError;
    const error = new BufferOverflowException(
      `dropped ${points} of the oldest points: more than ${this.budget.maxLines} were waiting for InfluxDB` +
        (last === undefined ? '' : ` (${last.code}: ${last.serverMessage ?? last.message})`),
    );
    dropped.acknowledge(error);
    this.options.onChange?.();
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
    const closeTimeout = this.options.closeTimeout ?? WRITER_DEFAULTS.closeTimeout;
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
    this.budget.leave(this);
    this.clearTimer();
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
    const batch = this.pending.take(MAX_LINES_PER_REQUEST, MAX_REQUEST_BYTES);
    const lineCount = batch.lineCount;
    this.budget.lines -= lineCount;
    this.inFlightEntries += batch.entries;
    this.inFlightPoints += lineCount;
    // Waited for only by a batch on its way to disk: a batch written at once keeps nothing of the others alive.
    const before = [...this.unsettled];
    const earlier = (): Promise<unknown> => Promise.all(before);
    let ended = (): void => undefined;
    const end = new Promise<void>((resolve) => (ended = resolve));
    this.unsettled.add(end);
    try {
      await this.settle(batch, earlier);
    } finally {
      this.unsettled.delete(end);
      ended();
    }
    this.inFlightEntries -= batch.entries;
    this.inFlightPoints -= lineCount;
    this.options.onChange?.();
  }

  /** Writes a batch, or its parts the server takes, and acknowledges each entry; `earlier`: see `unsettled`. */
  private async settle(batch: Batch<InfluxDBException>, earlier: () => Promise<unknown>): Promise<void> {
    await isolateRejected(batch, {
      write: (part) => this.deliver(part, earlier),
      split: (part) => (part.entries > 1 ? part.halves() : undefined),
      end: (part, failure) => {
        if (failure !== undefined && isRejection(failure)) this.refusedPoints += part.lineCount;
        part.acknowledge(failure);
        return true;
      },
      endPartial: (part, rejected, failure) => {
        this.refusedPoints += rejected.length;
        part.acknowledgeLines(rejected, (own) => rejectionOf(own, failure));
        return true;
      },
    });
  }

  /**
   * Delivers a batch: to the server, or to disk (done once there) when the server cannot take it
   * for a passing reason, or while a backlog is on disk (so that replay keeps the order); without a
   * spool, or while the disk fails, it is retried in memory (and on disk again at each retry). The
   * error that ended it, or undefined.
   */
  private async deliver(
    batch: Batch<InfluxDBException>,
    earlier: () => Promise<unknown>,
  ): Promise<InfluxDBException | undefined> {
    const spool = this.options.spool;
    if (spool !== undefined && !spool.empty && (await this.spoolAway(spool, batch, earlier))) return undefined;
    const body = batch.body();
    for (;;) {
      await this.pauses.sleep(this.backoff.waitTime());
      const error = await this.attempt(body, this.options.target);
      if (error === undefined) return undefined;
      if (error.retryable && spool !== undefined && (await this.spoolAway(spool, batch, earlier))) return undefined;
      if (!this.backoff.shouldRetry(error)) return error;
      this.backoff.schedule(error);
      this.options.onChange?.();
    }
  }

  /**
   * Appends the batch's lines to the spool, where they are safe (deliver then reports the batch as
   * done), trying again at once when the disk fails for a moment; false when the spool is full or the
   * disk keeps failing: the batch stays in memory. It goes to disk once `earlier()` (the batches taken before
   * it, written, spooled or ended) has resolved.
   */
  private async spoolAway(spool: Spool, batch: Batch<InfluxDBException>, earlier: () => Promise<unknown>): Promise<boolean> {
    await earlier();
    for (let attempt = 1; ; attempt++) {
      let stored: boolean;
      try {
        stored = await spool.append({
          target: this.spooledTarget(),
          precision: this.sink.precision,
          body: batch.body(),
          lines: batch.lineCount,
        });
      } catch (error) {
        if (attempt < SPOOL_ATTEMPTS && !this.backoff.closing) {
          await this.pauses.sleep(SPOOL_RETRY_DELAY * attempt);
          continue;
        }
        this.spoolFailed(error, 'write');
        return false;
      }
      if (!stored) return false;
      this.spoolError = undefined;
      this.startReplay();
      return true;
    }
  }

  /** The target as the sink resolves it now, kept with the points on disk. */
  private spooledTarget(): WriteTarget {
    const target = this.options.target ?? {};
    if (this.sink.resolveTarget === undefined) return target;
    const resolved = this.sink.resolveTarget(target);
    // Resolved to no policy: the database's default one, kept as '' so that a policy set later is not filled in on replay.
    return resolved.retentionPolicy === undefined ? { ...resolved, retentionPolicy: '' } : resolved;
  }

  private spoolFailed(thrown: unknown, operation: 'write' | 'read'): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const known = this.spoolError !== undefined && errorKind(this.spoolError) === errorKind(error);
    this.spoolError = error;
    if (!known) this.options.onSpoolError?.(error, operation);
    this.options.onChange?.();
  }

  /** One request; `precision`: the unit of the lines' times, when not the sink's (a record kept at an earlier precision). */
  private attempt(
    lines: LineProtocol,
    target: WriteTarget | undefined,
    precision?: Precision,
  ): Promise<InfluxDBException | undefined> {
    return this.attempted(() => this.sink.writeLines(lines, { ...target, precision, signal: this.abandon.signal }));
  }

  /** A spooled record's gzipped lines: as they are where the sink takes them so, else unpacked. */
  private attemptGzipped(
    gzipped: Uint8Array,
    plain: () => Promise<Uint8Array>,
    target: WriteTarget,
    precision: Precision | undefined,
  ): Promise<InfluxDBException | undefined> {
    const options = { ...target, precision, signal: this.abandon.signal };
    // Lines that cannot be unpacked are the disk's failure, not the server's: thrown as they are, uncounted.
    let unpackFailure: { error: unknown } | undefined;
    const unpacked = (): Promise<Uint8Array> =>
      plain().catch((error: unknown) => {
        unpackFailure = { error };
        throw error;
      });
    return this.attempted(
      async () => {
        if (this.sink.writeGzipped !== undefined) await this.sink.writeGzipped(gzipped, unpacked, options);
        else await this.sink.writeLines(await unpacked(), options);
      },
      () => unpackFailure,
    );
  }

  /**
   * One request; keeps the writer's view of the server (last write, last error) up to date. A failure
   * `notTheServer` gives is thrown instead, and says nothing of the server.
   */
  private async attempted(
    send: () => Promise<void>,
    notTheServer: () => { error: unknown } | undefined = () => undefined,
  ): Promise<InfluxDBException | undefined> {
    try {
      await send();
      this.lastWritten = new Date();
      this.lastError = undefined;
      this.backoff.succeeded();
      return undefined;
    } catch (thrown) {
      const elsewhere = notTheServer();
      if (elsewhere !== undefined) throw elsewhere.error;
      const error = InfluxDBException.from(thrown);
      // Refused points say nothing of the server: the writer is not failing, and their messages fail alone.
      if (isRejection(error)) {
        this.lastRejected = { at: new Date(), error };
        return error;
      }
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

/** Whether an entry is too large for one request: it goes out in parts. */
function isLarge(lines: readonly string[]): boolean {
  if (lines.length > MAX_LINES_PER_REQUEST) return true;
  let units = 0;
  for (const line of lines) if ((units += line.length) > MAX_REQUEST_BYTES) return true;
  return false;
}

/** An entry's lines in parts of at most a request each (by lines, and by UTF-16 units as a measure of bytes). */
function partsOf(lines: readonly string[]): Array<{ lines: string[]; first: number }> {
  const parts: Array<{ lines: string[]; first: number }> = [];
  let start = 0;
  let units = 0;
  for (let i = 0; i < lines.length; i++) {
    const length = (lines[i] as string).length;
    if (i > start && (i - start >= MAX_LINES_PER_REQUEST || units + length > MAX_REQUEST_BYTES)) {
      parts.push({ lines: lines.slice(start, i), first: start + 1 });
      start = i;
      units = 0;
    }
    units += length;
  }
  parts.push({ lines: lines.slice(start), first: start + 1 });
  return parts;
}

/**
 * One acknowledgement for an entry sent in parts: called once every part is settled, with nothing when
 * all were written, or with the first failure, saying which of the entry's points it concerns.
 */
function jointAcknowledgement(
  parts: ReadonlyArray<{ lines: readonly string[]; first: number }>,
  points: number,
  acknowledge: Acknowledge,
): (part: number, error: InfluxDBException | undefined) => void {
  let left = parts.length;
  let failedPoints = 0;
  let failure: { error: InfluxDBException; part: number } | undefined;
  return (part, error) => {
    if (error !== undefined) {
      failedPoints += parts[part]?.lines.length ?? 0;
      failure ??= { error, part };
    }
    if (--left > 0) return;
    if (failure === undefined) {
      acknowledge(undefined);
      return;
    }
    const { first, lines } = parts[failure.part] as { first: number; lines: readonly string[] };
    acknowledge(
      restated(
        failure.error,
        `${failedPoints} of the ${points} points of this message were not written (it went out in ${parts.length} requests; ` +
          `points ${first} to ${first + lines.length - 1}: ${failure.error.message})`,
      ),
    );
  };
}
