import { ConfigurationException, InvalidArgumentException, WRITER_DEFAULTS, type WriteTarget } from '../core';
import type { LineSink } from '../delivery';
import type { Kwargs, MeasurementLike, Template } from './measurement';
import type { Point } from './point';
import type { RecordShape, WriteRecord } from './records';
import { LineMaker } from './write-input';

export interface SessionOptions {
  /** Commit by itself whenever this many points are pending. */
  autocommitEvery?: number | undefined;
  /** Retention policy for every point of the session, instead of the client's. */
  retentionPolicy?: string | undefined;
  /** Database for every point of the session, instead of the DSN's. */
  database?: string | undefined;
}

/**
 * Accumulates points and writes them at once: on `commit()`, every `autocommitEvery` points, and
 * at the end of an `await using` scope. Points are serialized (and stamped "now" if they carry no
 * time) when they are written to the session, so bad input fails at `write`, not at commit.
 * A failed commit keeps its points: commit again to retry them.
 */
export class Session implements AsyncDisposable {
  readonly autocommitEvery: number | undefined;
  private readonly target: WriteTarget;
  private readonly lines: string[] = [];
  private commits: Promise<void> = Promise.resolve();

  /** `maker`: how the write forms become lines (the client's, with its default tags); by default the sink's precision alone. */
  constructor(
    private readonly writer: LineSink,
    options: SessionOptions = {},
    private readonly maker: LineMaker = new LineMaker({ precision: writer.precision }),
  ) {
    const { autocommitEvery, retentionPolicy, database } = options;
    if (autocommitEvery !== undefined && !(Number.isSafeInteger(autocommitEvery) && autocommitEvery > 0)) {
      throw new ConfigurationException(`autocommitEvery must be a whole number above 0, not ${String(autocommitEvery)}`);
    }
    this.autocommitEvery = autocommitEvery;
    this.target = { retentionPolicy, database };
  }

  /** Points written to the session and not yet committed. */
  get pending(): number {
    return this.lines.length;
  }

  write(name: string, kwargs: Kwargs): Promise<void>;
  write(measurements: readonly MeasurementLike[]): Promise<void>;
  write(measurement: MeasurementLike): Promise<void>;
  write(template: Template, rows: readonly Kwargs[]): Promise<void>;
  write(lineProtocol: string | Uint8Array): Promise<void>;
  write(...points: Point[]): Promise<void>;
  write(records: readonly WriteRecord[]): Promise<void>;
  write(...recordsAndShape: [...records: WriteRecord[], shape: RecordShape]): Promise<void>;
  async write(...args: unknown[]): Promise<void> {
    const { lines, options } = this.maker.call(args);
    if (options !== undefined) {
      throw new InvalidArgumentException(
        'a session writes every point to its own database and retention policy: give them in client.session({ ... })',
      );
    }
    for (const line of lines) this.lines.push(line);
    if (this.autocommitEvery !== undefined && this.lines.length >= this.autocommitEvery) await this.commit();
  }

  /** Writes every pending point. Commits run one after another, in the order they were asked for. */
  commit(): Promise<void> {
    const run = this.commits.then(() => this.writePending());
    this.commits = run.catch(() => undefined);
    return run;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.commit();
  }

  private async writePending(): Promise<void> {
    let remaining = this.lines.length;
    while (remaining > 0) {
      const count = Math.min(remaining, WRITER_DEFAULTS.maxLinesPerRequest);
      await this.writer.writeLines(this.lines.slice(0, count), this.target);
      // Only commits remove lines, one commit at a time, so the written ones are still the first `count`.
      this.lines.splice(0, count);
      remaining -= count;
    }
  }
}
