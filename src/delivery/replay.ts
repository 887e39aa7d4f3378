import { linesOf, WRITER_DEFAULTS, type InfluxDBException, type LineProtocol, type Precision, type WriteTarget } from '../core';
import type { Backoff, Pauses } from './backoff';
import { isolateRejected, isRejection } from './isolate';
import { joinedBody, plainBodyOf, type Spool, type StoredRecord } from './spool';

/** What a replay needs of its writer. */
export interface ReplayContext {
  readonly backoff: Backoff;
  readonly pauses: Pauses;
  /**
   * One request; the error that ended it, or undefined once written. `precision`: the unit of the lines'
   * times, when the record says it (it may be another than the writer's, whose precision changed since).
   */
  attempt(lines: LineProtocol, target: WriteTarget, precision: Precision | undefined): Promise<InfluxDBException | undefined>;
  /**
   * One request of gzipped lines, sent as they are where the server takes them so (`plain` unpacks them).
   * Rejects with what `plain` threw when they had to be unpacked and could not be: no failure of the server.
   */
  attemptGzipped(
    gzipped: Uint8Array,
    plain: () => Promise<Uint8Array>,
    target: WriteTarget,
    precision: Precision | undefined,
  ): Promise<InfluxDBException | undefined>;
  /** Whether the server answers now, asked while waiting to retry after it could not be reached. */
  readonly answers?: (() => Promise<boolean>) | undefined;
  /** The spool could not be read. */
  spoolFailed(error: unknown): void;
  /** Spooled points the server rejected outright (they were acknowledged already, and are dropped). */
  rejected(error: InfluxDBException, lines: readonly string[]): void;
  changed(): void;
}

export interface ReplayOptions {
  /** Requests under way at once, at most. Default 2. */
  inFlight?: number | undefined;
  /** Lines a request, at most (records are joined up to it). Default: the writer's request size, 5,000. */
  maxLines?: number | undefined;
  /** Bytes of line protocol a request, unpacked, at most. Default 4 MiB, under every server's request limit. */
  maxBytes?: number | undefined;
}

export const REPLAY_DEFAULTS = {
  inFlight: 2,
  /**
   * While the server cannot be reached, it is pinged this often between the backoff's retries, so that a
   * backlog starts to drain within seconds of its return rather than at the next retry, minutes later.
   */
  probeEvery: 5000,
  maxLines: WRITER_DEFAULTS.maxLinesPerRequest,
  maxBytes: 4 * 1024 * 1024,
  /**
   * The least wait before the disk is read again after it failed, or after a run ended on an error: a retry
   * policy's first delay of 0 must not make the replay spin on the disk and the server.
   */
  leastPause: 1000,
} as const;

/** Records of one target, unit and packing, joined into one request. */
interface Request {
  records: StoredRecord[];
  target: WriteTarget;
  /** The unit of the records' times, when they say it. */
  precision: Precision | undefined;
}

/** A request, or a part of one split to find the points the server rejects. */
interface Part {
  request: Request;
  /** The part's lines, once known: always for a split part; for a whole request, once it was unpacked. */
  lines?: readonly string[];
}

/**
 * Writes a spool's records, oldest first, removing each once written: records of one target joined into
 * requests as large as a live batch's, two under way at once, so that a backlog drains at the pace of
 * the link rather than one record a round trip. A gzipped record is sent as it is kept, and unpacked only
 * to find a point the server rejects. Records are removed in order: one written while an older one waits
 * for a retry stays on disk, remembered as written, until the older one is written too (after a crash it
 * is written again, harmlessly: every point carries its time). Spooled points were acknowledged already,
 * so they are never given up on for a passing reason or a missing database or credentials (all may be
 * fixed): the request is retried after the writer's backoff. Only points the server rejects outright are
 * dropped, and reported.
 */
export class Replay {
  private run: Promise<void> | undefined;
  private readonly inFlight: number;
  private readonly maxLines: number;
  private readonly maxBytes: number;

  constructor(
    private readonly spool: Spool,
    private readonly context: ReplayContext,
    options: ReplayOptions = {},
  ) {
    this.inFlight = options.inFlight ?? REPLAY_DEFAULTS.inFlight;
    this.maxLines = options.maxLines ?? REPLAY_DEFAULTS.maxLines;
    this.maxBytes = options.maxBytes ?? REPLAY_DEFAULTS.maxBytes;
  }

  get running(): boolean {
    return this.run !== undefined;
  }

