/**
 * The batch writers of one "inflow out" node, one per target (database, retention policy), each with
 * its spool: made when a target is first used, released when unused, and closed with the node; and
 * the writers that replay backlogs of nodes that are gone.
 */
import type { WriteTarget } from '../../core';
import { BatchWriter, BufferBudget, SpoolBudget, type LineSink, type Spool, type WriterState } from '../../delivery';
import { DEFAULT_TARGET } from './payload';
import type { OutOptions, OutTuning } from './settings';
import { openSpool, removeRoot, spooledTargets, type Orphan } from './spool-directory';

export interface WritersContext {
  /** Where the points go: the shared Client, or the node's own view of it that matches the server's field types. */
  sink: LineSink;
  options: OutOptions;
  tuning: OutTuning;
  /** Where this node's spools live, or undefined: memory only. */
  spoolRoot: string | undefined;
  changed: () => void;
  warn: (text: string) => void;
  log: (text: string) => void;
}

export class TargetWriters {
  private readonly writers = new Map<string, BatchWriter>();
  private readonly spools = new Map<BatchWriter, Spool>();
  /** Writers replaying backlogs of nodes that are gone, with their spools. */
  private readonly adopted = new Map<BatchWriter, Spool>();
  private defaultWriter: BatchWriter | undefined;
  private readonly addedAtLastLook = new Map<BatchWriter, number>();
  private readonly releaseTimer: NodeJS.Timeout;
  /** "Hold at most" and "Disk at most" hold for the node as a whole, across its targets. */
  private readonly buffer: BufferBudget;
  private readonly disk: SpoolBudget;

  constructor(private readonly context: WritersContext) {
    this.buffer = new BufferBudget(context.options.maxBufferLines);
    this.disk = new SpoolBudget(context.options.spoolMaxBytes);
    // A backlog left on disk by an earlier run (a redeploy, a restart, a crash) is replayed now.
    if (context.spoolRoot !== undefined) {
      for (const target of spooledTargets(context.spoolRoot, context.warn)) this.writerFor(target).startReplay();
    }
    this.releaseTimer = setInterval(() => this.releaseIdle(), context.tuning.idleRelease);
    this.releaseTimer.unref();
  }

  /** The writer of a target, made (with its spool) on first use. */
  writerFor(target: WriteTarget): BatchWriter {
    if (target === DEFAULT_TARGET && this.defaultWriter !== undefined) return this.defaultWriter;
    const key = `${target.database ?? ''}\u0000${target.retentionPolicy ?? ''}\u0000${target.bucket ?? ''}\u0000${target.org ?? ''}`;
    let writer = this.writers.get(key);
    if (writer === undefined) {
      const { spoolRoot, warn } = this.context;
      const spool = spoolRoot === undefined ? undefined : openSpool(spoolRoot, target, this.disk, warn);
      writer = this.makeWriter(target, spool);
      this.writers.set(key, writer);
      if (spool !== undefined) this.spools.set(writer, spool);
    }
    if (target === DEFAULT_TARGET) this.defaultWriter = writer;
    return writer;
  }

  /** Every writer's state, for the status. */
  states(): WriterState[] {
    return [...this.writers.values(), ...this.adopted.keys()].map((writer) => writer.state());
  }

  /** Replays the backlog of a node that is gone (removed, or replaced by a copy), then removes its folder. */
  adopt(orphan: Orphan): void {
    const { warn, log } = this.context;
    log(
      `replaying the backlog of node ${orphan.nodeId}, which is no longer deployed (${orphan.files} spool file(s) in ${orphan.root})`,
    );
    const runs: Array<Promise<void>> = [];
    for (const target of spooledTargets(orphan.root, warn)) {
      const spool = openSpool(orphan.root, target, new SpoolBudget(Number.MAX_SAFE_INTEGER), warn);
      if (spool === undefined) continue;
      const writer = this.makeWriter(target, spool);
      this.adopted.set(writer, spool);
      writer.startReplay();
      runs.push(writer.replayed().then(() => (spool.empty ? spool.close({ removeIfEmpty: true }) : undefined)));
    }
    void Promise.all(runs).then(() => {
      try {
        removeRoot(orphan.root);
      } catch {
        // left for the next start
      }
    });
  }

  /** Commits what each writer holds (within the close timeout), then gives every spool up, whatever the commits did. */
  async close(): Promise<void> {
    clearInterval(this.releaseTimer);
    await Promise.allSettled([...this.writers.values(), ...this.adopted.keys()].map((writer) => writer.close()));
    const closed = await Promise.allSettled([...this.spools.values(), ...this.adopted.values()].map((spool) => spool.close()));
    for (const result of closed)
      if (result.status === 'rejected') this.context.warn(`closing the spool: ${String(result.reason)}`);
  }

  private makeWriter(target: WriteTarget, spool: Spool | undefined): BatchWriter {
    const { sink, options, tuning, changed, warn } = this.context;
    return new BatchWriter(sink, {
      target,
      batchSize: options.batchSize,
      flushInterval: options.flushInterval,
      jitterInterval: options.jitterInterval,
      onChange: changed,
      retry: options.maxRetries === undefined ? tuning.retry : { ...tuning.retry, maxRetries: options.maxRetries },
      closeTimeout: tuning.closeTimeout,
      buffer: this.buffer,
      spool,
      onRejectedFromSpool: (error, lines) =>
        warn(`InfluxDB rejected ${lines.length} point(s) replayed from disk, which are dropped: ${error.message}`),
      onSpoolError: (error, operation) =>
        warn(
          operation === 'write'
            ? `cannot keep points on disk (${String(error)}): batches stay in memory, and are retried there and on disk, while InfluxDB is away`
            : `cannot read points back from disk (${String(error)}): they stay there, and are read again in a moment`,
        ),
    });
  }

  /** Releases the writers of targets of their own that took nothing since the last look and hold nothing. */
  private releaseIdle(): void {
    for (const [key, writer] of this.writers) {
      const unused = this.addedAtLastLook.get(writer) === writer.added;
      this.addedAtLastLook.set(writer, writer.added);
      if (writer === this.defaultWriter || !unused || !writer.idle) continue;
      const spool = this.spools.get(writer);
      this.writers.delete(key);
      this.spools.delete(writer);
      this.addedAtLastLook.delete(writer);
      void writer.close().then(() => spool?.close({ removeIfEmpty: true }));
    }
  }
}
