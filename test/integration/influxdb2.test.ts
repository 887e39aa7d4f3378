/**
 * InfluxDB 2.x, through its test server (test/support/servers/influxdb2.ts, written from 2.x's source):
 * first proven with InfluxData's own client, which writes to it and reads back in Flux as it would from
 * the real server; then the package's client and batch writer against it: every precision lands at the
 * right instant (2.x's v1 trap with `u`, `m`, `h` avoided), its error answers become the same exceptions,
 * a 422 partial write fails only its message, and a spooled record it can never take is dropped once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InfluxDB, Point, setLogger } from '@influxdata/influxdb-client';
import { BucketsAPI, DbrpsAPI, OrgsAPI } from '@influxdata/influxdb-client-apis';
import {
  BatchWriter,
  Client,
  ConfigurationException,
  DatabaseNotFoundException,
  Measurement,
  Spool,
  UnauthorizedException,
  WriteFailedException,
  describeServer,
  type ClientOptions,
  type InfluxDBException,
  type Precision,
} from '../../src';
import { InfluxDB2Server } from '../support/servers/influxdb2';

const TOKEN = 'v2-test-token';
const ORG = 'home';
let server: InfluxDB2Server;

// The official client logs each refused write to the console; the tests assert on the refusal itself.
setLogger({ error: () => undefined, warn: () => undefined });

before(async () => {
  server = await InfluxDB2Server.start({
    token: TOKEN,
    org: ORG,
    buckets: ['sensors', 'other', 'spooled', 'batches', 'tenant-b'],
  });
});
after(() => server.stop());

const official = (): InfluxDB => new InfluxDB({ url: server.url, token: TOKEN });

/** Rows of a Flux query through the official client, as its users read them. */
async function fluxRows(bucket: string, measurement: string): Promise<Array<Record<string, unknown>>> {
  const query = `from(bucket: "${bucket}") |> range(start: 0) |> filter(fn: (r) => r._measurement == "${measurement}")`;
  return official().getQueryApi(ORG).collectRows(query);
}

const client = (options: ClientOptions = {}): Client =>
  new Client({ url: server.url, token: TOKEN, org: ORG, bucket: 'sensors', version: 2, ...options });

describe('the InfluxDB 2.x test server, proven with the official client', () => {
  it('takes its writes (Token auth, /api/v2/write, precision ns) and answers its Flux query with the same points', async () => {
    const writeApi = official().getWriteApi(ORG, 'sensors', 'ns');
    writeApi.writePoint(new Point('official').tag('room', 'hall').floatField('temp', 21.5).timestamp('1700000000123456789'));
    writeApi.writePoint(new Point('official').tag('room', 'attic').intField('count', 3).timestamp('1700000000000000000'));
    await writeApi.close();
    const rows = await fluxRows('sensors', 'official');
    const byRoom: Record<string, Record<string, unknown> | undefined> = Object.fromEntries(
      rows.map((row) => [String(row.room), row]),
    );
    assert.equal(byRoom.hall?._value, 21.5);
    assert.equal(byRoom.hall?._time, '2023-11-14T22:13:20.123456789Z');
    assert.equal(byRoom.attic?._value, 3);
    assert.equal(byRoom.attic?._field, 'count');
  });

  it("answers the official client's OrgsAPI, BucketsAPI and DbrpsAPI: lists, a bucket made, and 2.x's not-found answers", async () => {
    const influx = official();
    const orgs = await new OrgsAPI(influx).getOrgs({ org: ORG });
    assert.deepEqual(
      orgs.orgs?.map((org) => org.name),
      [ORG],
    );
    const orgID = orgs.orgs?.[0]?.id ?? '';
    const buckets = new BucketsAPI(influx);
    const made = await buckets.postBuckets({ body: { orgID, name: 'made-by-official', retentionRules: [] } });
    assert.equal(made.name, 'made-by-official');
    const found = await buckets.getBuckets({ org: ORG, name: 'made-by-official' });
    assert.deepEqual(
      found.buckets?.map((bucket) => [bucket.name, bucket.id]),
      [['made-by-official', made.id]],
    );
    await assert.rejects(
      buckets.getBuckets({ org: ORG, name: 'no-such-bucket' }),
      (error: { statusCode?: number; body?: string }) => {
        assert.equal(error.statusCode, 404);
        assert.deepEqual(JSON.parse(String(error.body)), { code: 'not found', message: 'bucket "no-such-bucket" not found' });
        return true;
      },
    );
    await assert.rejects(
      new OrgsAPI(influx).getOrgs({ org: 'work' }),
      (error: { statusCode?: number }) => error.statusCode === 404,
    );
    await assert.rejects(
      buckets.postBuckets({ body: { orgID, name: 'made-by-official', retentionRules: [] } }),
      (error: { statusCode?: number }) => error.statusCode === 422,
    );
    const mappings = await new DbrpsAPI(influx).getDBRPs({ org: ORG, db: 'sensors' });
    assert.deepEqual(
      mappings.content?.map((mapping) => [mapping.database, mapping.retention_policy, mapping.virtual]),
      [['sensors', 'autogen', true]],
    );
  });

  it('refuses its writes with a wrong token, as 2.x does: 401 {code: "unauthorized"}', async () => {
    const writeApi = new InfluxDB({ url: server.url, token: 'wrong' }).getWriteApi(ORG, 'sensors', 'ns', { maxRetries: 0 });
    writeApi.writeRecord('official,room=x v=1 1');
    await assert.rejects(writeApi.close(), (error: { statusCode?: number; body?: string }) => {
      assert.equal(error.statusCode, 401);
      assert.deepEqual(JSON.parse(String(error.body)), { code: 'unauthorized', message: 'unauthorized access' });
      return true;
    });
  });
});

