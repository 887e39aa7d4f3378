/**
 * A headless Node-RED runtime for the benchmarks: this package and node-red-contrib-influxdb installed
 * in a temporary user directory, a flow of a source node wired to the node under test, and a count
 * of the messages that node has finished (Node-RED's onComplete hook, the runtime's own signal), with
 * how long each was held from its send to its finish.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';

const RED = require('node-red') as {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): { send(msg: Record<string, unknown>): void } | null };
  hooks: { add(name: string, hook: (event: { msg: { sentAt?: number }; node: { id: string }; error?: unknown }) => void): void };
};

const root = path.resolve(__dirname, '..');

/** The first point's time, in ms: point k of a case is stamped BASE_MS + k. */
export const BASE_MS = 1_700_000_000_000;

/** Messages sent untimed before a case is measured: a tenth as many, at least one. */
export function warmupCount(messages: number): number {
  return Math.max(1, Math.round(messages / 10));
}

export interface Runtime {
  /** Sends a message from the source node, through its wire, to the node under test ("target"). */
  send: (msg: Record<string, unknown>) => void;
  /** Messages the target has finished, and how many of them with an error. */
  readonly finished: { ok: number; failed: number };
  /** Milliseconds from send to finish of each message finished since the last clear (`lifetimes.length = 0`). */
  readonly lifetimes: number[];
  /** Resolves when the target has finished this many messages. */
  whenFinished(count: number): Promise<void>;
  /**
   * The process's CPU time and the clock, read in the runtime's hook at the moment the count given to the
   * last whenFinished was reached (the last done()), before anything the promise's resolution runs.
   */
  readonly reached: { cpu: NodeJS.CpuUsage; at: bigint } | undefined;
  stop(): Promise<void>;
}

export async function startRuntime(nodes: Array<Record<string, unknown>>): Promise<Runtime> {
  const userDir = mkdtempSync(path.join(tmpdir(), 'inflow-bench-'));
  mkdirSync(path.join(userDir, 'node_modules'));
  symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-inflow'), 'dir');
  symlinkSync(
    path.join(root, 'node_modules', 'node-red-contrib-influxdb'),
    path.join(userDir, 'node_modules', 'node-red-contrib-influxdb'),
    'dir',
  );
  const source = { id: 'source', type: 'bench source', z: 'tab', wires: [['target']] };
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([{ id: 'tab', type: 'tab', label: 'bench' }, source, ...nodes]));

  RED.init(createServer(), {
    userDir,
    nodesDir: path.join(__dirname, 'sink'),
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    logging: { console: { level: 'off' } },
  });
  await RED.start();
  let sender = RED.nodes.getNode('source');
  for (let i = 0; (sender === null || RED.nodes.getNode('target') === null) && i < 500; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    sender = RED.nodes.getNode('source');
  }
  if (sender === null || RED.nodes.getNode('target') === null) throw new Error('the flow did not start');
  const source0 = sender;

  const finished = { ok: 0, failed: 0 };
  const lifetimes: number[] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  let reached: { cpu: NodeJS.CpuUsage; at: bigint } | undefined;
  RED.hooks.add('onComplete', (event) => {
    if (event.node.id !== 'target') return;
    if (event.msg.sentAt !== undefined) lifetimes.push(performance.now() - event.msg.sentAt);
    if (event.error) finished.failed++;
    else finished.ok++;
    if (waiting !== undefined && finished.ok + finished.failed >= waiting.count) {
      reached = { cpu: process.cpuUsage(), at: process.hrtime.bigint() };
      waiting.resolve();
      waiting = undefined;
    }
  });
  return {
    // Every message is stamped alike, warm-up included: the same shape for the nodes all along.
    send: (msg) => {
      msg.sentAt = performance.now();
      source0.send(msg);
    },
    finished,
    lifetimes,
    get reached() {
      return reached;
    },
    whenFinished: (count) => {
      reached = undefined;
      return finished.ok + finished.failed >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => (waiting = { count, resolve }));
    },
    stop: async () => {
      await RED.stop();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** The config node of each package, for a database on an influxd port. */
export function servers(port: number, database: string): { ours: Record<string, unknown>; theirs: Record<string, unknown> } {
  return {
    ours: {
      id: 'inflowServer',
      type: 'inflow-config',
      dsn: `http://127.0.0.1:${port}/${database}`,
      precision: 'ms',
      retentionPolicy: '',
      timeout: 10_000,
    },
    theirs: {
      id: 'influxServer',
      type: 'influxdb',
      hostname: '127.0.0.1',
      port: String(port),
      protocol: 'http',
      database,
      name: '',
      usetls: false,
      tls: '',
      influxdbVersion: '1.x',
    },
  };
}
