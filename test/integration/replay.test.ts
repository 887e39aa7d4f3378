/**
 * Catching up a backlog on disk, against a real influxd behind a proxy that records every request (its
 * lines, unpacked, and how many were under way at once) and turns some away: records joined into requests
 * of a live batch's size, two at once, sent gzipped as they are kept, removed in order, every point
 * stored once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter, Client, Spool } from '../../src';
import { InfluxServer } from '../support/influxd';
import { FaultProxy } from '../support/proxy';

let server: InfluxServer;
let proxy: FaultProxy;
const folders: string[] = [];
const T0 = 1_700_000_000_000;

before(async () => {
  server = await InfluxServer.start();
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
});
after(async () => {
  await proxy?.close();
  await server?.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

let databases = 0;
async function database(): Promise<string> {
  const name = `replay_${++databases}`;
  await server.createDatabase(name);
  return name;
}

/** A spool holding `records` records of `lines` points each, for `db`: as inflow out leaves it during an outage. */
async function backlog(db: string, records: number, lines: number, extra?: (record: number) => string[]): Promise<Spool> {
  const folder = mkdtempSync(path.join(tmpdir(), 'inflow-replay-'));
  folders.push(folder);
  const spool = Spool.open(folder);
  for (let record = 0; record < records; record++) {
    const body = Array.from(
      { length: lines },
      (_, i) => `reading,sensor=s${i % 7} value=${record * lines + i} ${T0 + record * lines + i}`,
    );
    body.push(...(extra?.(record) ?? []));
    assert.equal(await spool.append({ target: { database: db }, body: Buffer.from(`${body.join('\n')}\n`) }), true);
  }
  return spool;
}

async function replay(
  db: string,
  spool: Spool,
  onRejected?: (lines: readonly string[]) => void,
  retry = { firstDelay: 100, maxDelay: 200, jitter: 0 },
): Promise<void> {
  const client = new Client(proxy.dsn(db), { precision: 'ms', timeout: 2000 });
  const writer = new BatchWriter(client, {
    batchSize: 1000,
    flushInterval: 0,
    spool,
    retry,
    onRejectedFromSpool: (_error, lines) => onRejected?.(lines),
  });
  writer.startReplay();
  await writer.replayed();
  await writer.close();
  await client.close();
}

async function storedValues(db: string): Promise<number[]> {
  return (await server.rows('SELECT value FROM reading', db)).map((row) => row.value as number);
}

function writesTo(db: string): Array<{ lines: number; gzipped: boolean }> {
  return proxy.requests
    .filter((request) => request.url.startsWith('/write') && request.url.includes(`db=${db}`))
    .map((request) => ({ lines: request.lines, gzipped: request.headers['content-encoding'] === 'gzip' }));
}

describe('catching up a backlog on disk', () => {
  it('records are joined into requests of at most 5,000 points, two under way at once, sent gzipped as kept; every point stored once', async () => {
    const db = await database();
    const spool = await backlog(db, 40, 1000);
    proxy.peakInFlight = 0;
    // Each write takes a moment, as over a slow link: long enough to see two at once.
    proxy.inject({ path: '/write', delayMs: 100 });
    try {
      await replay(db, spool);
    } finally {
      proxy.clearFaults();
    }
    const writes = writesTo(db);
    assert.deepEqual(
      writes,
      Array.from({ length: 8 }, () => ({ lines: 5000, gzipped: true })),
    );
    assert.equal(proxy.peakInFlight, 2);
    assert.equal(spool.empty, true);
    const values = await storedValues(db);
    assert.deepEqual(
      values,
      Array.from({ length: 40_000 }, (_, i) => i),
    );
    await spool.close();
  });

  it('a request turned away while the one after it is written: only the first is sent again, and the disk empties in order', async () => {
    const db = await database();
    const spool = await backlog(db, 4, 2500);
    proxy.inject({ path: '/write', times: 1, respond: { status: 503, body: '{"error":"overloaded"}' } });
    try {
      await replay(db, spool);
    } finally {
      proxy.clearFaults();
    }
    assert.deepEqual(
      writesTo(db).map((write) => write.lines),
      [5000, 5000, 5000],
      'the turned-away request, the one written beside it, the first again',
    );
    assert.equal(spool.empty, true);
    assert.deepEqual(
      await storedValues(db),
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    await spool.close();
  });

  it('a point the server rejects in a gzipped record: the request is unpacked and halved, and that point alone is dropped', async () => {
    const db = await database();
    // value is a float on the server: a string there is a field type conflict.
    const spool = await backlog(db, 3, 1000, (record) =>
      record === 1 ? [`reading,sensor=bad value="text" ${T0 + 999_999}`] : [],
    );
    const dropped: string[] = [];
    await replay(db, spool, (lines) => dropped.push(...lines));
    assert.deepEqual(dropped, [`reading,sensor=bad value="text" ${T0 + 999_999}`]);
    assert.deepEqual(
      await storedValues(db),
      Array.from({ length: 3000 }, (_, i) => i),
    );
    assert.equal(writesTo(db)[0]?.gzipped, true, 'the whole request first, as kept');
    await spool.close();
  });

  it('with retries a minute apart, a backlog starts to drain once the server answers a ping again, not at the next retry', async () => {
    const db = await database();
    const spool = await backlog(db, 2, 1000);
    await server.halt();
    const replayed = replay(db, spool, undefined, { firstDelay: 60_000, maxDelay: 60_000, jitter: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.resume();
    const drained = await Promise.race([
      replayed.then(() => 'drained'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting for the retry a minute later'), 30_000)),
    ]);
    assert.equal(drained, 'drained');
    assert.equal((await storedValues(db)).length, 2000);
    await replayed;
    await spool.close();
  });

  it('a server that answered 503 with Retry-After is left the time it asked for, though it answers pings', async () => {
    const db = await database();
    const spool = await backlog(db, 1, 1000);
    proxy.inject({
      path: '/write',
      times: 1,
      respond: { status: 503, headers: { 'retry-after': '8' }, body: '{"error":"busy"}' },
    });
    const started = performance.now();
    try {
      await replay(db, spool, undefined, { firstDelay: 1000, maxDelay: 60_000, jitter: 0 });
    } finally {
      proxy.clearFaults();
    }
    assert.ok(performance.now() - started >= 8000, 'the second try came after the 8 s the server asked for');
    assert.equal(writesTo(db).length, 2);
    await spool.close();
  });
});
