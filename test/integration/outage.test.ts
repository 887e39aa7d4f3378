/**
 * influxd stopped for 5 s, and for 60 s, during a run of 20,000 messages at 1,000 messages/s:
 * none lost, every message done exactly once. Default retry settings, as users get them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { helper, inflowNodes, sleep, waitFor, watched, watchersOf } from '../support/flows';

const MESSAGES = 20_000;
const PER_TICK = 10;
const TICK_MS = 10;

let server: InfluxServer;
let userDir: string;
before(async () => {
  server = await InfluxServer.start();
  userDir = mkdtempSync(path.join(tmpdir(), 'inflow-outage-'));
  helper.settings({ userDir });
});
afterEach(async () => {
  await helper.unload();
  await server.resume();
});
after(async () => {
  helper.settings({ userDir: undefined });
  rmSync(userDir, { recursive: true, force: true });
  await server.stop();
});

async function run(db: string, spool: boolean, outageAfter: number, outageFor: number): Promise<void> {
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
  for (let sent = 0; sent < MESSAGES;) {
    for (let k = 0; k < PER_TICK; k++, sent++)
      writer.receive({ seq: sent, payload: { value: sent, timestamp: 1_700_000_000_000 + sent } });
    const due = started + (sent / PER_TICK) * TICK_MS;
    await sleep(Math.max(0, due - Date.now()));
  }
  await outage;
  await waitFor(() => completed.length + caught.length >= MESSAGES, 'every message settled', 180_000);
  assert.equal(caught.length, 0, `${caught.length} failed, the first: ${JSON.stringify(caught[0]?.error)}`);
  const times = new Map<number, number>();
  for (const msg of completed) times.set(msg.seq as number, (times.get(msg.seq as number) ?? 0) + 1);
  assert.equal(times.size, MESSAGES);
  assert.ok(
    [...times.values()].every((count) => count === 1),
    'a message was done twice',
  );
  await waitFor(
    async () => ((await server.rows('SELECT count(value) FROM m', db))[0]?.count as number | undefined) === MESSAGES,
    `all ${MESSAGES} points in InfluxDB`,
    180_000,
  );
}

describe('outages during a 20,000-message run at 1,000 messages/s', () => {
  it('influxd stopped for 5 s, points kept in memory (no disk): none lost', { timeout: 240_000 }, async () => {
    await run('outage5', false, 5000, 5000);
  });

  it('influxd stopped for 60 s, points kept on disk: none lost', { timeout: 300_000 }, async () => {
    await run('outage60', true, 5000, 60_000);
  });
});
