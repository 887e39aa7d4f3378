import { ClientClosedException, InfluxDBException } from './errors';
import type { WriteOptions } from './measurement';
import { MAX_LINES_PER_REQUEST } from './session';

/** Called once per entry: with nothing when its points are written, or with the error that ended them. */
export type Acknowledge = (error: InfluxDBException | undefined) => void;

export interface BatchWriterOptions {
  /** Where every point goes: database and retention policy, instead of the client's. */
  target?: WriteOptions | undefined;
  /** Write when this many entries are pending. */
  flushEvery: number;
  /** Write at the latest this many milliseconds after an entry arrives; 0 for no timer. */
  flushInterval: number;
  /** Told whenever the pending count or the last result changes. */
  onChange?: (() => void) | undefined;
  /** Requests in flight at once. Default 2: the client serializes the next batch while the server ingests one. */
  maxInFlight?: number | undefined;
}

/** What a batch writer needs of its client. */
export interface BatchSink {
  writeLines(lines: readonly string[], options?: WriteOptions): Promise<void>;
}

/** An entry's points: one line, or several. */
export type EntryLines = string | readonly string[];

interface Batch {
  lines: string[];
  acknowledgements: Acknowledge[];
}

/**
 * Accumulates entries (the lines of one message each) and writes them together: when `flushEvery`
 * entries are pending, `flushInterval` ms after the first, and on `flush()` or `close()`. At most
 * `maxInFlight` requests are under way; whatever arrives meanwhile goes in the next, so batches grow
 * with load. Each entry is acknowledged once, after its points are written or with the error that
 * ended them. Batches in flight at once may land in either order: every point carries its own time.
 */
export class BatchWriter {
  lastWritten: Date | undefined;
  lastError: InfluxDBException | undefined;
  // One slot per entry in each: kept apart so that an entry costs no object of its own.
  private entryLines: EntryLines[] = [];
  private acknowledgements: Acknowledge[] = [];
  private points = 0;
  private inFlightEntries = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly workers = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private closed = false;

  constructor(
    private readonly sink: BatchSink,
    private readonly options: BatchWriterOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  /** Entries waiting to be written, those in flight included. */
  get pendingEntries(): number {
    return this.entryLines.length + this.inFlightEntries;
  }

  /** Points waiting to be written, those in flight included. */
  get pendingPoints(): number {
    return this.points;
  }

  add(lines: EntryLines, acknowledge: Acknowledge): void {
    if (this.closed) {
      acknowledge(new ClientClosedException('the writer is closed: the flow was stopped'));
      return;
    }
    this.entryLines.push(lines);
    this.acknowledgements.push(acknowledge);
    this.points += typeof lines === 'string' ? 1 : lines.length;
    if (this.entryLines.length >= this.options.flushEvery) {
      this.clearTimer();
      this.startWorkers();
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

  /** Writes what is pending, then refuses new entries. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.clearTimer();
  }

  private startWorkers(): void {
    while (this.workers.size < this.maxInFlight && this.entryLines.length > 0) this.startWorker();
  }

  private startWorker(): void {
    const worker = (async () => {
      while (this.entryLines.length > 0) await this.writeBatch(this.takeBatch());
    })().finally(() => {
      this.workers.delete(worker);
      // Entries that came in after the last worker's last look wait for their own trigger.
      if (this.workers.size === 0 && this.entryLines.length > 0 && !this.closed && this.timer === undefined) {
        if (this.entryLines.length >= this.options.flushEvery) this.startWorkers();
        else if (this.options.flushInterval > 0) this.timer = setTimeout(() => void this.flush(), this.options.flushInterval);
      }
    });
    this.workers.add(worker);
  }

  private async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all(this.workers);
  }

  /** Whole entries, up to MAX_LINES_PER_REQUEST lines (at least one entry, however large). */
  private takeBatch(): Batch {
    const lines: string[] = [];
    let count = 0;
    while (count < this.entryLines.length) {
      const entry = this.entryLines[count] as EntryLines;
      const size = typeof entry === 'string' ? 1 : entry.length;
      if (count > 0 && lines.length + size > MAX_LINES_PER_REQUEST) break;
      if (typeof entry === 'string') lines.push(entry);
      else for (const line of entry) lines.push(line);
      count++;
    }
    this.entryLines.splice(0, count);
    return { lines, acknowledgements: this.acknowledgements.splice(0, count) };
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const { lines, acknowledgements } = batch;
    this.inFlightEntries += acknowledgements.length;
    let failure: InfluxDBException | undefined;
    try {
      await this.sink.writeLines(lines, this.options.target);
      this.lastWritten = new Date();
      this.lastError = undefined;
    } catch (error) {
      failure = error instanceof InfluxDBException ? error : new InfluxDBException(String(error), { cause: error });
      this.lastError = failure;
    }
    this.inFlightEntries -= acknowledgements.length;
    this.points -= lines.length;
    for (const acknowledge of acknowledgements) acknowledge(failure);
    this.options.onChange?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