describe('InfluxDB 2.x through the client', () => {
  it('is found by /ping: X-Influxdb-Version v2.9.1', async () => {
    const found = new Client({ url: server.url, token: TOKEN, org: ORG, bucket: 'sensors' });
    const info = await found.detectServer();
    assert.equal(info.api, '2');
    assert.equal(describeServer(info), 'InfluxDB 2.9.1');
    await found.close();
  });

  for (const precision of ['h', 'm', 's', 'ms', 'u', 'ns'] as Precision[]) {
    it(`precision ${precision}: the point lands at its instant, to a bucket and through the DBRP mapping alike`, async () => {
      const measurement = `prec_${precision}`;
      const instant = new Date('2024-03-01T12:00:00Z');
      const viaBucket = client({ precision });
      await viaBucket.write(measurement, { value: 1, timestamp: instant });
      await viaBucket.close();
      const viaDatabase = new Client({ url: server.url, token: TOKEN, database: 'other', version: 2, precision });
      await viaDatabase.write(measurement, { value: 2, timestamp: instant });
      await viaDatabase.close();
      const sent = server.http.received.filter((request) => request.body.startsWith(measurement));
      assert.deepEqual(
        sent.map((request) => `${request.path} ${request.query.get('precision')}`),
        [
          `/api/v2/write ${precision === 'u' ? 'us' : ['h', 'm'].includes(precision) ? 's' : precision}`,
          `/write ${precision === 'u' ? 'us' : ['h', 'm'].includes(precision) ? 's' : precision}`,
        ],
      );
      assert.equal((await fluxRows('sensors', measurement))[0]?._time, '2024-03-01T12:00:00Z');
      assert.equal((await fluxRows('other', measurement))[0]?._time, '2024-03-01T12:00:00Z');
    });
  }

  it('precision h, through a batch writer, with a string holding a line break: the time is made exact seconds, and the point lands at its instant', async () => {
    const writer = client({ precision: 'h' });
    const batch = new BatchWriter(writer, { batchSize: 10, flushInterval: 0 });
    let outcome: InfluxDBException | undefined;
    batch.add('shift note="line one\nline two 999" 473352', (error) => (outcome = error));
    await batch.close();
    await writer.close();
    assert.equal(outcome, undefined);
    const [row] = await fluxRows('sensors', 'shift');
    assert.equal(row?._time, new Date(473_352 * 3600 * 1000).toISOString().replace('.000', ''));
    assert.equal(row?._value, 'line one\nline two 999');
  });

  it("lines in another unit than the client's (a backlog kept before its precision changed) are sent in theirs, h as exact seconds", async () => {
    const writer = client({ precision: 's' });
    await writer.writeLines(['kept_ms v=1 1709294400123'], { precision: 'ms' });
    await writer.writeLines(['kept_h v=1 473352'], { precision: 'h' });
    await writer.close();
    assert.equal((await fluxRows('sensors', 'kept_ms'))[0]?._time, '2024-03-01T12:00:00.123Z');
    assert.equal(
      (await fluxRows('sensors', 'kept_h'))[0]?._time,
      new Date(473_352 * 3600 * 1000).toISOString().replace('.000', ''),
    );
  });

  it("2.x's own v1 trap, which the client avoids: /write with precision u is read as nanoseconds", async () => {
    const response = await fetch(`${server.url}/write?db=other&precision=u`, {
      method: 'POST',
      headers: { authorization: `Token ${TOKEN}` },
      body: 'trap value=1 1709294400000000',
    });
    assert.equal(response.status, 204);
    assert.equal((await fluxRows('other', 'trap'))[0]?._time, '1970-01-20T18:48:14.4Z');
  });

  it('every write form, read back in Flux', async () => {
    const writer = client({ precision: 's' });
    await writer.write('forms', { value: 1, timestamp: 1_700_000_001 });
    await writer.write([new Measurement({ name: 'forms', tags: { kind: 'list' }, value: 2, timestamp: 1_700_000_002 })]);
    await writer.write({ name: 'forms', tags: { kind: 'template' } }, [
      { value: 3, timestamp: 1_700_000_003 },
      { value: 4, timestamp: 1_700_000_004 },
    ]);
    await writer.close();
    const values = (await fluxRows('sensors', 'forms')).map((row) => row._value).sort();
    assert.deepEqual(values, [1, 2, 3, 4]);
  });

  it("its errors, as the same exceptions with the server's words", async () => {
    const wrongToken = client({ token: 'nope' });
    await assert.rejects(
      wrongToken.write('e', { value: 1 }),
      (error: InfluxDBException) => error instanceof UnauthorizedException && error.serverMessage === 'unauthorized access',
    );
    await wrongToken.close();
    const noBucket = client({ bucket: 'missing' });
    await assert.rejects(
      noBucket.write('e', { value: 1 }),
      (error: InfluxDBException) =>
        error instanceof DatabaseNotFoundException && error.serverMessage === 'bucket "missing" not found',
    );
    await noBucket.close();
    const noMapping = new Client({ url: server.url, token: TOKEN, database: 'nowhere', version: 2 });
    await assert.rejects(
      noMapping.write('e', { value: 1 }),
      (error: InfluxDBException) =>
        error instanceof DatabaseNotFoundException && error.status === 404 && error.serverMessage === 'no dbrp mapping found',
    );
    await noMapping.close();
    const noOrg = new Client({ url: server.url, token: TOKEN, bucket: 'sensors', version: 2 });
    await assert.rejects(
      noOrg.write('e', { value: 1 }),
      (error: InfluxDBException) => error instanceof ConfigurationException && /set the org/.test(error.message),
    );
    await noOrg.close();
    const withPolicy = client({ retentionPolicy: 'week' });
    await assert.rejects(
      withPolicy.write('e', { value: 1 }),
      (error: InfluxDBException) => error instanceof ConfigurationException && /1\.x's/.test(error.message),
    );
    await withPolicy.close();
    const typed = client();
    await typed.write('conflict', { value: 1.5 });
    await assert.rejects(
      typed.write('conflict', { value: 'text' }),
      (error: InfluxDBException) =>
        error instanceof WriteFailedException && error.status === 422 && /field type conflict/.test(error.message),
    );
    server.http.failNext('/api/v2/write', 1, {
      status: 429,
      headers: { 'retry-after': '7' },
      body: '{"code":"too many requests","message":"org exceeded write limit"}',
    });
    await assert.rejects(
      typed.write('e', { value: 1 }),
      (error: InfluxDBException) => error.status === 429 && error.retryAfter === 7000 && error.retryable,
    );
    await typed.close();
  });

  it('a 422 partial write in a batch fails only the message that owns the point', async () => {
    const writer = client({ bucket: 'batches' });
    await writer.write('mixed', { value: 1.5, timestamp: 1 });
    const results: Array<string | undefined> = [];
    const batch = new BatchWriter(writer, { batchSize: 10, flushInterval: 0 });
    for (let i = 0; i < 8; i++) {
      const value = i === 5 ? '"text"' : `${i}.5`;
      batch.add(`mixed value=${value} ${100 + i}`, (error) =>
        results.push(error === undefined ? undefined : `${i}: ${error.status}`),
      );
    }
    await batch.flush();
    await batch.close();
    assert.deepEqual(
      results.filter((result) => result !== undefined),
      ['5: 422'],
    );
    assert.equal((await fluxRows('batches', 'mixed')).length, 8);
    await writer.close();
  });

  it('a spooled record with a point 2.x can never take is written but for that point, and dropped once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inflow-v2-spool-'));
    const writer = client({ bucket: 'spooled' });
    await writer.write('spool', { value: 1.5, timestamp: 1 });
    const spool = Spool.open(dir);
    const rejected: string[][] = [];
    // The server is unavailable for the first write: the batch goes to disk, and is replayed from there.
    server.http.failNext('/api/v2/write', 1, { status: 503, body: '{"code":"unavailable","message":"busy"}' });
    const batch = new BatchWriter(writer, {
      batchSize: 100,
      flushInterval: 0,
      spool,
      retry: { firstDelay: 10, maxDelay: 20 },
      onRejectedFromSpool: (_error, lines) => rejected.push([...lines]),
    });
    const before = server.http.requestsTo('/api/v2/write').length;
    const acknowledged: Array<InfluxDBException | undefined> = [];
    ['2.5', '"text"', '3.5'].forEach((value, i) =>
      batch.add(`spool value=${value} ${1000 + i}`, (error) => acknowledged.push(error)),
    );
    await batch.flush();
    await batch.replayed();
    await batch.close();
    assert.deepEqual(acknowledged, [undefined, undefined, undefined]);
    assert.equal(rejected.length, 1);
    assert.match(rejected[0]?.[0] ?? '', /^spool value="text"/);
    assert.equal(spool.records, 0);
    assert.ok(server.http.requestsTo('/api/v2/write').length - before < 10, 'a handful of requests, not a loop');
    assert.equal((await fluxRows('spooled', 'spool')).length, 3);
    await spool.close();
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("points routed to another bucket while the server is unavailable are replayed into that bucket, not the client's", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inflow-v2-routed-'));
    const writer = client();
    const spool = Spool.open(dir);
    server.http.failNext('/api/v2/write', 3, { status: 503, body: '{"code":"unavailable","message":"busy"}' });
    const api = writer.writeApi({ bucket: 'tenant-b', org: ORG, spool, batchSize: 10, flushInterval: 0, retryInterval: 10 });
    for (let i = 0; i < 30; i++) await api.write(`routed value=${i} ${2000 + i}`);
    await api.flush();
    // The three batches that met a 503 are on disk, and replayed from there once the server answers.
    const deadline = Date.now() + 5000;
    while (!spool.empty && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await api.close();
    const sent = server.http.requestsTo('/api/v2/write').filter((request) => request.body.startsWith('routed'));
    assert.ok(sent.length >= 4, `${sent.length} requests: some failed with 503 and went to disk`);
    assert.deepEqual([...new Set(sent.map((request) => request.query.get('bucket')))], ['tenant-b']);
    assert.equal((await fluxRows('tenant-b', 'routed')).length, 30);
    assert.equal((await fluxRows('sensors', 'routed')).length, 0);
    await spool.close();
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('InfluxQL through its v1 /query and the DBRP mapping', async () => {
    const reader = new Client({ url: server.url, token: TOKEN, database: 'sensors', version: 2, precision: 's' });
    await reader.write('iql', { value: 7, timestamp: 1_700_000_000 });
    assert.deepEqual(await reader.query('SELECT * FROM iql', { epoch: 's' }), [
      { name: 'iql', values: [{ time: 1_700_000_000, value: 7 }] },
    ]);
    await reader.close();
  });
});
