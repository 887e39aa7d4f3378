/**
 * inflow out keeping points on disk while a real influxd is away: acknowledged once spooled,
 * replayed in order when the server is back, across redeploys.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { InfluxServer } from '../support/influxd';
import {
  helper,
  inflowNodes,
  sleep,
  statusTexts,
  waitFor,
  type Message,
  warningsOf,
  watched,
  watchersOf,
} from '../support/flows';

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

async function load(
  db: string,
  outId: string,
  timeout = 1000,
  configId = 'cfg',
  server_: Record<string, unknown> = {},
): Promise<{ caught: Message[]; completed: Message[] }> {
  await helper.load(inflowNodes, [
    { id: 'tab', type: 'tab' },
    { id: configId, type: 'inflow-config', dsn: server.dsn(db), precision: 'ms', timeout, ...server_ },
    {
      id: outId,
      type: 'inflow out',
      z: 'tab',
      server: configId,
      measurement: 'm',
      autocommitEvery: 50,
      flushInterval: 100,
      spool: true,
      wires: [],
    },
    ...watchersOf(outId),
  ]);
  return watched();
}

function send(outId: string, from: number, count: number): void {
  const node = helper.getNode(outId);
  for (let i = from; i < from + count; i++) node.receive({ payload: { value: i, timestamp: 1_700_000_000_000 + i } });
}

/** A record as the spool writes one: IFLW, length, payload CRC, header CRC, payload. */
function recordBytes(payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.write('IFLW', 0, 'latin1');
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(crc32(payload), 8);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return Buffer.concat([header, payload]);
}

