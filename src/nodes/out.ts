/**
 * "inflow out": msg.payload -> points -> a batch writer per target (database, retention policy) that
 * commits every `autocommitEvery` messages, `flushInterval` ms at the latest, and on close.
 * Each message's done() is called once its points are written, or with the error that ended them.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import { BatchWriter, ConfigurationException, InfluxDBException, type RetryOptions, type Tags, type WriteOptions } from '../index';
import { isPlainObject } from '../client/measurement';
import { asException, configNodeOf, configProblem, failMessage, StatusThrottle, statusText } from './common';
import type { InflowConfigNode } from './types';
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
}

const DEFAULT_AUTOCOMMIT_EVERY = 100;
const DEFAULT_FLUSH_INTERVAL = 1000;
const DEFAULT_BUFFER_LIMIT = 100_000;

export = function register(RED: NodeAPI): void {
  function InflowOut(this: Node, def: OutDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = configNodeOf(RED, node, def.server);
    const errorOutput = def.errorOutput ? 0 : undefined;
    const writers = new Map<string, BatchWriter>();
    const tuning = RED.settings as unknown as { inflowOutRetry?: RetryOptions; inflowOutCloseTimeout?: number };
    let settingsProblem: ConfigurationException | undefined;
    let settings: OutSettings | undefined;
    let autocommitEvery = DEFAULT_AUTOCOMMIT_EVERY;
    let flushInterval = DEFAULT_FLUSH_INTERVAL;
    let bufferLimit = DEFAULT_BUFFER_LIMIT;
    try {
      autocommitEvery = wholeNumber(def.autocommitEvery, DEFAULT_AUTOCOMMIT_EVERY, 1, 'autocommit every');
      flushInterval = wholeNumber(def.flushInterval, DEFAULT_FLUSH_INTERVAL, 0, 'flush interval');
      bufferLimit = wholeNumber(def.bufferLimit, DEFAULT_BUFFER_LIMIT, 1, 'buffer limit');
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
    const problem = settingsProblem ?? configProblem(config);
    config?.register(node);

    const status = new StatusThrottle(node, (): NodeStatus => {
      if (problem !== undefined) return { fill: 'red', shape: 'ring', text: problem.message.slice(0, 120) };
      let pending = 0;
      let dropped = 0;
      let lastWritten: Date | undefined;
      for (const writer of writers.values()) {
        pending += writer.pendingPoints;
        dropped += writer.dropped;
      }
      const droppedText = dropped > 0 ? `, ${dropped} dropped` : '';
      for (const writer of writers.values()) {
        if (writer.retryAt !== undefined && writer.lastError !== undefined) {
          return { fill: 'yellow', shape: 'ring', text: `${pending} pending${droppedText}, retrying: ${statusText(writer.lastError)}` };
        }
        if (writer.lastError !== undefined) return { fill: 'red', shape: 'dot', text: statusText(writer.lastError) };
        if (writer.lastWritten !== undefined && (lastWritten === undefined || writer.lastWritten > lastWritten)) {
          lastWritten = writer.lastWritten;
        }
      }
      if (pending > 0) return { fill: dropped > 0 ? 'yellow' : 'blue', shape: 'ring', text: `${pending} pending${droppedText}` };
      if (lastWritten !== undefined) {
        return { fill: 'green', shape: 'dot', text: `written ${lastWritten.toTimeString().slice(0, 8)}${droppedText}` };
      }
      return { fill: 'grey', shape: 'ring', text: 'ready' };
    });
    status.now();

    let defaultWriter: BatchWriter | undefined;
    const writerFor = (target: WriteOptions): BatchWriter => {
      if (target === DEFAULT_TARGET && defaultWriter !== undefined) return defaultWriter;
      const key = `${target.database ?? ''}\u0000${target.retentionPolicy ?? ''}`;
      let writer = writers.get(key);
      if (writer === undefined) {
        writer = new BatchWriter(config?.client as NonNullable<InflowConfigNode['client']>, {
          target,
          flushEvery: autocommitEvery,
          flushInterval,
          onChange: () => status.changed(),
          retry: tuning.inflowOutRetry,
          closeTimeout: tuning.inflowOutCloseTimeout,
          maxPendingPoints: bufferLimit,
        });
        writers.set(key, writer);
      }
      if (target === DEFAULT_TARGET) defaultWriter = writer;
      return writer;
    };

    node.on('input', (msg, send, done) => {
      if (problem !== undefined || settings === undefined) {
        failMessage(msg, problem ?? new ConfigurationException('the node settings cannot work'), errorOutput, send, done);
        return;
      }
      let points;
      try {
        points = pointsOfMessage(msg as NodeMessage & OutMessage, settings);
      } catch (error) {
        failMessage(msg, asException(error), errorOutput, send, done);
        return;
      }
      // Without an errors output, done itself is the acknowledgement: no closure kept per message.
      const acknowledge =
        errorOutput === undefined
          ? done
          : (error: InfluxDBException | undefined) => (error === undefined ? done() : failMessage(msg, error, errorOutput, send, done));
      writerFor(points.target).add(points.lines, acknowledge);
      status.changed();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      Promise.all([...writers.values()].map((writer) => writer.close())).finally(() => {
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
