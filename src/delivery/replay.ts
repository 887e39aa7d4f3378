import { linesOf, type InfluxDBException, type LineProtocol, type WriteTarget } from '../core';
import type { Backoff, Pauses } from './backoff';
import { isolateRejected, isRejection } from './isolate';
import type { Spool } from './spool';

/** What a replay needs of its writer. */
export interface ReplayContext {
  readonly backoff: Backoff;
  readonly pauses: Pauses;
  /** One request; the error that ended it, or undefined once written. */
  attempt(lines: LineProtocol, target: WriteTarget): Promise<InfluxDBException | undefined>;
  /** The spool could not be read. */
  spoolFailed(error: unknown): void;
  /** Spooled points the server rejected outright (they were acknowledged already, and are dropped). */
  rejected(error: InfluxDBException, lines: readonly string[]): void;
  changed(): void;
}

/**
 * Writes a spool's records, oldest first, removing each once written. Spooled points were
 * acknowledged already, so they are never given up on for a passing reason or a missing database or
 * credentials (all may be fixed): the record is retried after the writer's backoff. Only points the
 * server rejects outright are dropped, and reported.
 */
export class Replay {
  private run: Promise<void> | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly context: ReplayContext,
  ) {}

  get running(): boolean {
    return this.run !== undefined;
  }

  /** Starts replaying in the background, unless one is running, the spool is empty, or the writer is closing. */
  start(): void {
    if (this.spool.empty || this.run !== undefined || this.context.backoff.closing) return;
    this.run = this.replay()
      .catch((error: unknown) => this.context.spoolFailed(error))
      .finally(() => {
        this.run = undefined;
        this.context.changed();
      });
  }

  /** Resolves when the replay under way (if any) has ended: the spool is empty, or the writer is closing. */
  async finished(): Promise<void> {
    await this.run;
  }

  private async replay(): Promise<void> {
    const { backoff, pauses } = this.context;
    while (!this.spool.empty && !backoff.closing) {
      await pauses.sleep(backoff.waitTime());
      if (backoff.closing) return;
      let record;
      try {
        record = await this.spool.first();
      } catch (error) {
        // The disk failed again and again: the record stays, and is read again later.
        this.context.spoolFailed(error);
        await pauses.sleep(backoff.policy.firstDelay);
        continue;
      }
      if (record === undefined) return;
      const { target } = record;
      const written = await isolateRejected<LineProtocol>(record.body, {
        write: (lines) => this.context.attempt(lines, target),
        // Only a rejected record is taken apart into its lines.
        split: (lines) => {
          const each = linesOf(lines);
          const middle = each.length >> 1;
          return each.length > 1 ? [each.slice(0, middle), each.slice(middle)] : undefined;
        },
        end: (lines, failure) => {
          if (failure === undefined) return true;
          if (isRejection(failure)) {
            this.context.rejected(failure, linesOf(lines));
            return true;
          }
          backoff.schedule(failure);
          this.context.changed();
          return false;
        },
        endPartial: (lines, rejected, failure) => {
          const each = linesOf(lines);
          this.context.rejected(
            failure,
            rejected.map(({ line }) => each[line - 1] ?? `(line ${line})`),
          );
          return true;
        },
      });
      if (!written) continue;
      await this.spool.removeFirst().catch((error: unknown) => this.context.spoolFailed(error));
      this.context.changed();
    }
  }
}
