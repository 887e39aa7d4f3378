/**
 * The disk spool on a disk that fails, in a real Node-RED: full, turned read-only, out of file
 * descriptors, and shared by two runtimes. Node-RED must stay up, every acknowledged message must
 * reach InfluxDB, and what the disk could not take waits in memory (unacknowledged) until written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Spool } from '../../src';
import { InfluxServer } from '../support/influxd';
import { ingestFlow, postReading } from '../support/ingest';
import { NodeRedProcess } from '../support/node-red';
import { Tmpfs } from '../support/tmpfs';
import { sleep, waitFor } from '../support/waiting';

let influx: InfluxServer;
const runtimes: NodeRedProcess[] = [];
const disks: Tmpfs[] = [];

before(async () => {
  influx = await InfluxServer.start();
});
afterEach(async () => {
  await influx.resume();
  for (const runtime of runtimes.splice(0).reverse()) await runtime.remove().catch(() => undefined);
  for (const disk of disks.splice(0)) disk.unmount();
});
after(async () => {
  await influx?.stop();
});

const SETTINGS = 'inflowOutRetry: { firstDelay: 200, maxDelay: 1000, jitter: 0 }';

async function startNodeRed(options: { userDir?: string; wrap?: string[] } = {}): Promise<NodeRedProcess> {
  const runtime = await NodeRedProcess.start({ settings: SETTINGS, ...options });
  runtimes.push(runtime);
  return runtime;
}

/**
 * HTTP in -> a Function node that routes by msg.database -> inflow out (spool on); answered once the message
 * is done. Each point carries random text beside its value, which the spool's gzip cannot shrink much, so
 * that a small disk fills as it would with readings that vary.
 */
const flowTo = (database: string): unknown[] =>
  ingestFlow({
    dsn: influx.dsn(database),
    func:
      'if (msg.payload.db) msg.database = msg.payload.db;\n' +
      "const noise = Array.from({ length: 8 }, () => Math.random().toString(36).slice(2)).join('');\n" +
      'msg.payload = { value: msg.payload.value, noise, timestamp: msg.payload.timestamp };\nreturn msg;',
  });

/** Posts readings; each resolves to the answer's status once the message is done (0 when Node-RED did not answer). */
function post(runtime: NodeRedProcess, values: number[], db?: (value: number) => string): Array<Promise<number>> {
  return values.map((value) => postReading(runtime, { value, timestamp: 1_700_000_000_000 + value, db: db?.(value) }));
}

