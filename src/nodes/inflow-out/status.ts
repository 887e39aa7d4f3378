/** What an "inflow out" node shows under it: a pure function of its writers' states. */
import type { NodeStatus } from 'node-red';
import type { InfluxDBException } from '../../core';
import type { WriterState } from '../../delivery';
import { clockTime, problemStatus, reachabilityStatus, statusText, type Reachability, type Translate } from '../shared';

export interface OutView {
  /** Why the node cannot work at all (its settings, its server's), or undefined. */
  problem: InfluxDBException | undefined;
  writers: readonly WriterState[];
  /** What the config node's check of the server found. */
  reachability: Reachability | undefined;
  /** The last message refused before it reached a writer (its payload could not be made into points). */
  refused?: Refusal | undefined;
  /** Messages refused so, since the node started. */
  refusedMessages?: number | undefined;
  /** Fields left out since the node started, their values being ones InfluxDB cannot store (invalidValues 'omit'). */
  leftOutFields?: number | undefined;
}

/** Points refused for what they hold: when, and why. */
export interface Refusal {
  at: Date;
  error: InfluxDBException;
}

export function outStatus(
  { problem, writers, reachability, refused, refusedMessages = 0, leftOutFields = 0 }: OutView,
  text: Translate,
): NodeStatus {
  if (problem !== undefined) return problemStatus(problem);
  let pending = 0;
  let dropped = 0;
  let spooled = 0;
  let setAside = 0;
  let diskError: Error | undefined;
  let lastWritten: Date | undefined;
  let refusal = refused;
  let refusedCount = refusedMessages;
  for (const writer of writers) {
    refusedCount += writer.refusedPoints;
    if (writer.lastRejected !== undefined && (refusal === undefined || writer.lastRejected.at > refusal.at))
      refusal = writer.lastRejected;
    pending += writer.pendingPoints;
    dropped += writer.dropped;
    spooled += writer.spooledRecords;
    setAside += writer.setAsideRecords;
    diskError ??= writer.spoolError;
    if (writer.lastWritten !== undefined && (lastWritten === undefined || writer.lastWritten > lastWritten))
      lastWritten = writer.lastWritten;
  }
  const extras =
    (spooled > 0 ? text('inflow-out.status.onDisk', { count: spooled }) : '') +
    (dropped > 0 ? text('inflow-out.status.dropped', { count: dropped }) : '') +
    (refusedCount > 0 ? text('inflow-out.status.refusedCount', { count: refusedCount }) : '') +
    (leftOutFields > 0 ? text('inflow-out.status.leftOut', { count: leftOutFields }) : '') +
    (setAside > 0 ? text('inflow-out.status.setAside', { count: setAside }) : '') +
    (diskError === undefined
      ? ''
      : text('inflow-out.status.notOnDisk', { why: (diskError as NodeJS.ErrnoException).code ?? diskError.message }));
  const pendingText = text('inflow-out.status.pending', { count: pending });
  const retrying = writers.find((writer) => writer.retryAt !== undefined && writer.lastError !== undefined);
  if (retrying?.lastError !== undefined) {
    return {
      fill: 'yellow',
      shape: 'ring',
      text:
        pendingText +
        extras +
        text('inflow-out.status.retrying', {
          time: clockTime(retrying.retryAt ?? new Date()),
          why: statusText(retrying.lastError, text),
        }),
    };
  }
  const failed = writers.find((writer) => writer.lastError !== undefined)?.lastError;
  if (failed !== undefined)
    return { fill: 'red', shape: 'dot', text: text('inflow-out.status.failing', { why: statusText(failed, text) }) };
  if (refusal !== undefined && (lastWritten === undefined || refusal.at >= lastWritten)) {
    const words = text('inflow-out.status.refused', { time: clockTime(refusal.at), why: statusText(refusal.error, text) });
    return { fill: 'yellow', shape: 'dot', text: words + extras };
  }
  if (pending > 0 || spooled > 0 || setAside > 0) {
    const worrying = dropped > 0 || spooled > 0 || setAside > 0 || diskError !== undefined;
    return { fill: worrying ? 'yellow' : 'blue', shape: 'ring', text: pendingText + extras };
  }
  if (lastWritten !== undefined) {
    const lost = dropped > 0 || refusedCount > 0;
    return {
      fill: lost ? 'yellow' : 'green',
      shape: 'dot',
      text: text('inflow-out.status.written', { time: clockTime(lastWritten) }) + extras,
    };
  }
  return reachabilityStatus(reachability, text);
}