  /** Starts replaying in the background, unless one is running, the spool is empty, or the writer is closing. */
  start(): void {
    if (this.spool.empty || this.run !== undefined || this.context.backoff.closing) return;
    this.run = this.replay().then(
      () => this.ended(false),
      async (error: unknown) => {
        // Whatever ended the run, its records are still on disk: they are read again in a moment.
        this.context.spoolFailed(error);
        if (!this.context.backoff.closing) await this.context.pauses.sleep(this.pauseAfterFailure());
        this.ended(true);
      },
    );
  }

  private pauseAfterFailure(): number {
    return Math.max(this.context.backoff.policy.firstDelay, REPLAY_DEFAULTS.leastPause);
  }

  private ended(again: boolean): void {
    this.run = undefined;
    this.context.changed();
    if (again) this.start();
  }

  /** Resolves when the replay under way (if any) has ended: the spool is empty, or the writer is closing. */
  async finished(): Promise<void> {
    await this.run;
  }

  private async replay(): Promise<void> {
    const { backoff, pauses } = this.context;
    // Records written while an older one is not: removed once every record before them is.
    const written = new Set<string>();
    // Records whose gzip cannot be unpacked (a file changed on disk with its checksum): set aside once first.
    const unreadable = new Set<string>();
    // Lines reported as rejected (how many of each), by request (its first record), while the rest of it waits for a
    // retry: not reported again.
    const reported = new Map<string, Map<string, number>>();
    while (!this.spool.empty && !backoff.closing) {
      await this.waitToRetry();
      if (backoff.closing) return;
      let records: StoredRecord[];
      try {
        records = await this.spool.oldest({
          records: this.inFlight * this.maxLines,
          lines: this.inFlight * this.maxLines,
          bytes: this.inFlight * this.maxBytes,
        });
      } catch (error) {
        // The disk failed again and again: the records stay, and are read again later.
        this.context.spoolFailed(error);
        await pauses.sleep(this.pauseAfterFailure());
        continue;
      }
      if (records.length === 0) return;
      const first = records[0] as StoredRecord;
      if (unreadable.has(first.id)) {
        unreadable.delete(first.id);
        await this.spool
          .setFirstAside('its gzipped lines cannot be unpacked')
          .catch((error: unknown) => this.context.spoolFailed(error));
        continue;
      }
      const requests = this.requestsOf(records, written, unreadable);
      const outcomes = await Promise.all(requests.map((request) => this.send(request, unreadable, reported)));
      requests.forEach((request, index) => {
        if (outcomes[index] === true) for (const record of request.records) written.add(record.id);
      });
      for (const record of records) {
        if (!written.has(record.id)) break;
        try {
          await this.spool.removeFirst(record.id);
        } catch (error) {
          this.context.spoolFailed(error);
          break;
        }
        written.delete(record.id);
      }
      this.context.changed();
    }
  }

  /**
   * Waits for the backoff's next retry; while the server could not be reached (no answer, or a gateway's
   * 502 or 504), it is pinged every few seconds meanwhile, and the wait ends when it answers. A server that
   * answered (a 503, a 429, Retry-After) is left the time it asked for.
   */
  private async waitToRetry(): Promise<void> {
    const { backoff, pauses, answers } = this.context;
    for (let left = backoff.waitTime(); left > 0 && !backoff.closing; left = backoff.waitTime()) {
      if (!backoff.unreachable || answers === undefined) {
        await pauses.sleep(left);
        return;
      }
      await pauses.sleep(Math.min(left, REPLAY_DEFAULTS.probeEvery));
      if (backoff.waitTime() > 0 && !backoff.closing && (await answers())) return;
    }
  }

  /**
   * The records not written yet, in order, joined into at most `inFlight` requests: consecutive records
   * of one target and packing, up to a request's lines and bytes. A record that cannot be unpacked is
   * sent alone, so that the records before it are written first.
   */
  private requestsOf(records: readonly StoredRecord[], written: ReadonlySet<string>, unreadable: ReadonlySet<string>): Request[] {
    const requests: Request[] = [];
    let current: { request: Request; lines: number; bytes: number; gzipped: boolean } | undefined;
    for (const record of records) {
      if (written.has(record.id)) continue;
      if (unreadable.has(record.id)) break;
      const fits =
        current !== undefined &&
        current.gzipped === record.gzipped &&
        current.request.precision === record.precision &&
        sameTarget(current.request.target, record.target) &&
        current.lines + record.lines <= this.maxLines &&
        current.bytes + record.plainBytes <= this.maxBytes;
      if (fits && current !== undefined) {
        current.request.records.push(record);
        current.lines += record.lines;
        current.bytes += record.plainBytes;
        continue;
      }
      if (requests.length === this.inFlight) break;
      current = {
        request: { records: [record], target: record.target, precision: record.precision },
        lines: record.lines,
        bytes: record.plainBytes,
        gzipped: record.gzipped,
      };
      requests.push(current.request);
    }
    return requests;
  }