/** Segment files of points in a spool folder (its lock file aside). */
const spoolFiles = (dir: string): number =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.spool')).length : 0;

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
    const spoolDir = path.join(userDir, 'inflow-spool', outId, 'default');
    assert.ok(spoolFiles(spoolDir) > 0, 'batches on disk');
    await waitFor(
      () => statusTexts(helper.getNode(outId)).some((text) => /batches on disk/.test(text)),
      'the backlog on the status',
      3000,
    );
    await server.resume();
    await waitFor(async () => (await stored(db)) === 500, 'all 500 points in InfluxDB', 15_000);
    await waitFor(() => spoolFiles(spoolDir) === 0, 'the spool emptied', 5000);
  });

  it('nothing is written to disk while InfluxDB answers', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    const { completed } = await load(db, outId);
    send(outId, 0, 300);
    await waitFor(() => completed.length === 300, 'all written');
    assert.equal(spoolFiles(path.join(userDir, 'inflow-spool', outId, 'default')), 0);
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
    assert.deepEqual(
      values,
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  for (const [before, after, sent, expected] of [
    // Sent as they were kept: the milliseconds of a backlog are not rounded to the new precision.
    ['ms', 's', [1_700_000_000_123, 1_700_000_001_999], [1_700_000_000_123, 1_700_000_001_999]],
    ['s', 'ms', [1_700_000_000, 1_700_000_001], [1_700_000_000_000, 1_700_000_001_000]],
  ] as const) {
    it(`a backlog spooled at precision ${before} lands at its own times after the server node's precision becomes ${after}`, async () => {
      const db = `spool_${++counter}`;
      await server.createDatabase(db);
      const outId = `precision${counter}`;
      const first = await load(db, outId, 1000, 'cfg', { precision: before });
      await server.halt();
      const node = helper.getNode(outId);
      for (const timestamp of sent) node.receive({ payload: { value: timestamp, timestamp } });
      await waitFor(() => first.completed.length === sent.length, 'every message done on disk', 15_000);
      await helper.unload();
      const second = await load(db, outId, 1000, 'cfg', { precision: after });
      await server.resume();
      await waitFor(async () => (await stored(db)) === sent.length, 'the backlog in InfluxDB', 15_000);
      assert.deepEqual(first.caught.length + second.caught.length, 0);
      assert.deepEqual(warningsOf(outId), []);
      assert.deepEqual(
        (await server.rows('SELECT value FROM m', db, 'ms')).map((row) => row.time),
        [...expected],
      );
    });
  }

  it("a backlog spooled without a retention policy lands in the database's default one after the server node names another", async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    await server.rawQuery(`CREATE RETENTION POLICY kept ON ${db} DURATION INF REPLICATION 1`);
    const outId = `policy${counter}`;
    const first = await load(db, outId);
    await server.halt();
    send(outId, 0, 3);
    await waitFor(() => first.completed.length === 3, 'every message done on disk', 15_000);
    await helper.unload();
    const second = await load(db, outId, 1000, 'cfg', { retentionPolicy: 'kept' });
    send(outId, 3, 1);
    await server.resume();
    const inKept = async (): Promise<unknown[]> => (await server.rows('SELECT value FROM kept.m', db)).map((row) => row.value);
    await waitFor(async () => (await inKept()).length === 1, 'the new message in the policy named', 15_000);
    assert.equal(second.completed.length, 1);
    assert.deepEqual(await inKept(), [3]);
    assert.deepEqual(warningsOf(outId), []);
    assert.deepEqual(
      (await server.rows('SELECT value FROM autogen.m', db)).map((row) => row.value),
      [0, 1, 2],
    );
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
    for (let i = 0; i < 100; i++)
      node.receive({ payload: { value: i === 37 ? 'thirty-seven' : i, timestamp: 1_700_000_000_000 + i } });
    await waitFor(() => completed.length === 100, 'every message done once on disk', 15_000);
    assert.equal(caught.length, 0, 'the bad point was acknowledged with its batch, on disk');
    await server.resume();
    await waitFor(async () => (await stored(db)) === 100, 'the 99 good points and the first one in InfluxDB', 15_000);
    const spoolDir = path.join(userDir, 'inflow-spool', outId, 'default');
    await waitFor(() => spoolFiles(spoolDir) === 0, 'the disk emptied', 5000);
    const warnings = warningsOf(outId);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] as string, /rejected 1 point\(s\) replayed from disk, which are dropped: .*field type conflict/);
    const values = (await server.rows('SELECT value FROM m', db)).map((row) => row.value);
    assert.deepEqual(values, [0.5, ...Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 37)]);
  });

  it('the status once a replayed point was refused and dropped: written, and how many were refused, never "retrying"; a refusal and a write after it each show as the latest', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `spooler${counter}`;
    const first = await fetch(`${server.url}/write?db=${db}&precision=ms`, { method: 'POST', body: 'm value=0.5 1699999999000' });
    assert.equal(first.status, 204);
    const { completed } = await load(db, outId);
    await server.halt();
    const node = helper.getNode(outId);
    for (let i = 0; i < 20; i++) node.receive({ payload: { value: i === 7 ? 'seven' : i, timestamp: 1_700_000_000_000 + i } });
    await waitFor(() => completed.length === 20, 'every message done once on disk', 15_000);
    await server.resume();
    await waitFor(() => spoolFiles(path.join(userDir, 'inflow-spool', outId, 'default')) === 0, 'the disk emptied', 15_000);
    // Time enough for a stale "retrying" to show, had one been left behind.
    await sleep(1500);
    const latest = (): string => statusTexts(node).at(-1) ?? '';
    assert.equal(latest().replace(/\d\d:\d\d:\d\d/, 'HH:MM:SS'), 'written HH:MM:SS, 1 refused');
    // A message refused now is the latest news; the next one written is, after it.
    node.receive({ payload: { value: 'a string again', timestamp: 1_700_000_001_000 } });
    await waitFor(
      () => /^refused \d\d:\d\d:\d\d: field value is of type float in the database, not string, 2 refused$/.test(latest()),
      'a refused status, with why',
      5000,
    );
    node.receive({ payload: { value: 21, timestamp: 1_700_000_002_000 } });
    await waitFor(
      () => /^written \d\d:\d\d:\d\d, 2 refused$/.test(latest()),
      'a written status once the next write is stored',
      5000,
    );
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
      await waitFor(
        () => statusTexts(helper.getNode(outId)).some((text) => /^300 pending/.test(text)),
        'every point waiting on the hung server',
        3000,
      );
      const started = Date.now();
      await helper.unload();
      const closing = Date.now() - started;
      assert.ok(closing < 4000, `the redeploy waited ${closing} ms for a server that does not answer; the close timeout is 1 s`);
      assert.ok(spoolFiles(path.join(userDir, 'inflow-spool', outId, 'default')) > 0, 'the points are on disk');
    } finally {
      helper.settings({ userDir, inflowOutRetry: quickRetries });
    }
    server.thaw();
    await load(db, outId, 10_000);
    await waitFor(async () => (await stored(db)) === 300, 'all 300 points in InfluxDB', 15_000);
    const values = (await server.rows('SELECT value FROM m', db)).map((row) => row.value);
    assert.deepEqual(
      values,
      Array.from({ length: 300 }, (_, i) => i),
    );
  });

  it('a node replaced by a copy (a new id): the copy replays the backlog the old node left on disk, and its folder goes', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const first = await load(db, `old${counter}`);
    await server.halt();
    send(`old${counter}`, 0, 100);
    await waitFor(() => first.completed.length === 100, 'the old node done with its messages', 15_000);
    await helper.unload();
    await server.resume();
    await load(db, `copy${counter}`);
    await waitFor(async () => (await stored(db)) === 100, "the old node's 100 points in InfluxDB", 15_000);
    await waitFor(() => !existsSync(path.join(userDir, 'inflow-spool', `old${counter}`)), "the old node's folder removed", 5000);
  });

  it('a backlog whose node and server are both gone is kept and reported in the log, not stranded in silence', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const first = await load(db, `gone${counter}`, 1000, 'cfgGone');
    await server.halt();
    send(`gone${counter}`, 0, 60);
    await waitFor(() => first.completed.length === 60, 'the node done with its messages', 15_000);
    await helper.unload();
    await server.resume();
    await load(db, `other${counter}`, 1000, 'cfgOther');
    const reported = (): string[] =>
      helper
        .log()
        .args.map(([entry]) => String(entry.msg))
        .filter((text) => text.includes(`belong to node gone${counter}, which is not deployed`));
    await waitFor(() => reported().length > 0, 'the backlog reported');
    assert.match(reported()[0] as string, /server cfgGone has no inflow out node with a spool.*kept on disk, not written/);
    assert.ok(spoolFiles(path.join(userDir, 'inflow-spool', `gone${counter}`, 'default')) > 0, 'still on disk');
    assert.equal(await stored(db), 0);
    // Deploying a node on that server again replays it.
    await helper.unload();
    await load(db, `back${counter}`, 1000, 'cfgGone');
    await waitFor(async () => (await stored(db)) === 60, 'the 60 points in InfluxDB', 15_000);
  });

  it('a node moved to another server while it holds a backlog: the backlog is never written to the new one, and a node of its own server replays it', async () => {
    const [dbA, dbB] = [`spool_${++counter}_a`, `spool_${counter}_b`];
    await server.createDatabase(dbA);
    await server.createDatabase(dbB);
    const outId = `moved${counter}`;
    const first = await load(dbA, outId, 1000, 'cfgA');
    await server.halt();
    send(outId, 0, 20);
    await waitFor(() => first.completed.length === 20, 'the 20 messages done once on disk', 15_000);
    await helper.unload();
    await server.resume();
    // The same node, now on server B; server A still deployed, with no inflow out of its own.
    const config = (id: string, db: string): Record<string, unknown> => ({
      id,
      type: 'inflow-config',
      dsn: server.dsn(db),
      precision: 'ms',
      timeout: 1000,
    });
    const out = (id: string, cfg: string): Record<string, unknown> => ({
      id,
      type: 'inflow out',
      z: 'tab',
      server: cfg,
      measurement: 'm',
      autocommitEvery: 50,
      flushInterval: 100,
      spool: true,
      wires: [],
    });
    await helper.load(inflowNodes, [{ id: 'tab', type: 'tab' }, config('cfgA', dbA), config('cfgB', dbB), out(outId, 'cfgB')]);
    await waitFor(
      () => warningsOf(outId).some((text) => text.includes('were written for server cfgA, not this one')),
      'the backlog set apart',
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await stored(dbB), 0, 'nothing of it on server B');
    assert.equal(await stored(dbA), 0);
    // A node of server A with the disk spool takes it over.
    await helper.unload();
    await helper.load(inflowNodes, [
      { id: 'tab', type: 'tab' },
      config('cfgA', dbA),
      config('cfgB', dbB),
      out(outId, 'cfgB'),
      out(`adopter${counter}`, 'cfgA'),
    ]);
    await waitFor(async () => (await stored(dbA)) === 20, 'the 20 points on server A', 15_000);
    assert.equal(await stored(dbB), 0);
  });

  it('a database named "a~b" is spooled and replayed to "a~b", not to database "a" with retention policy "b"', async () => {
    const db = 'a~b';
    await server.createDatabase(db);
    const outId = `tilde${++counter}`;
    const first = await load(`spool_${counter}`, outId);
    await server.halt();
    const node = helper.getNode(outId);
    for (let i = 0; i < 50; i++) node.receive({ payload: { value: i, timestamp: 1_700_000_000_000 + i }, database: db });
    await waitFor(() => first.completed.length === 50, 'every message done once on disk', 15_000);
    await helper.unload();
    await server.resume();
    const second = await load(`spool_${counter}`, outId);
    await waitFor(async () => (await stored(db)) === 50, 'the 50 points in "a~b"', 15_000);
    assert.equal(second.caught.length, 0);
  });

  it('one damaged record in the middle of the spool costs its own points alone, and the warning says how many', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `damaged${counter}`;
    const first = await load(db, outId);
    await server.halt();
    // Six records of 50 points: each round is on disk before the next is sent.
    for (let round = 0; round < 6; round++) {
      send(outId, round * 50, 50);
      await waitFor(() => first.completed.length === (round + 1) * 50, 'the round done once on disk', 15_000);
    }
    await helper.unload();
    const dir = path.join(userDir, 'inflow-spool', outId, 'default');
    const [segment] = readdirSync(dir).filter((name) => name.endsWith('.spool'));
    const file = path.join(dir, segment as string);
    const data = readFileSync(file);
    // A byte in the middle of the file: inside one of its six records of 50 points.
    data[Math.floor(data.length / 2)] = (data[Math.floor(data.length / 2)] as number) ^ 0x20;
    writeFileSync(file, data);
    await server.resume();
    await load(db, outId);
    await waitFor(async () => (await stored(db)) === 250, 'the 250 points of the five intact records', 15_000);
    const warnings = warningsOf(outId);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0] as string,
      /had \d+ damaged bytes at offset \d+: about 50 point\(s\) there cannot be read back and are lost; every record before and after them is kept/,
    );
  });

  it('a record whose checksum is right but whose target cannot be read is set aside, warned of once and counted on the status; the rest is replayed', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `setaside${counter}`;
    const dir = path.join(userDir, 'inflow-spool', outId, 'default');
    mkdirSync(dir, { recursive: true });
    // What a disk could leave: a whole record, its checksum right, whose target is not JSON; and a good record after it.
    writeFileSync(
      path.join(dir, '0000000001.spool'),
      Buffer.concat([
        recordBytes(Buffer.from('{"d": broken\nm value=1 1700000000001\n')),
        recordBytes(Buffer.from('{}\nm value=2 1700000000002\n')),
      ]),
    );
    await load(db, outId);
    await waitFor(async () => (await stored(db)) === 1, 'the good record replayed', 10_000);
    const warnings = warningsOf(outId);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0] as string,
      /a record of points on disk was set aside in .*set-aside-0000000001-0\.record and is not written: its target .* cannot be read/,
    );
    await waitFor(
      () => statusTexts(helper.getNode(outId)).some((text) => text.includes('1 batch set aside on disk (unreadable)')),
      'the status counting it',
      3000,
    );
    assert.ok(
      readdirSync(dir).some((name) => name.startsWith('set-aside-')),
      'kept for a person to look at',
    );
  });

  it('a gzipped record whose checksum is right but whose lines cannot be unpacked is set aside, and the server is not blamed', async () => {
    const db = `spool_${++counter}`;
    await server.createDatabase(db);
    const outId = `unpack${counter}`;
    const dir = path.join(userDir, 'inflow-spool', outId, 'default');
    mkdirSync(dir, { recursive: true });
    // What a disk could leave: a whole record, its checksum right, whose gzip member is not one.
    writeFileSync(path.join(dir, '0000000001.spool'), recordBytes(Buffer.from('{"n":1,"u":24,"z":1}\nthese bytes are not gzip')));
    await load(db, outId);
    await waitFor(() => warningsOf(outId).length > 0, 'a warning', 10_000);
    const warnings = warningsOf(outId);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0] as string,
      /set aside in .*set-aside-0000000001-0\.record and is not written: its gzipped lines cannot be unpacked/,
    );
    await waitFor(
      () => statusTexts(helper.getNode(outId)).some((text) => text.includes('1 batch set aside on disk (unreadable)')),
      'the status counting it',
      3000,
    );
    send(outId, 0, 1);
    await waitFor(async () => (await stored(db)) === 1, 'a message after it written', 10_000);
    const shown = helper.getNode(outId).status.args.map((args) => args[0] as { fill?: string; text?: string });
    assert.deepEqual(
      shown.filter((status) => status.fill === 'red' || /retry|unpack/i.test(status.text ?? '')),
      [],
      'no status says the server failed, or that a write is retried',
    );
  });

  it('writers of targets of their own are released once unused: many msg.database values leave no folder behind', async () => {
    // Long enough for the 200 messages to settle (about half a second here) before a writer can be released.
    helper.settings({ userDir, inflowOutRetry: quickRetries, inflowOutIdleRelease: 1500 });
    try {
      const outId = `many${++counter}`;
      await server.createDatabase(`spool_${counter}`);
      const { caught, completed } = await load(`spool_${counter}`, outId);
      const node = helper.getNode(outId);
      for (let i = 0; i < 200; i++) node.receive({ payload: { value: i }, database: `nowhere_${i}` });
      await waitFor(() => caught.length + completed.length === 200, 'every message settled', 15_000);
      const root = path.join(userDir, 'inflow-spool', outId);
      assert.ok(readdirSync(root).length > 100, 'a spool folder per target while in use');
      await waitFor(
        () => readdirSync(root).filter((name) => name !== 'owner.json').length === 0,
        'every idle target released',
        8000,
      );
      // A target used again gets a writer again.
      node.receive({ payload: { value: 1 } });
      await waitFor(() => completed.length === 1, 'a message to the default target written');
    } finally {
      helper.settings({ userDir, inflowOutRetry: quickRetries, inflowOutIdleRelease: undefined });
    }
  });
});
