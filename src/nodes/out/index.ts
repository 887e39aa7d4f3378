/**
 * "inflow out": msg.payload -> points -> a batch writer per target (database, retention policy) that
 * commits every `autocommitEvery` messages, `flushInterval` ms at the latest, and on close.
 * Each message's done() is called once its points are written, or with the error that ended them.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import type { Client } from '../../client';
import { ConfigurationException, InfluxDBException, type Tags, type WriteTarget } from '../../core';
import { BatchWriter, type RetryOptions, type Spool } from '../../delivery';
import { isPlainObject } from '../../util';
import {
  clientOf,
  clockTime,
  configNodeOf,
  failMessage,
  logSharedFailuresOnce,
  problemStatus,
  reachabilityStatus,
  StatusThrottle,
  statusText,
} from '../shared';
import { DEFAULT_TARGET, pointsOfMessage, type OutMessage, type OutSettings } from './payload';
import { findOrphans, openSpool, removeRoot, spoolBaseOf, spooledTargets, spoolRootOf, type Orphan } from './spool-directory';

interface OutDef extends NodeDef {
  server: string;
  measurement: string;
  autocommitEvery: string | number;
  flushInterval: string | number;
  tags: string;
  integerFields: string;
  errorOutput: boolean;
  bufferLimit: string | number;
  spool: boolean;
  spoolLimit: string | number;
}

const DEFAULT_AUTOCOMMIT_EVERY = 100;
const DEFAULT_FLUSH_INTERVAL = 1000;
const DEFAULT_BUFFER_LIMIT = 100_000;
const DEFAULT_SPOOL_LIMIT_MB = 100;
/** A writer for a target of its own (msg.database) is released once unused this long, its spool folder too when empty. */
const DEFAULT_IDLE_RELEASE = 60_000;

/** Nodes that may take over a backlog whose node is gone, by the id of their config node. */
const adopters = new Map<string, Set<(orphan: Orphan) => void>>();
/** Runtimes (by their event bus) that look for such backlogs whenever flows start. */
const sweeping = new WeakSet<object>();