  /**
   * Writes a request; true once written (rejected points dropped and reported), false to try again later.
   * A point rejected in a try whose other part must wait is reported once, not again at each try.
   */
  private async send(request: Request, unreadable: Set<string>, reported: Map<string, Map<string, number>>): Promise<boolean> {
    const { backoff } = this.context;
    const key = (request.records[0] as StoredRecord).id;
    const earlier = reported.get(key) ?? new Map<string, number>();
    // Copies of each line reported at earlier tries and not met again in this one: a copy met again is not reported
    // twice, and two identical lines are two points.
    const unmet = new Map(earlier);
    const report = (failure: InfluxDBException, lines: readonly string[]): void => {
      const fresh = lines.filter((line) => {
        const left = unmet.get(line) ?? 0;
        if (left > 0) unmet.set(line, left - 1);
        return left === 0;
      });
      for (const line of fresh) earlier.set(line, (earlier.get(line) ?? 0) + 1);
      if (fresh.length > 0) this.context.rejected(failure, fresh);
    };
    try {
      const done = await isolateRejected<Part>(
        { request },
        {
          write: (part) => this.write(part),
          split: (part) => {
            const each = part.lines ?? [];
            const middle = each.length >> 1;
            return each.length > 1
              ? [
                  { request, lines: each.slice(0, middle) },
                  { request, lines: each.slice(middle) },
                ]
              : undefined;
          },
          end: (part, failure) => {
            if (failure === undefined) return true;
            if (isRejection(failure)) {
              report(failure, part.lines ?? []);
              return true;
            }
            backoff.schedule(failure);
            this.context.changed();
            return false;
          },
          endPartial: (part, rejected, failure) => {
            const each = part.lines ?? [];
            report(
              failure,
              rejected.map(({ line }) => each[line - 1] ?? `(line ${line})`),
            );
            return true;
          },
        },
      );
      if (done) reported.delete(key);
      else if (earlier.size > 0) reported.set(key, earlier);
      return done;
    } catch (error) {
      if (!(error instanceof UnpackError)) throw error;
      unreadable.add(error.id);
      return false;
    }
  }

  /**
   * One request of a part: a whole request as it is kept (gzip too), or the lines of a split part; at the
   * precision its records were kept at, whatever the writer's now.
   */
  private async write(part: Part): Promise<InfluxDBException | undefined> {
    const { request } = part;
    const { precision } = request;
    if (part.lines !== undefined) return this.context.attempt(part.lines, request.target, precision);
    // Unpacked once at most: for a sink that rewrites lines, and again to isolate a rejection, the same bytes.
    // A record that cannot be unpacked rejects with an UnpackError, which the writer does not count as the server's.
    let unpacked: Promise<Uint8Array> | undefined;
    const plain = (): Promise<Uint8Array> => (unpacked ??= plainOf(request.records));
    const gzipped = (request.records[0] as StoredRecord).gzipped;
    const failure = gzipped
      ? await this.context.attemptGzipped(joinedBody(request.records), plain, request.target, precision)
      : await this.context.attempt(joinedBody(request.records), request.target, precision);
    // Only a rejected request is unpacked: to split it, and to name the points the server refused.
    if (failure !== undefined && isRejection(failure)) part.lines = linesOf(await plain());
    return failure;
  }
}

class UnpackError extends Error {
  constructor(
    readonly id: string,
    cause: unknown,
  ) {
    super(`a spooled record cannot be unpacked: ${String(cause)}`);
  }
}

/** The records' lines, unpacked and joined. */
async function plainOf(records: readonly StoredRecord[]): Promise<Uint8Array> {
  const bodies: Uint8Array[] = [];
  for (const record of records) {
    try {
      bodies.push(await plainBodyOf(record));
    } catch (error) {
      throw new UnpackError(record.id, error);
    }
  }
  return bodies.length === 1 ? (bodies[0] as Uint8Array) : Buffer.concat(bodies);
}

function sameTarget(a: WriteTarget, b: WriteTarget): boolean {
  return a.database === b.database && a.retentionPolicy === b.retentionPolicy && a.bucket === b.bucket && a.org === b.org;
}
