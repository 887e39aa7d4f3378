/**
 * One scenario of `npm run bench:flow`, in a process of its own (so its peak memory is its own):
 * a headless Node-RED runtime, one flow, N messages sent through a wire into one node, timed until
 * every message is done.
 *   node --import tsx bench/flow-run.ts <scenario> <influx port> <database> <messages> <points per message>
 * Prints one JSON line.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RED = require('node-red') as {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): { send(msg: Record<string, unknown>): void } | null };
  hooks: { add(name: string, hook: (event: { node: { id: string } }) => void): void };
};

const [scenario = '', portText = '', database = '', messagesText = '', pointsText = ''] = process.argv.slice(2);
const port = Number(portText);
const MESSAGES = Number(messagesText);
const POINTS = Number(pointsText);
const root = path.resolve(__dirname, '..');
const BASE_MS = 1_700_000_000_000;
const PER_TURN = 1000;

type Make = (i: number) => Record<string, unknown>;

const ourServer = { id: 'inflowServer', type: 'inflow-config', dsn: `http://127.0.0.1:${port}/${database}`, precision: 'ms', retentionPolicy: '', timeout: 30_000 };
const theirServer = { id: 'influxServer', type: 'influxdb', hostname: '127.0.0.1', port: String(port), protocol: 'http', database, name: '', usetls: false, tls: '', influxdbVersion: '1.x' };

const rows = (i: number): Array<Record<string, unknown>> =>
  Array.from({ length: POINTS }, (_, j) => ({ value: j, timestamp: new Date(BASE_MS + i * POINTS + j) }));

const scenarios: Record<string, { nodes: Array<Record<string, unknown>>; make: Make }> = {
  'inflow out': {
    nodes: [ourServer, { id: 'target', type: 'inflow out', z: 'tab', server: 'inflowServer', measurement: 'single_inflow', autocommitEvery: 1000, flushInterval: 1000, wires: [] }],
    make: (i) => ({ payload: { value: i, timestamp: new Date(BASE_MS + i) } }),
  },
  'influxdb out': {
    nodes: [theirServer, { id: 'target', type: 'influxdb out', z: 'tab', influxdb: 'influxServer', measurement: 'single_influxdb', precision: 'ms', retentionPolicy: '', wires: [] }],
    make: (i) => ({ payload: { value: i, time: new Date(BASE_MS + i) } }),
  },
  'do-nothing node': {
    nodes: [{ id: 'target', type: 'bench sink', z: 'tab', wires: [] }],
    make: (i) => ({ payload: { value: i, timestamp: new Date(BASE_MS + i) } }),
  },
  'inflow out (batches)': {
    nodes: [ourServer, { id: 'target', type: 'inflow out', z: 'tab', server: 'inflowServer', measurement: 'batch_inflow', autocommitEvery: 5, flushInterval: 1000, wires: [] }],
    make: (i) => ({ payload: rows(i) }),
  },
  'influxdb batch': {
    nodes: [theirServer, { id: 'target', type: 'influxdb batch', z: 'tab', influxdb: 'influxServer', precision: 'ms', retentionPolicy: '', wires: [] }],
    make: (i) => ({
      payload: rows(i).map((row) => ({ measurement: 'batch_influxdb', fields: { value: row.value }, timestamp: row.timestamp })),
    }),
  },
};

async function main(): Promise<void> {
  const chosen = scenarios[scenario];
  if (chosen === undefined) throw new Error(`unknown scenario ${scenario}`);
  const userDir = mkdtempSync(path.join(tmpdir(), 'inflow-bench-'));
  mkdirSync(path.join(userDir, 'node_modules'));
  symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-inflow'), 'dir');
  symlinkSync(path.join(root, 'node_modules', 'node-red-contrib-influxdb'), path.join(userDir, 'node_modules', 'node-red-contrib-influxdb'), 'dir');
  const source = { id: 'source', type: 'bench source', z: 'tab', wires: [['target']] };
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([{ id: 'tab', type: 'tab', label: 'bench' }, source, ...chosen.nodes]));

  RED.init(createServer(), {
    userDir,
    nodesDir: path.join(__dirname, 'sink'),
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    logging: { console: { level: 'error' } },
  });
  await RED.start();
  let sender = RED.nodes.getNode('source');
  for (let i = 0; (sender === null || RED.nodes.getNode('target') === null) && i < 500; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    sender = RED.nodes.getNode('source');
  }
  if (sender === null || RED.nodes.getNode('target') === null) throw new Error('the flow did not start');

  let completed = 0;
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  RED.hooks.add('onComplete', (event) => {
    if (event.node.id === 'target' && ++completed === MESSAGES) allDone();
  });

  if (global.gc) global.gc();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < MESSAGES; ) {
    const end = Math.min(MESSAGES, sent + PER_TURN);
    for (; sent < end; sent++) sender.send(chosen.make(sent));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 600_000))]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await RED.stop();
  rmSync(userDir, { recursive: true, force: true });
  console.log(JSON.stringify({ scenario, messages: MESSAGES, completed, seconds, peakRss }));
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
