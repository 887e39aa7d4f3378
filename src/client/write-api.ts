/**
 * The WriteApi of seed 004: `client.writeApi(options)` batches records (1,000 points or 1 s by default,
 * with the seed's retry schedule), or, with WriteOptions.SYNCHRONOUS, writes each call in one awaited
 * request. It runs on the delivery layer's BatchWriter, as inflow out does.
 */
import { ConfigurationException, InfluxDBException, WRITE_API_DEFAULTS, type Precision, type WriteTarget } from '../core';
import { BatchWriter, RetryPolicy, type LineSink, type Spool } from '../delivery';
import type { WriteOptions as CallOptions } from './measurement';
import { linesOfRecords, withShape } from './records';

/** The options of one write call (`{ database, retentionPolicy, bucket, org, signal }`); as a value, the seed's modes. */
export type WriteOptions = CallOptions;

export interface WriteApiOptions extends WriteTarget {
  /** 'batching' (default) or 'synchronous': each `write` one request, awaited. */
  writeType?: 'batching' | 'synchronous' | undefined;
  /** Points a batch holds before it is written. Default 1000. */
  batchSize?: number | undefined;
  /** Milliseconds after which a batch is written however small. Default 1000. */
  flushInterval?: number | undefined;
  /** Up to this many milliseconds, at random, added to each flush, so that many writers do not write in step. Default 0. */
  jitterInterval?: number | undefined;
  /** Milliseconds before the first retry (then times `exponentialBase` each time, at random up to the next step). Default 5000. */
  retryInterval?: number | undefined;
  /** Retries of a batch at most. Default 5. */
  maxRetries?: number | undefined;
  /** The longest wait between two tries. Default 125 000. */
  maxRetryDelay?: number | undefined;
  /** No retry once a batch has been failing this long. Default 180 000. */
  maxRetryTime?: number | undefined;
  /** Default 2. */
  exponentialBase?: number | undefined;
  /** Most points waiting in memory; past it the oldest are dropped, each reported. Default 100 000. */
  maxBufferLines?: number | undefined;
  /** Where batches wait on disk while the server is away. */
  spool?: Spool | undefined;
  /** Told of a batch of points written. */
  onSuccess?: ((lines: readonly string[]) => void) | undefined;
  /**
   * Told of points that could not be written, with why. Default: a line on the console, so that no
   * failure goes unsaid.
   */
  onError?: ((error: InfluxDBException, lines: readonly string[]) => void) | undefined;
}

/** The seed's two modes, as options. */
export const WriteOptions = Object.freeze({
  SYNCHRONOUS: Object.freeze({ writeType: 'synchronous' }) as WriteApiOptions,
  BATCHING: Object.freeze({ writeType: 'batching' }) as WriteApiOptions,
});

/** What the write API writes through: the Client, which adds its default tags. */
export interface RecordSink extends LineSink {
  withDefaultTags(lines: string[]): string[];
}

export class WriteApi implements AsyncDisposable {
  readonly #sink: RecordSink;
  readonly #options: WriteApiOptions;
  readonly #target: WriteTarget;
  readonly #writer: BatchWriter | undefined;
  #closed = false;

  constructor(sink: RecordSink, options: WriteApiOptions = {}) {
    this.#sink = sink;
    this.#options = options;
    this.#target = {
      database: options.database,
      retentionPolicy: options.retentionPolicy,
      bucket: options.bucket,
      org: options.org,
    };
    if (options.writeType !== undefined && options.writeType !== 'batching' && options.writeType !== 'synchronous') {
      throw new ConfigurationException(`writeType ${JSON.stringify(options.writeType)} is not 'batching' or 'synchronous'`);
    }
    if (options.writeType === 'synchronous') return;
    const base = numberOption(options, 'exponentialBase', 1);
    this.#writer = new BatchWriter(sink, {
      target: this.#target,
      batchSize: numberOption(options, 'batchSize', 1),
      countLines: true,
      flushInterval: numberOption(options, 'flushInterval', 0),
      jitterInterval: numberOption(options, 'jitterInterval', 0),
      maxBufferLines: options.maxBufferLines,
      spool: options.spool,
      // The seed's schedule: each wait at random between retryInterval * base^(n-1) and retryInterval * base^n.
      retry: new RetryPolicy({
        firstDelay: numberOption(options, 'retryInterval', 0),
        base,
        jitter: base - 1,
        maxDelay: numberOption(options, 'maxRetryDelay', 0),
        maxRetryTime: numberOption(options, 'maxRetryTime', 0),
        maxRetries: numberOption(options, 'maxRetries', 0),
      }),
    });
  }

  /** The writer's unit for number timestamps and line protocol text. */
  get precision(): Precision {
    return this.#sink.precision;
  }

  /**
   * Writes records: line protocol text, Points, Measurements, dicts, and objects read through a shape
   * given last (`{ measurementName, tagKeys, fieldKeys, timeKey }`, or a data frame's `tagColumns`,
   * `timeColumn`). Batching: resolves once they are queued (a malformed record rejects at once, and
   * nothing of the call is queued); SYNCHRONOUS: once they are written.
   */
  async write(...records: unknown[]): Promise<void> {
    if (this.#closed) throw new ConfigurationException('the write API is closed');
    const { records: given, shape } = withShape(records);
    const lines = this.#sink.withDefaultTags(linesOfRecords(given, this.#sink.precision, shape));
    if (lines.length === 0) return;
    if (this.#writer === undefined) {
      await this.#sink.writeLines(lines, this.#target);
      return;
    }
    this.#writer.add(lines, (error) => {
      if (error === undefined) this.#options.onSuccess?.(lines);
      else if (this.#options.onError !== undefined) this.#options.onError(error, lines);
      else console.error(`inflow writeApi: ${lines.length} point(s) not written: ${error.message}`);
    });
  }

  /** Writes everything queued; resolves when it is written or failed. */
  async flush(): Promise<void> {
    await this.#writer?.flush();
  }

  /** Writes what is queued (retrying within the close timeout), then refuses further writes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writer?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function numberOption(options: WriteApiOptions, key: keyof typeof WRITE_API_DEFAULTS, least: number): number {
  const value = options[key] ?? WRITE_API_DEFAULTS[key];
  if (typeof value !== 'number' || Number.isNaN(value) || value < least) {
    throw new ConfigurationException(`${key} must be a number of at least ${least}, not ${String(value)}`);
  }
  return value;
}
