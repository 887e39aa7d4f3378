/**
 * The catch-up part of `npm run bench:outage`: how fast a backlog on disk drains, and how many points the
 * disk holds, against a real influxd, side by side in one run:
 * - the raw ceiling: the backlog's points POSTed in requests of 5,000, two at once, as they are;
 * - catching up on loopback: one record a request, one at a time, kept as they are (the replay before
 *   records were joined), and the replay as it is (joined, two at once, gzipped);
 * - through a proxy adding 300 ms to every request (a cellular link): an outage at 1,000 messages/s, then
 *   the seconds from the server's return until the backlog is written, live messages flowing all along;
 * - bytes a point on disk, kept as they are and gzipped, the hours 100 MB holds at 10 and 100 points/s,
 *   and the CPU each spooled point costs to pack and fsync.
 * Every case checks that each acknowledged point is stored, by count and by time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { Client } from '../src/client';
import { SPOOL_DEFAULTS, WRITER_DEFAULTS } from '../src/core';
import { BatchWriter, Spool, type ReplayOptions } from '../src/delivery';
import type { InfluxServer } from '../test/support/influxd';
import { FaultProxy } from '../test/support/proxy';

const RECORD_POINTS = 1000;
const T0 = 1_700_000_000_000;

/** A two-tag, two-field reading, as the issue's sensor data: a point a millisecond from `at`. */
function reading(i: number): string {
  const sensor = i % 50;
  return `climate,site=gateway${sensor % 5},sensor=s${sensor} temperature=${(20 + ((i * 7) % 500) / 100).toFixed(2)},humidity=${(40 + ((i * 13) % 300) / 10).toFixed(1)} ${T0 + i}`;
}

function recordBody(record: number): Buffer {
  const lines: string[] = [];
  for (let i = record * RECORD_POINTS; i < (record + 1) * RECORD_POINTS; i++) lines.push(reading(i));
  return Buffer.from(`${lines.join('\n')}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function stored(server: InfluxServer, db: string): Promise<{ count: number; first: number; last: number }> {
  const rows = await server.rows('SELECT count(temperature) FROM climate', db, 'ms');
  const [firstRow] = await server.rows('SELECT first(temperature) FROM climate', db, 'ms');
  const [lastRow] = await server.rows('SELECT last(temperature) FROM climate', db, 'ms');
  return {
    count: (rows[0]?.count as number | undefined) ?? 0,
    first: (firstRow?.time as number | undefined) ?? 0,
    last: (lastRow?.time as number | undefined) ?? 0,
  };
}

/** Fails the benchmark when a point acknowledged is not stored: by count, and by the times of the first and last. */
async function checkStored(server: InfluxServer, db: string, points: number, from = T0): Promise<string> {
  const found = await stored(server, db);
  const expected = { count: points, first: from, last: from + points - 1 };
  if (found.count !== expected.count || found.first !== expected.first || found.last !== expected.last)
    throw new Error(`${db}: stored ${JSON.stringify(found)}, acknowledged ${JSON.stringify(expected)}`);
  return '0 lost';
}

/** The backlog's points POSTed as they are, in requests of 5,000, two at once: what the link and server take. */
async function rawCeiling(server: InfluxServer, db: string, records: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${server.port}`, { connections: 2 });
  const perRequest = WRITER_DEFAULTS.maxLinesPerRequest / RECORD_POINTS;
  const bodies: Buffer[] = [];
  for (let record = 0; record < records; record += perRequest)
    bodies.push(Buffer.concat(Array.from({ length: Math.min(perRequest, records - record) }, (_, i) => recordBody(record + i))));
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++] as Buffer;
      const answer = await pool.request({ method: 'POST', path: `/write?db=${db}&precision=ms`, body });
      await answer.body.text();
      if (answer.statusCode !== 204) throw new Error(`raw write answered ${answer.statusCode}`);
    }
  };
  await Promise.all([worker(), worker()]);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return (records * RECORD_POINTS) / seconds;
}

interface Filled {
  spool: Spool;
  folder: string;
  /** CPU microseconds each point cost to append (pack, write, fsync). */
  cpuPerPoint: number;
  bytesPerPoint: number;
}

async function filledSpool(records: number, compress: boolean): Promise<Filled> {
  const folder = mkdtempSync(path.join(tmpdir(), 'inflow-catch-up-'));
  const spool = Spool.open(folder, { compress, maxBytes: 1024 * 1024 * 1024 });
  const bodies = Array.from({ length: records }, (_, record) => recordBody(record));
  const cpu = process.cpuUsage();
  for (const body of bodies) await spool.append({ target: {}, body });
  const used = process.cpuUsage(cpu);
  return {
    spool,
    folder,
    cpuPerPoint: (used.user + used.system) / (records * RECORD_POINTS),
    bytesPerPoint: spool.bytes / (records * RECORD_POINTS),
  };
}

/** Replays a filled spool into `db` through `url`; points a second, from the start until the disk is empty. */
async function catchUp(url: string, filled: Filled, replay: ReplayOptions | undefined): Promise<number> {
  const client = new Client(url, { precision: 'ms' });
  const points = filled.spool.records * RECORD_POINTS;
  const writer = new BatchWriter(client, { batchSize: 1000, flushInterval: 0, spool: filled.spool, replay });
  const started = performance.now();
  writer.startReplay();
  await writer.replayed();
  const seconds = (performance.now() - started) / 1000;
  if (!filled.spool.empty) throw new Error('the replay ended with records left on disk');
  await writer.close();
  await client.close();
  return points / seconds;
}

