/**
 * inflow out keeping points on disk while a real influxd is away: acknowledged once spooled,
 * replayed in order when the server is back, across redeploys.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { helper, inflowNodes, statusTexts, waitFor, type Message, watched, watchersOf } from '../support/flows';

let server: InfluxServer;
let userDir: string;
let counter = 0;

const quickRetries = { firstDelay: 200, maxDelay: 500, jitter: 0 };

before(async () => {
  server = await InfluxServer.start();
  userDir = mkdtempSync(path.join(tmpdir(), 'inflow-spool-flow-'));
  helper.settings({ userDir, inflowOutRetry: quickRetries });
});
afterEach(async () => {
  server.thaw();
  await helper.unload();
  await server.resume();
});
after(async () => {
  helper.settings({ userDir: undefined, inflowOutRetry: undefined });
  rmSync(userDir, { recursive: true, force: true });
  await server.stop();
});

async function load(db: string, outId: string, timeout = 1000): Promise<{ caught: Message[]; completed: Message[] }> {
  await helper.load(inflowNodes, [
    { id: 'tab', type: 'tab' },
    { id: 'cfg', type: 'inflow-config', dsn: server.dsn(db), precision: 'ms', timeout },
    { id: outId, type: 'inflow out', z: 'tab', server: 'cfg', measurement: 'm', autocommitEvery: 50, flushInterval: 100, spool: true, wires: [] },
    ...watchersOf(outId),
  ]);
  return watched();
}

function send(outId: string, from: number, count: number): void {
  const node = helper.getNode(outId);
  for (let i = from; i < from + count; i++) node.receive({ payload: { value: i, timestamp: 1_700_000_000_000 + i } });
}

/** Timers, sockets and file operations under way in this process. */
const activeResources = (): number => process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length;

const stored = async (db: string): Promise<number> =>
  ((await server.rows('SELECT count(value) FROM m', db))[0]?.count as number | undefined) ?? 0;

describe('inflow out with the disk spool', () => {
  it('while influxd is down, messages are done once on disk; when it is back, every point lands and the disk empties', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    const { caught, completed } = await load(db, outId);
    await server.halt();
    send(outId, 0, 500);
    await waitFor(() => completed.length === 500, 'every message done while the server is down', 15_000);
    assert.equal(caught.length, 0);
    const spoolDir = path.join(userDir, 'inflow-spool', outId, '~');
    assert.ok(readdirSync(spoolDir).length > 0, 'batches on disk');
    await waitFor(() => statusTexts(helper.getNode(outId)).some((text) => /batches on disk/.test(text)), 'the backlog on the status', 3000);
    await server.resume();
    await waitFor(async () => (await stored(db)) === 500, 'all 500 points in InfluxDB', 15_000);
    await waitFor(() => readdirSync(spoolDir).length === 0, 'the spool emptied', 5000);
  });

  it('nothing is written to disk while InfluxDB answers', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    const { completed } = await load(db, outId);
    send(outId, 0, 300);
    await waitFor(() => completed.length === 300, 'all written');
    assert.equal(existsSync(path.join(userDir, 'inflow-spool', outId, '~')) ? readdirSync(path.join(userDir, 'inflow-spool', outId, '~')).length : 0, 0);
    assert.equal(await stored(db), 300);
  });

  it('a redeploy during an outage loses nothing: the new flow replays what the old one spooled', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    const baseline = activeResources();
    const first = await load(db, outId);
    await server.halt();
    send(outId, 0, 300);
    await waitFor(() => first.completed.length === 300, 'the first flow done with its messages', 15_000);
    await helper.unload();
    await waitFor(() => activeResources() <= baseline, 'no timer, retry or socket of the old flow left', 2000).catch(() => {
      assert.fail(`still running after the flow stopped: ${process.getActiveResourcesInfo().join(', ')}`);
    });
    const second = await load(db, outId);
    send(outId, 300, 200);
    await waitFor(() => second.completed.length === 200, 'the second flow done with its messages', 15_000);
    assert.equal(first.caught.length + second.caught.length, 0);
    await server.resume();
    await waitFor(async () => (await stored(db)) === 500, 'all 500 points in InfluxDB', 15_000);
    const values = (await server.rows('SELECT value FROM m', db)).map((row) => row.value);
    assert.deepEqual(values, Array.from({ length: 500 }, (_, i) => i));
  });

  it('a point InfluxDB rejects on replay is dropped with a warning that says so; the rest of its batch lands', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    // "value" is a float field from now on: a string value for it is rejected (field type conflict).
    const first = await fetch(`${server.url}/write?db=${db}&precision=ms`, { method: 'POST', body: 'm value=0.5 1699999999000' });
    assert.equal(first.status, 204);
    const { caught, completed } = await load(db, outId);
    await server.halt();
    const node = helper.getNode(outId);
    for (let i = 0; i < 100; i++) node.receive({ payload: { value: i === 37 ? 'thirty-seven' : i, timestamp: 1_700_000_000_000 + i } });
    await waitFor(() => completed.length === 100, 'every message done once on disk', 15_000);
    assert.equal(caught.length, 0, 'the bad point was acknowledged with its batch, on disk');
    await server.resume();
    await waitFor(async () => (await stored(db)) === 100, 'the 99 good points and the first one in InfluxDB', 15_000);
    const spoolDir = path.join(userDir, 'inflow-spool', outId, '~');
    await waitFor(() => !existsSync(spoolDir) || readdirSync(spoolDir).length === 0, 'the disk emptied', 5000);
    const warnings = helper
      .log()
      .args.map(([entry]) => entry)
      .filter((entry) => entry.id === outId && entry.level === helper.log().WARN)
      .map((entry) => String(entry.msg));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] as string, /rejected 1 point\(s\) replayed from disk, which are dropped: .*field type conflict/);
    const values = (await server.rows('SELECT value FROM m', db)).map((row) => row.value);
    assert.deepEqual(values, [0.5, ...Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 37)]);
  });

  it('a redeploy while InfluxDB hangs ends within the close timeout: the writes under way go to disk, and land later', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    helper.settings({ userDir, inflowOutRetry: quickRetries, inflowOutCloseTimeout: 1000 });
    try {
      // The client's own timeout, 10 s, is far beyond the close timeout.
      await load(db, outId, 10_000);
      server.freeze();
      send(outId, 0, 300);
      await waitFor(() => statusTexts(helper.getNode(outId)).some((text) => /^300 pending/.test(text)), 'every point waiting on the hung server', 3000);
      const started = Date.now();
      await helper.unload();
      const closing = Date.now() - started;
      assert.ok(closing < 4000, `the redeploy waited ${closing} ms for a server that does not answer; the close timeout is 1 s`);
      assert.ok(readdirSync(path.join(userDir, 'inflow-spool', outId, '~')).length > 0, 'the points are on disk');
    } finally {
      helper.settings({ userDir, inflowOutRetry: quickRetries });
    }
    server.thaw();
    await load(db, outId, 10_000);
    await waitFor(async () => (await stored(db)) === 300, 'all 300 points in InfluxDB', 15_000);
    const values = (await server.rows('SELECT value FROM m', db)).map((row) => row.value);
    assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => i));
  });
});
