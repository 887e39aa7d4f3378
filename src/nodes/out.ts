/**
 * "inflow out": msg.payload -> points -> a batch writer per target (database, retention policy) that
 * commits every `autocommitEvery` messages, `flushInterval` ms at the latest, and on close.
 * Each message's done() is called once its points are written, or with the error that ended them.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import { BatchWriter, ConfigurationException, type Client, InfluxDBException, Spool, type RetryOptions, type Tags, type WriteOptions } from '../index';
import { isPlainObject } from '../util';
import { clockTime, clientOf, configNodeOf, failMessage, problemStatus, reachabilityStatus, StatusThrottle, statusText } from './common';
import { logSharedFailuresOnce } from './failure-log';
import { DEFAULT_TARGET, pointsOfMessage, type OutMessage, type OutSettings } from './payload';

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

export = function register(RED: NodeAPI): void {
  function InflowOut(this: Node, def: OutDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    logSharedFailuresOnce(RED, node, (def as OutDef & { g?: string }).g);
    const config = configNodeOf(RED, node, def.server);
    const errorOutput = def.errorOutput ? 0 : undefined;
    const writers = new Map<string, BatchWriter>();
    const tuning = RED.settings as unknown as { inflowOutRetry?: RetryOptions; inflowOutCloseTimeout?: number };
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
    const spoolRoot = spoolDirectoryOf(RED, node, def.spool !== false);

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
      const droppedText = (spooled > 0 ? `, ${spooled} batches on disk` : '') + (dropped > 0 ? `, ${dropped} dropped` : '');
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
        return { fill: dropped > 0 || spooled > 0 ? 'yellow' : 'blue', shape: 'ring', text: `${pending} pending${droppedText}` };
      }
      if (lastWritten !== undefined) {
        return { fill: 'green', shape: 'dot', text: `written ${clockTime(lastWritten)}${droppedText}` };
      }
      return reachabilityStatus(config?.reachability);
    });
    status.now();

    let defaultWriter: BatchWriter | undefined;
    const writerFor = (client: Client, target: WriteOptions): BatchWriter => {
      if (target === DEFAULT_TARGET && defaultWriter !== undefined) return defaultWriter;
      const key = `${target.database ?? ''}\u0000${target.retentionPolicy ?? ''}`;
      let writer = writers.get(key);
      if (writer === undefined) {
        const spool = openSpool(node, spoolRoot, target, spoolLimitMb);
        writer = new BatchWriter(client, {
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
        });
        writers.set(key, writer);
        if (spool !== undefined) spools.set(writer, spool);
      }
      if (target === DEFAULT_TARGET) defaultWriter = writer;
      return writer;
    };

    // A backlog left on disk by an earlier run (a redeploy, a restart, a crash) is replayed now.
    if (problem === undefined && client !== undefined && spoolRoot !== undefined) {
      for (const target of spooledTargets(spoolRoot)) writerFor(client, target).startReplay();
    }

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
      Promise.all([...writers.values()].map((writer) => writer.close()))
        .then(() => Promise.all([...spools.values()].map((spool) => spool.close())))
        .catch((error: unknown) => node.warn(`closing: ${String(error)}`))
        .finally(() => {
          status.stop();
          config?.deregister(node);
          done();
        });
    });
  }

  RED.nodes.registerType('inflow out', InflowOut, {
    // Tuning from settings.js, for the few who need it: { firstDelay, base, maxDelay, jitter, maxRetryTime } and ms.
    settings: { inflowOutRetry: { value: undefined, exportable: false }, inflowOutCloseTimeout: { value: undefined, exportable: false } },
  });
};

/** Where this node keeps its spool: under Node-RED's user directory, one folder per node. */
function spoolDirectoryOf(RED: NodeAPI, node: Node, enabled: boolean): string | undefined {
  if (!enabled) return undefined;
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir;
  if (!userDir) {
    node.warn('no Node-RED user directory is set: points are kept in memory only while InfluxDB is away');
    return undefined;
  }
  return path.join(userDir, 'inflow-spool', node.id);
}

/** A target as a folder name: database and retention policy, percent-encoded, `~` between. */
function targetFolder(target: WriteOptions): string {
  return `${encodeURIComponent(target.database ?? '')}~${encodeURIComponent(target.retentionPolicy ?? '')}`;
}

function spooledTargets(root: string): WriteOptions[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => name.includes('~'))
    .map((name) => {
      const [database = '', retentionPolicy = ''] = name.split('~').map((part) => decodeURIComponent(part));
      return database === '' && retentionPolicy === '' ? DEFAULT_TARGET : { database: database || undefined, retentionPolicy: retentionPolicy || undefined };
    });
}

function openSpool(node: Node, root: string | undefined, target: WriteOptions, limitMb: number): Spool | undefined {
  if (root === undefined) return undefined;
  try {
    const spool = Spool.open(path.join(root, targetFolder(target)), { maxBytes: limitMb * 1024 * 1024 });
    if (spool.tornRecords > 0) node.warn(`the spool's last record was cut short (a crash while writing it); every complete record is kept`);
    return spool;
  } catch (error) {
    node.warn(`cannot keep points on disk (${String(error)}): they are kept in memory only while InfluxDB is away`);
    return undefined;
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