/**
 * An outage of `outageMs` at `rate` messages a second through a proxy adding `latencyMs` to each request,
 * live messages flowing before, during and after: seconds from the server's return until every message
 * is acknowledged and the disk is empty.
 */
async function outageThroughLatency(
  server: InfluxServer,
  db: string,
  options: { rate: number; outageMs: number; latencyMs: number; replay: ReplayOptions | undefined },
): Promise<{ seconds: number; messages: number }> {
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
  proxy.inject({ delayMs: options.latencyMs });
  const folder = mkdtempSync(path.join(tmpdir(), 'inflow-catch-up-'));
  const spool = Spool.open(folder);
  const client = new Client(proxy.dsn(db), { precision: 'ms', timeout: 10_000 });
  const writer = new BatchWriter(client, { batchSize: 1000, flushInterval: 1000, spool, replay: options.replay });
  let sent = 0;
  let acknowledged = 0;
  const failures: unknown[] = [];
  let sending = true;
  // 10 messages every 10 ms, as a flow of 1,000 a second.
  const pump = (async () => {
    const perTick = Math.max(1, Math.round(options.rate / 100));
    while (sending) {
      for (let i = 0; i < perTick; i++) {
        writer.add(reading(sent++), (error) => {
          if (error === undefined) acknowledged++;
          else failures.push(error);
        });
      }
      await sleep(10);
    }
  })();
  await sleep(2000);
  await server.halt();
  await sleep(options.outageMs);
  await server.resume();
  const back = performance.now();
  // Live messages go to disk behind the backlog while there is one: an empty disk is a backlog caught up.
  while (!spool.empty) await sleep(50);
  const seconds = (performance.now() - back) / 1000;
  await sleep(1000);
  sending = false;
  await pump;
  await writer.close();
  await client.close();
  await spool.close();
  await proxy.close();
  rmSync(folder, { recursive: true, force: true });
  if (failures.length > 0 || acknowledged !== sent)
    throw new Error(`${failures.length} failed, ${acknowledged} of ${sent} acknowledged`);
  await checkStored(server, db, sent);
  return { seconds, messages: sent };
}

/** The catch-up figures, printed side by side. */
export async function catchUpBench(
  server: InfluxServer,
  options: { records: number; outageMs: number; rate: number; latencyMs: number },
): Promise<void> {
  const points = options.records * RECORD_POINTS;
  const before: ReplayOptions = { inFlight: 1, maxLines: RECORD_POINTS };
  const url = (db: string): string => `http://127.0.0.1:${server.port}/${db}`;
  for (const db of ['ceiling', 'before', 'now', 'latency_before', 'latency_now']) await server.createDatabase(db);

  console.log(
    `\nCatching up a backlog of ${points.toLocaleString('en')} points (records of ${RECORD_POINTS.toLocaleString('en')}) on loopback`,
  );
  const ceiling = await rawCeiling(server, 'ceiling', options.records);
  await checkStored(server, 'ceiling', points);
  const plain = await filledSpool(options.records, false);
  const beforeRate = await catchUp(url('before'), plain, before);
  await checkStored(server, 'before', points);
  const packed = await filledSpool(options.records, true);
  const nowRate = await catchUp(url('now'), packed, undefined);
  await checkStored(server, 'now', points);
  const row = (label: string, rate: number, note: string): void =>
    console.log(
      `  ${label.padEnd(62)} ${Math.round(rate).toLocaleString('en').padStart(9)} points/s ${`${Math.round((100 * rate) / ceiling)}%`.padStart(5)}  ${note}`,
    );
  row('raw ceiling: requests of 5,000 points, two at once, as they are', ceiling, '0 lost');
  row('one record a request, one at a time, kept as they are (before)', beforeRate, '0 lost');
  row('joined into requests of 5,000, two at once, gzipped (now)', nowRate, '0 lost');

  console.log(`\nOn disk, ${points.toLocaleString('en')} two-tag, two-field readings`);
  const hours = (bytesPerPoint: number, perSecond: number): string =>
    (SPOOL_DEFAULTS.maxBytes / bytesPerPoint / perSecond / 3600).toFixed(0);
  for (const [label, filled] of [
    ['kept as they are (before)', plain],
    ['gzipped (now)', packed],
  ] as const) {
    console.log(
      `  ${label.padEnd(28)} ${filled.bytesPerPoint.toFixed(1).padStart(6)} bytes/point  100 MB holds ${hours(filled.bytesPerPoint, 10).padStart(5)} h at 10 points/s, ${hours(filled.bytesPerPoint, 100).padStart(4)} h at 100  CPU to append ${filled.cpuPerPoint.toFixed(2)} us/point`,
    );
  }
  console.log(`  gzipped: ${(plain.bytesPerPoint / packed.bytesPerPoint).toFixed(1)}x the points per MB`);
  for (const filled of [plain, packed]) {
    await filled.spool.close();
    rmSync(filled.folder, { recursive: true, force: true });
  }

  console.log(
    `\nA ${options.outageMs / 1000} s outage at ${options.rate.toLocaleString('en')} messages/s through a proxy adding ${options.latencyMs} ms to each request, live messages flowing`,
  );
  for (const [label, db, replay] of [
    ['one record a request, one at a time (before)', 'latency_before', before],
    ['joined, two at once, gzipped (now)', 'latency_now', undefined],
  ] as const) {
    const result = await outageThroughLatency(server, db, { ...options, replay });
    console.log(
      `  ${label.padEnd(48)} backlog written ${result.seconds.toFixed(1).padStart(5)} s after the server returned  (${result.messages.toLocaleString('en')} messages, 0 lost)`,
    );
  }
}
