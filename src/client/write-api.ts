/**
 * The WriteApi of influxdb-client-python: `client.writeApi(options)` batches records (1,000 points or 1 s by
 * default, with its retry schedule), or, with WriteOptions.SYNCHRONOUS, writes each call in one awaited
 * request. It runs on the delivery layer's BatchWriter, as inflow out does. Each malformed record fails
 * alone, named; the others are written. It logs nothing: failures go to `onError`, or to the caller.
 */
import {
  ClientClosedException,
  ConfigurationException,
  InvalidMeasurementException,
  restated,
  WRITE_API_DEFAULTS,
  type InfluxDBException,
  type Precision,
  type WriteTarget,
} from '../core';
import { BatchWriter, RetryPolicy, type LineSink, type Spool } from '../delivery';
import { withShape, type WriteRecord } from './records';
import { LineMaker } from './write-input';

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
   * Told of points that could not be written, with why (for a record that could not be made into points,
   * with no lines). Without it, the next `flush()` or `close()` rejects with what failed since the last one.
   */
  onError?: ((error: InfluxDBException, lines: readonly string[]) => void) | undefined;
}

/** influxdb-client-python's two modes, as options. */
export const WriteOptions = Object.freeze({
  SYNCHRONOUS: Object.freeze({ writeType: 'synchronous' }),
  BATCHING: Object.freeze({ writeType: 'batching' }),
});

export class WriteApi implements AsyncDisposable {
  readonly #sink: LineSink;
  readonly #maker: LineMaker;
  /** Failures no onError was told of, for the next flush or close to report. */
  readonly #unreported: InfluxDBException[] = [];
  readonly #options: WriteApiOptions;
  readonly #target: WriteTarget;
  readonly #writer: BatchWriter | undefined;
  #closed = false;

  /** `maker`: how records become lines (the client's, with its default tags); by default the sink's precision alone. */
  constructor(sink: LineSink, options: WriteApiOptions = {}, maker: LineMaker = new LineMaker({ precision: sink.precision })) {
    this.#sink = sink;
    this.#maker = maker;
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
      // Its schedule: each wait at random between retryInterval * base^(n-1) and retryInterval * base^n.
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
   * `timeColumn`). A record that cannot be made into points fails alone, named (`records[1]: ...`), and the
   * others are written. Batching: resolves once they are queued, a malformed record told to `onError` (or
   * to the next flush); SYNCHRONOUS: once they are written, rejecting for a malformed record after the others.
   */
  async write(...records: Array<WriteRecord | readonly WriteRecord[]>): Promise<void> {
    if (this.#closed) throw new ClientClosedException('the write API is closed');
    const { records: given, shape } = withShape(records);
    const lines: string[] = [];
    const refused: InvalidMeasurementException[] = [];
    for (const outcome of this.#maker.eachRecord(given, shape)) {
      if (outcome.error !== undefined) refused.push(outcome.error);
      else for (const line of outcome.lines) lines.push(line);
    }
    if (this.#writer === undefined) {
      if (lines.length > 0) await this.#sink.writeLines(lines, this.#target);
      if (refused.length > 0) throw summary(refused, 'record');
      return;
    }
    for (const error of refused) this.#failed(error, []);
    if (lines.length === 0) return;
    this.#writer.add(lines, (error) => {
      if (error === undefined) this.#options.onSuccess?.(lines);
      else this.#failed(error, lines);
    });
  }

  /** Writes everything queued; resolves when it is written or failed, rejecting with what failed when no onError was told. */
  async flush(): Promise<void> {
    await this.#writer?.flush();
    this.#report();
  }

  /** Writes what is queued (retrying within the close timeout), then refuses further writes; rejects as flush does. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writer?.close();
    this.#report();
  }

  #failed(error: InfluxDBException, lines: readonly string[]): void {
    if (this.#options.onError !== undefined) this.#options.onError(error, lines);
    else this.#unreported.push(error);
  }

  /** Throws what failed since the last report and was told to no onError. */
  #report(): void {
    if (this.#unreported.length === 0) return;
    const failures = this.#unreported.splice(0);
    throw summary(failures, 'write');
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

/** One exception for several failures: the first, its count said in front (give onError to be told of each). */
function summary(failures: readonly InfluxDBException[], what: 'record' | 'write'): InfluxDBException {
  const [first] = failures as [InfluxDBException, ...InfluxDBException[]];
  if (failures.length === 1) return first;
  const count = what === 'record' ? `${failures.length} records could not be written` : `${failures.length} writes failed`;
  return restated(first, `${count}; the first: ${first.message} (give onError to be told of each)`);
}
