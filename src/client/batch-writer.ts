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
}

/** What a batch writer needs of its client. */
export interface BatchSink {
  writeLines(lines: readonly string[], options?: WriteOptions): Promise<void>;
}

interface Entry {
  lines: readonly string[];
  acknowledge: Acknowledge;
}

/**
 * Accumulates entries (the lines of one message each) and writes them together: when `flushEvery`
 * entries are pending, `flushInterval` ms after the first, and on `flush()` or `close()`. One request
 * is in flight at a time; whatever arrives meanwhile goes in the next, so batches grow with load.
 * Each entry is acknowledged once, after its points are written or with the error that ended them.
 */
export class BatchWriter {
  lastWritten: Date | undefined;
  lastError: InfluxDBException | undefined;
  private entries: Entry[] = [];
  private points = 0;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private closed = false;

  constructor(
    private readonly sink: BatchSink,
    private readonly options: BatchWriterOptions,
  ) {}

  /** Entries waiting to be written, the batch in flight included. */
  get pendingEntries(): number {
    return this.entries.length + this.inFlightEntries;
  }

  /** Points waiting to be written, the batch in flight included. */
  get pendingPoints(): number {
    return this.points;
  }

  private inFlightEntries = 0;

  add(lines: readonly string[], acknowledge: Acknowledge): void {
    if (this.closed) {
      acknowledge(new ClientClosedException('the writer is closed: the flow was stopped'));
      return;
    }
    this.entries.push({ lines, acknowledge });
    this.points += lines.length;
    if (this.entries.length >= this.options.flushEvery) {
      void this.flush();
    } else if (this.timer === undefined && this.options.flushInterval > 0 && this.draining === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushInterval);
    }
  }

  /** Writes everything pending; resolves when it is written or failed (never rejects). */
  flush(): Promise<void> {
    this.clearTimer();
    if (this.draining === undefined) {
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
        // Entries that came in after the drain's last look wait for their own trigger.
        if (this.entries.length > 0 && !this.closed && this.options.flushInterval > 0 && this.timer === undefined) {
          this.timer = setTimeout(() => void this.flush(), this.options.flushInterval);
        }
      });
    } else {
      this.drainAgain = true;
    }
    return this.draining;
  }

  /** Writes what is pending, then refuses new entries. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.clearTimer();
  }

  private async drain(): Promise<void> {
    do {
      this.drainAgain = false;
      while (this.entries.length > 0) await this.writeBatch(this.takeBatch());
    } while (this.drainAgain);
  }

  /** Whole entries, up to MAX_LINES_PER_REQUEST lines (at least one entry, however large). */
  private takeBatch(): Entry[] {
    let lines = 0;
    let count = 0;
    while (count < this.entries.length) {
      const size = (this.entries[count] as Entry).lines.length;
      if (count > 0 && lines + size > MAX_LINES_PER_REQUEST) break;
      lines += size;
      count++;
    }
    return this.entries.splice(0, count);
  }

  private async writeBatch(batch: Entry[]): Promise<void> {
    const lines: string[] = [];
    for (const entry of batch) for (const line of entry.lines) lines.push(line);
    this.inFlightEntries = batch.length;
    let failure: InfluxDBException | undefined;
    try {
      await this.sink.writeLines(lines, this.options.target);
      this.lastWritten = new Date();
      this.lastError = undefined;
    } catch (error) {
      failure = error instanceof InfluxDBException ? error : new InfluxDBException(String(error), { cause: error });
      this.lastError = failure;
    }
    this.inFlightEntries = 0;
    this.points -= lines.length;
    for (const entry of batch) entry.acknowledge(failure);
    this.options.onChange?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
