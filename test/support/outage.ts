/**
 * A run of messages at a steady rate through inflow out while influxd is stopped for a while, in the
 * test helper's runtime: none may be lost, and every message must be done exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { RetryOptions } from '../../src';
import { helper, inflowNodes, sleep, waitFor, watched, watchersOf } from './flows';
import { InfluxServer } from './influxd';

export interface OutageRun {
  messages: number;
  /** Messages a second, sent ten at a time. */
  rate: number;
  outageAfter: number;
  outageFor: number;
  spool: boolean;
}

/** Starts influxd for the file's tests (and stops it after), with the retry timings given (undefined: the defaults). */
export function outageServer(retry: RetryOptions | undefined): { run(db: string, run: OutageRun): Promise<void> } {
  let server: InfluxServer;
  let userDir: string;
  before(async () => {
    server = await InfluxServer.start();
    userDir = mkdtempSync(path.join(tmpdir(), 'inflow-outage-'));
    helper.settings({ userDir, inflowOutRetry: retry });
  });
  afterEach(async () => {
    await helper.unload();
    await server.resume();
  });
  after(async () => {
    helper.settings({ userDir: undefined, inflowOutRetry: undefined });
    rmSync(userDir, { recursive: true, force: true });
    await server.stop();
  });
  return { run: (db, outage) => runOutage(server, db, outage) };
}

const PER_TICK = 10;

async function runOutage(
  server: InfluxServer,
  db: string,
  { messages, rate, outageAfter, outageFor, spool }: OutageRun,
): Promise<void> {
  const tickMs = (PER_TICK * 1000) / rate;
  await server.createDatabase(db);
  await helper.load(inflowNodes, [
    { id: 'tab', type: 'tab' },
    { id: 'cfg', type: 'inflow-config', dsn: server.dsn(db), precision: 'ms', timeout: 2000 },
    {
      id: `writer${db}`,
      type: 'inflow out',
      z: 'tab',
      server: 'cfg',
      measurement: 'm',
      autocommitEvery: 100,
      flushInterval: 1000,
      spool,
      wires: [],
    },
    ...watchersOf(`writer${db}`),
  ]);
  const { caught, completed } = watched();
  const writer = helper.getNode(`writer${db}`);
  const outage = (async () => {
    await sleep(outageAfter);
    await server.halt();
    await sleep(outageFor);
    await server.resume();
  })();
  const started = Date.now();
  for (let sent = 0; sent < messages;) {
    for (let k = 0; k < PER_TICK; k++, sent++)
      writer.receive({ seq: sent, payload: { value: sent, timestamp: 1_700_000_000_000 + sent } });
    const due = started + (sent / PER_TICK) * tickMs;
    await sleep(Math.max(0, due - Date.now()));
  }
  await outage;
  await waitFor(() => completed.length + caught.length >= messages, 'every message settled', 180_000);
  assert.equal(caught.length, 0, `${caught.length} failed, the first: ${JSON.stringify(caught[0]?.error)}`);
  const times = new Map<number, number>();
  for (const msg of completed) times.set(msg.seq as number, (times.get(msg.seq as number) ?? 0) + 1);
  assert.equal(times.size, messages);
  assert.ok(
    [...times.values()].every((count) => count === 1),
    'a message was done twice',
  );
  await waitFor(
    async () => ((await server.rows('SELECT count(value) FROM m', db))[0]?.count as number | undefined) === messages,
    `all ${messages} points in InfluxDB`,
    180_000,
  );
}