export = function register(RED: NodeAPI): void {
  function InflowOut(this: Node, def: OutDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    logSharedFailuresOnce(RED, node, (def as OutDef & { g?: string }).g);
    const config = configNodeOf(RED, node, def.server);
    const errorOutput = def.errorOutput ? 0 : undefined;
    const writers = new Map<string, BatchWriter>();
    const tuning = RED.settings as unknown as { inflowOutRetry?: RetryOptions; inflowOutCloseTimeout?: number; inflowOutIdleRelease?: number };
    let settingsProblem: ConfigurationException | undefined;
    let settings: OutSettings | undefined;
    let autocommitEvery = DEFAULT_AUTOCOMMIT_EVERY;
    let flushInterval = DEFAULT_FLUSH_INTERVAL;
    let bufferLimit = DEFAULT_BUFFER_LIMIT;
    let spoolLimitMb = DEFAULT_SPOOL_LIMIT_MB;
    try {
      autocommitEvery = wholeNumber(def.autocommitEvery, DEFAULT_AUTOCOMMIT_EVERY, 1, 'autocommit every');
      flushInterval = wholeNumber(def.flushInterval, DEFAULT_FLUSH_INTERVAL, 0, 'flush interval');
      bufferLimit = wholeNumber(def.bufferLimit, DEFAULT_BUFFER_LIMIT, 1, 'buffer limit');
      spoolLimitMb = wholeNumber(def.spoolLimit, DEFAULT_SPOOL_LIMIT_MB, 1, 'spool limit');
      settings = {
        measurement: (def.measurement ?? '').trim(),
        tags: staticTags(def.tags),
        integerFields: new Set((def.integerFields ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '')),
        precision: config?.precision ?? 'ms',
      };
    } catch (error) {
      settingsProblem = error instanceof ConfigurationException ? error : new ConfigurationException(String(error));
      node.error(settingsProblem.message);
    }
    const { client, problem: configProblem } = clientOf(config);
    const problem = settingsProblem ?? configProblem;
    config?.register(node, () => status.changed());

    const spools = new Map<BatchWriter, Spool>();
    const spoolRoot = def.spool === false ? undefined : spoolRootOf(RED, node, def.server);
    /** Writers replaying backlogs of nodes that are gone, with their spools. */
    const adopted = new Map<BatchWriter, Spool>();
    const warn = (text: string): void => node.warn(text);

    const status = new StatusThrottle(node, (): NodeStatus => {
      if (problem !== undefined) return problemStatus(problem);
      let pending = 0;
      let dropped = 0;
      let lastWritten: Date | undefined;
      for (const writer of writers.values()) {
        pending += writer.pendingPoints;
        dropped += writer.dropped;
      }
      let spooled = 0;
      for (const spool of spools.values()) spooled += spool.records;
      for (const spool of adopted.values()) spooled += spool.records;
      let diskError: Error | undefined;
      for (const writer of writers.values()) diskError ??= writer.spoolError;
      const droppedText =
        (spooled > 0 ? `, ${spooled} batches on disk` : '') +
        (dropped > 0 ? `, ${dropped} dropped` : '') +
        (diskError === undefined ? '' : `, not on disk: ${(diskError as NodeJS.ErrnoException).code ?? diskError.message}`);
      for (const writer of writers.values()) {
        if (writer.retryAt !== undefined && writer.lastError !== undefined) {
          return { fill: 'yellow', shape: 'ring', text: `${pending} pending${droppedText}, retrying: ${statusText(writer.lastError)}` };
        }
        if (writer.lastError !== undefined) return { fill: 'red', shape: 'dot', text: statusText(writer.lastError) };
        if (writer.lastWritten !== undefined && (lastWritten === undefined || writer.lastWritten > lastWritten)) {
          lastWritten = writer.lastWritten;
        }
      }
      if (pending > 0 || spooled > 0) {
        return { fill: dropped > 0 || spooled > 0 || diskError !== undefined ? 'yellow' : 'blue', shape: 'ring', text: `${pending} pending${droppedText}` };
      }
      if (lastWritten !== undefined) {
        return { fill: 'green', shape: 'dot', text: `written ${clockTime(lastWritten)}${droppedText}` };
      }
      return reachabilityStatus(config?.reachability);
    });
    status.now();

    const makeWriter = (client: Client, target: WriteTarget, spool: Spool | undefined): BatchWriter =>
      new BatchWriter(client, {
        target,
        flushEvery: autocommitEvery,
        flushInterval,
        onChange: () => status.changed(),
        retry: tuning.inflowOutRetry,
        closeTimeout: tuning.inflowOutCloseTimeout,
        maxPendingPoints: bufferLimit,
        spool,
        onRejectedFromSpool: (error, lines) =>
          node.warn(`InfluxDB rejected ${lines.length} point(s) replayed from disk, which are dropped: ${error.message}`),
        onSpoolError: (error) =>
          node.warn(`cannot keep points on disk (${String(error)}): batches stay in memory, and are retried there, while InfluxDB is away`),
      });

    let defaultWriter: BatchWriter | undefined;
    const writerFor = (client: Client, target: WriteTarget): BatchWriter => {
      if (target === DEFAULT_TARGET && defaultWriter !== undefined) return defaultWriter;
      const key = `${target.database ?? ''}\u0000${target.retentionPolicy ?? ''}`;
      let writer = writers.get(key);
      if (writer === undefined) {
        const spool = spoolRoot === undefined ? undefined : openSpool(spoolRoot, target, spoolLimitMb * 1024 * 1024, warn);
        writer = makeWriter(client, target, spool);
        writers.set(key, writer);
        if (spool !== undefined) spools.set(writer, spool);
      }
      if (target === DEFAULT_TARGET) defaultWriter = writer;
      return writer;
    };

    // A backlog left on disk by an earlier run (a redeploy, a restart, a crash) is replayed now.
    if (problem === undefined && client !== undefined && spoolRoot !== undefined) {
      for (const target of spooledTargets(spoolRoot, warn)) writerFor(client, target).startReplay();
    }

    // A backlog of a node of the same server that is gone (removed, or replaced by a copy) is replayed by this one.
    const adopt = (orphan: Orphan): void => {
      if (client === undefined) return;
      node.log(`replaying the backlog of node ${orphan.nodeId}, which is no longer deployed (${orphan.files} spool file(s) in ${orphan.root})`);
      const runs: Array<Promise<void>> = [];
      for (const target of spooledTargets(orphan.root, warn)) {
        const spool = openSpool(orphan.root, target, Number.MAX_SAFE_INTEGER, warn);
        if (spool === undefined) continue;
        const writer = makeWriter(client, target, spool);
        adopted.set(writer, spool);
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
    };
    if (problem === undefined && spoolRoot !== undefined) {
      const ofServer = adopters.get(def.server) ?? new Set();
      adopters.set(def.server, ofServer.add(adopt));
    }
    if (!sweeping.has(RED.events)) {
      sweeping.add(RED.events);
      RED.events.on('flows:started', () => sweepOrphans(RED));
    }

    // Writers of targets of their own (msg.database) are released when unused, so that many targets cost nothing once idle.
    const idleRelease = tuning.inflowOutIdleRelease ?? DEFAULT_IDLE_RELEASE;
    const addedAtLastLook = new Map<BatchWriter, number>();
    const releaseIdle = (): void => {
      for (const [key, writer] of writers) {
        const spool = spools.get(writer);
        const unused = addedAtLastLook.get(writer) === writer.added;
        addedAtLastLook.set(writer, writer.added);
        if (writer === defaultWriter || !unused || writer.pendingEntries > 0 || writer.replaying || (spool !== undefined && !spool.empty)) continue;
        writers.delete(key);
        spools.delete(writer);
        addedAtLastLook.delete(writer);
        void writer.close().then(() => spool?.close({ removeIfEmpty: true }));
      }
    };
    const releaseTimer = setInterval(releaseIdle, idleRelease);
    releaseTimer.unref();

    node.on('input', (msg, send, done) => {
      if (problem !== undefined || client === undefined || settings === undefined) {
        failMessage(msg, problem ?? new ConfigurationException('the node settings cannot work'), errorOutput, send, done);
        return;
      }
      let points;
      try {
        points = pointsOfMessage(msg as NodeMessage & OutMessage, settings);
      } catch (error) {
        failMessage(msg, InfluxDBException.from(error), errorOutput, send, done);
        return;
      }
      // Without an errors output, done itself is the acknowledgement: no closure kept per message.
      const acknowledge =
        errorOutput === undefined
          ? done
          : (error: InfluxDBException | undefined) => (error === undefined ? done() : failMessage(msg, error, errorOutput, send, done));
      writerFor(client, points.target).add(points.lines, acknowledge);
      status.changed();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(releaseTimer);
      adopters.get(def.server)?.delete(adopt);
      // Every spool is given up (its lock released) whatever became of the writers' final commits.
      Promise.allSettled([...writers.values(), ...adopted.keys()].map((writer) => writer.close()))
        .then(() => Promise.allSettled([...spools.values(), ...adopted.values()].map((spool) => spool.close())))
        .then((results) => {
          for (const result of results) if (result.status === 'rejected') node.warn(`closing the spool: ${String(result.reason)}`);
        })
        .finally(() => {
          status.stop();
          config?.deregister(node);
          done();
        });
    });
  }

  RED.nodes.registerType('inflow out', InflowOut, {
    // Tuning from settings.js, for the few who need it: { firstDelay, base, maxDelay, jitter, maxRetryTime } and ms.
    settings: {
      inflowOutRetry: { value: undefined, exportable: false },
      inflowOutCloseTimeout: { value: undefined, exportable: false },
      inflowOutIdleRelease: { value: undefined, exportable: false },
    },
  });
};

/** Backlogs whose node is not deployed: each goes to a node of the same server, or is reported (and kept). */
function sweepOrphans(RED: NodeAPI): void {
  const base = spoolBaseOf(RED);
  if (base === undefined) return;
  let orphans: Orphan[];
  try {
    orphans = findOrphans(base, (id) => RED.nodes.getNode(id) !== null);
  } catch (error) {
    RED.log.warn(`inflow out: cannot look for backlogs of removed nodes in ${base}: ${String(error)}`);
    return;
  }
  for (const orphan of orphans) {
    const [adopt] = orphan.server === undefined ? [] : [...(adopters.get(orphan.server) ?? [])];
    if (adopt !== undefined) {
      adopt(orphan);
      continue;
    }
    RED.log.warn(
      `inflow out: ${orphan.files} spool file(s) of points in ${orphan.root} belong to node ${orphan.nodeId}, which is not deployed ` +
        `(removed or renamed)${orphan.server === undefined ? '' : ` and whose server ${orphan.server} has no inflow out node with a spool`}. ` +
        'They are kept on disk, not written: deploy an inflow out node with the disk spool on that server to replay them, or delete the folder.',
    );
  }
}

function wholeNumber(value: string | number | undefined, fallback: number, minimum: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < minimum) {
    throw new ConfigurationException(`${what} must be a whole number of at least ${minimum}, not ${JSON.stringify(value)}`);
  }
  return number;
}

function staticTags(text: string | undefined): Tags | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationException(`tags must be a JSON object such as {"location":"garden"}, not ${JSON.stringify(text)}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigurationException('tags must be a JSON object such as {"location":"garden"}');
  return Object.keys(parsed).length === 0 ? undefined : (parsed as Tags);
}