/** Runs libfiu remote control commands in a runtime started under `fiu-run -x`. */
function fiuControl(runtime: NodeRedProcess, commands: string[]): void {
  const result = spawnSync('fiu-ctrl', [...commands.flatMap((command) => ['-c', command]), String(runtime.pid)], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`fiu-ctrl failed: ${result.stderr || String(result.error)}`);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

async function waitUntil(condition: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Which of `values` have been answered 200 so far (an answer means the message is done: stored, or on disk). */
function acknowledgedSoFar(values: number[], answers: Array<Promise<number>>): () => number[] {
  const done = new Set<number>();
  answers.forEach((answer, i) => void answer.then((status) => status === 200 && done.add(values[i] as number)));
  return () => [...done];
}

async function storedValues(db: string): Promise<Set<number>> {
  return new Set((await influx.rows('SELECT value FROM readings', db)).map((row) => row.value as number));
}

/** Waits until every value is in InfluxDB (a message on disk is done before its replay writes it), and says which are not. */
async function assertAllStored(db: string, values: number[]): Promise<void> {
  let missing: number[] = values;
  const deadline = Date.now() + 20_000;
  while (missing.length > 0 && Date.now() < deadline) {
    const stored = await storedValues(db);
    missing = values.filter((value) => !stored.has(value));
    if (missing.length > 0) await sleep(200);
  }
  assert.deepEqual(
    missing,
    [],
    `${missing.length} acknowledged messages missing, from ${missing[0]} to ${missing[missing.length - 1]}`,
  );
}

describe('the disk spool when the disk fails', () => {
  it('a full disk: Node-RED stays up, what is on disk was fsynced whole, the rest waits in memory, and every message lands', async () => {
    await influx.createDatabase('full');
    const runtime = await startNodeRed();
    disks.push(Tmpfs.mount(path.join(runtime.userDir, 'inflow-spool'), { sizeKiB: 64 }));
    await runtime.deploy(flowTo('full'));
    await influx.halt();
    const values = range(0, 3000);
    const answers = post(runtime, values);
    const acknowledged = acknowledgedSoFar(values, answers);
    // However busy the machine: until the disk is full and the node has said so, and a moment more.
    await waitFor(() => /cannot keep points on disk \(Error: ENOSPC/.test(runtime.output), 'the disk-full warning', 30_000);
    await sleep(1000);
    assert.equal(runtime.running, true, `Node-RED exited:\n${runtime.output.slice(-2000)}`);
    const onDisk = acknowledged();
    assert.ok(onDisk.length > 0 && onDisk.length < 3000, `${onDisk.length} of 3000 acknowledged on a 64 KiB disk`);
    await influx.resume();
    assert.deepEqual([...new Set(await Promise.all(answers))], [200]);
    await assertAllStored('full', values);
  });

  it('a disk turned read-only during an outage: Node-RED stays up, the backlog on it is replayed, new points wait in memory', async () => {
    await influx.createDatabase('readonly');
    const runtime = await startNodeRed();
    const disk = Tmpfs.mount(path.join(runtime.userDir, 'inflow-spool'), { sizeKiB: 4096 });
    disks.push(disk);
    await runtime.deploy(flowTo('readonly'));
    await influx.halt();
    const first = post(runtime, range(0, 200));
    assert.deepEqual([...new Set(await Promise.all(first))], [200], 'the first 200 acknowledged once on disk');
    disk.remountReadOnly();
    const second = post(runtime, range(200, 200));
    await waitFor(() => /cannot keep points on disk \(Error: EROFS/.test(runtime.output), 'the read-only warning', 30_000);
    assert.equal(runtime.running, true, `Node-RED exited:\n${runtime.output.slice(-2000)}`);
    await influx.resume();
    assert.deepEqual([...new Set(await Promise.all(second))], [200]);
    await assertAllStored('readonly', range(0, 400));
  });

  it('more targets with a backlog than open files allow: no file is held open per backlog, and Node-RED stays up', async () => {
    const databases = range(0, 300).map((i) => `many_${i}`);
    await influx.rawQuery(databases.map((db) => `CREATE DATABASE ${db}`).join('; '));
    const runtime = await startNodeRed({ wrap: ['prlimit', '--nofile=256:256', '--'] });
    // A Function node sends 600 readings at once, two to each of 300 databases.
    await runtime.deploy(
      ingestFlow({
        dsn: influx.dsn('many_0'),
        func: 'for (let i = 0; i < 600; i++) node.send({ payload: { value: i, timestamp: 1700000000000 + i }, database: `many_${i % 300}` });\nreturn null;',
        answerAtOnce: true,
      }),
    );
    await influx.halt();
    assert.equal(await postReading(runtime, {}), 200);
    await sleep(4000);
    assert.equal(runtime.running, true, `Node-RED exited:\n${runtime.output.slice(-2000)}`);
    await influx.resume();
    for (const index of [0, 150, 299]) {
      await waitUntil(async () => (await storedValues(`many_${index}`)).size === 2, `both points in many_${index}`);
      assert.deepEqual(
        [...(await storedValues(`many_${index}`))].sort((a, b) => a - b),
        [index, index + 300],
      );
    }
    assert.equal(runtime.running, true, `Node-RED exited:\n${runtime.output.slice(-2000)}`);
  });

  it('a disk that fails reads and writes now and then, and gives short reads (libfiu): every acknowledged message lands, at its own time, once', async () => {
    await influx.createDatabase('flaky');
    const runtime = await startNodeRed({ wrap: ['fiu-run', '-x', '--'] });
    await runtime.deploy(flowTo('flaky'));
    assert.equal(
      await postReading(runtime, { value: -1, timestamp: 1_700_000_000_000 - 1 }),
      200,
      'a first message, with the flow warmed up',
    );
    await influx.halt();
    // From now on, in Node-RED's process: half of the positioned reads (the spool's) come back short, and one in
    // twenty of them and of the positioned writes fail with EIO (5).
    fiuControl(runtime, [
      'enable_random name=posix/io/rw/pread/reduce,probability=0.5',
      'enable_random name=posix/io/rw/pread,probability=0.05,failinfo=5',
      'enable_random name=posix/io/rw/pwrite,probability=0.05,failinfo=5',
    ]);
    const values = range(0, 400);
    const answers = post(runtime, values);
    assert.deepEqual([...new Set(await Promise.all(answers))], [200], 'every message acknowledged once on disk');
    await influx.resume();
    await assertAllStored('flaky', values);
    const rows = (await influx.rows('SELECT value FROM readings', 'flaky', 'ms')).filter((row) => row.value !== -1);
    assert.equal(rows.length, values.length, 'each point once');
    assert.deepEqual(
      rows.filter((row) => row.time !== 1_700_000_000_000 + (row.value as number)),
      [],
      'each point at its own time',
    );
    assert.equal(runtime.running, true);
  });

  it("fsyncs that fail now and then (libfiu), a new file's folder entry too: later appends go on, and what is on disk is exactly what was acknowledged", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'inflow-fsync-'));
    try {
      const program = path.join(__dirname, '..', 'support', 'programs', 'spool-appends.ts');
      const run = spawnSync(
        'fiu-run',
        [
          '-x',
          '-c',
          'enable_random name=posix/io/sync/fsync,probability=0.3,failinfo=5',
          '--',
          process.execPath,
          '--import',
          'tsx',
          program,
          folder,
          '200',
        ],
        { encoding: 'utf8', env: { ...process.env, UV_USE_IO_URING: '0' } },
      );
      assert.equal(run.status, 0, run.stderr);
      const { acknowledged, failures } = JSON.parse(run.stdout) as { acknowledged: number[]; failures: Record<string, number> };
      assert.ok((failures.EIO ?? 0) > 10, `fsync failed now and then: ${JSON.stringify(failures)}`);
      assert.deepEqual(Object.keys(failures), ['EIO'], 'only the injected error, never a file name taken (EEXIST)');
      assert.ok(acknowledged.length > 100, `${acknowledged.length} of 200 acknowledged`);
      assert.ok(
        acknowledged.some((i) => i > 190),
        'appends went on to the end',
      );
      // Opened again without faults: the records on disk are exactly those acknowledged, in order.
      const spool = Spool.open(folder);
      const onDisk: number[] = [];
      for (let record = await spool.first(); record !== undefined; record = await spool.first()) {
        onDisk.push(Number(/v=(\d+)/.exec(Buffer.from(record.body).toString())?.[1]));
        await spool.removeFirst();
      }
      await spool.close();
      assert.deepEqual(onDisk, acknowledged);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('two Node-RED runtimes on one user directory: the second keeps its points in memory, and neither loses any', async () => {
    await influx.createDatabase('shared');
    const first = await startNodeRed();
    const second = await startNodeRed({ userDir: first.userDir });
    await first.deploy(flowTo('shared'));
    await second.deploy(flowTo('shared'));
    await influx.halt();
    const fromFirst = post(first, range(0, 1000));
    const fromSecond = post(second, range(1000, 1000));
    await sleep(3000);
    assert.equal(
      first.running && second.running,
      true,
      `a runtime exited:\n${first.output.slice(-1500)}\n${second.output.slice(-1500)}`,
    );
    assert.match(first.output + second.output, /is in use by process \d+ \(another Node-RED on the same user directory\?\)/);
    await influx.resume();
    assert.deepEqual([...new Set(await Promise.all([...fromFirst, ...fromSecond]))], [200]);
    await assertAllStored('shared', range(0, 2000));
  });
});
