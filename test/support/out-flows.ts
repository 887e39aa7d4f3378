/** Flows around one "inflow out" node and a real influxd, for the node's tests (and the influxd of a test file). */
import { after, afterEach, before } from 'node:test';
import type { RetryOptions } from '../../src';
import { collect, helper, inflowNodes, watched, watchersOf, type Message } from './flows';
import { InfluxServer } from './influxd';
import { FaultProxy } from './proxy';

export let server: InfluxServer;
let counter = 0;

export async function freshDb(): Promise<string> {
  const db = `out_${++counter}`;
  await server.createDatabase(db);
  return db;
}

export interface Setup {
  db: string;
  caught: Message[];
  completed: Message[];
  errors: Message[];
  send: (msg: Message) => void;
}

/** A config node on a fresh database, an "inflow out" with the given settings, Catch and Complete nodes. */
export async function setup(
  out: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
): Promise<Setup> {
  const db = await freshDb();
  const flow = [
    { id: 'tab', type: 'tab' },
    { id: 'cfg', type: 'inflow-config', dsn: server.dsn(db), precision: 'ms', retentionPolicy: '', timeout: 5000, ...config },
    {
      id: 'out',
      type: 'inflow out',
      z: 'tab',
      server: 'cfg',
      measurement: 'temperature',
      autocommitEvery: 1,
      flushInterval: 0,
      tags: '',
      integerFields: '',
      errorOutput: false,
      wires: [['errors']],
      ...out,
    },
    ...watchersOf('out'),
    { id: 'errors', type: 'helper', z: 'tab' },
  ];
  await helper.load(inflowNodes, flow, credentials);
  const outNode = helper.getNode('out');
  return {
    db,
    ...watched(),
    errors: collect(helper.getNode('errors')),
    send: (msg) => outNode.receive(msg),
  };
}

interface ProxiedFlow {
  timeout?: number;
  precision?: string;
  outs?: Array<{ id: string; measurement: string; autocommitEvery: number; flushInterval: number }>;
}

/** "inflow out" nodes writing through a fault proxy, a Complete node on the first; the messages it completes. */
export async function loadBehind(proxy: FaultProxy, db: string, flow: ProxiedFlow = {}): Promise<Message[]> {
  const {
    timeout = 5000,
    precision = 'ms',
    outs = [{ id: 'out', measurement: 'm', autocommitEvery: 1, flushInterval: 0 }],
  } = flow;
  await helper.load(inflowNodes, [
    { id: 'tab', type: 'tab' },
    { id: 'cfg', type: 'inflow-config', dsn: proxy.dsn(db), precision, timeout },
    ...outs.map((out) => ({ ...out, type: 'inflow out', z: 'tab', server: 'cfg', wires: [] })),
    { id: 'completer', type: 'complete', z: 'tab', scope: [outs[0]?.id], wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'tab' },
  ]);
  return collect(helper.getNode('completed'));
}

export const { hooks } = require('@node-red/util') as {
  hooks: {
    add(id: string, hook: (event: { node: { id: string }; msg: Message; error?: unknown }) => void): void;
    remove(id: string): void;
  };
};

/** What the node logged at error level, as Node-RED's log (and the debug sidebar) shows it. */
export function errorLines(id: string): string[] {
  const log = helper.log();
  return log.args
    .map(([entry]) => entry)
    .filter((entry) => entry.level === log.ERROR && entry.id === id)
    .map((entry) => (entry.msg instanceof Error ? entry.msg.message : String(entry.msg)));
}

/**
 * Runs a test with a fault proxy in front of the server and a fresh database, with retry settings when
 * given; unloads the flow and closes the proxy however it ends.
 */
export async function behindProxy(test: (proxy: FaultProxy, db: string) => Promise<void>, retry?: RetryOptions): Promise<void> {
  if (retry !== undefined) helper.settings({ inflowOutRetry: retry });
  const proxy = await FaultProxy.start({ host: server.host, port: server.port });
  try {
    await test(proxy, await freshDb());
  } finally {
    await helper.unload();
    await proxy.close();
    if (retry !== undefined) helper.settings({ inflowOutRetry: undefined });
  }
}

export const rows = (db: string, q = 'SELECT * FROM temperature GROUP BY *', epoch = 'ms') => server.rows(q, db, epoch);

/** Starts influxd for the test file (stopped after), and unloads each test's flow. */
export function useOutServer(): void {
  before(async () => {
    server = await InfluxServer.start();
  });
  afterEach(async () => {
    await helper.unload();
  });
  after(async () => {
    await server.stop();
  });
}
