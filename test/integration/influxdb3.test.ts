/**
 * InfluxDB 3 Core, through its test server (test/support/servers/influxdb3.ts, written from 3.x's
 * source): first proven with InfluxData's own 3.x client, whose writes (its /api/v2/write, and
 * /api/v3/write_lp with noSync) it stores as the real server would; then the package's client: the
 * precision names of /api/v3/write_lp (m and h sent as exact seconds), a retention policy refused
 * rather than written into "db/rp", rejected lines named by the server failing alone, and queries.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InfluxDBClient, Point, setLogger } from '@influxdata/influxdb3-client';
import {
  BatchWriter,
  Client,
  ConfigurationException,
  Spool,
  DatabaseNotFoundException,
  UnauthorizedException,
  WriteFailedException,
  describeServer,
  type ClientOptions,
  type InfluxDBException,
  type Precision,
} from '../../src';
import { InfluxDB3Server } from '../support/servers/influxdb3';

const TOKEN = 'apiv3_test-token';
let server: InfluxDB3Server;

// The official client logs each refused write to the console; the tests assert on the refusal itself.
setLogger({ error: () => undefined, warn: () => undefined });

before(async () => {
  server = await InfluxDB3Server.start({ token: TOKEN });
});
after(() => server.stop());

const client = (options: ClientOptions = {}): Client =>
  new Client({ url: server.url, token: TOKEN, database: 'sensors', version: 3, ...options });

/** What a database holds, read back through v1 /query with times in ns: `measurement field=value@time`. */
async function stored(database: string, measurement: string): Promise<Array<Record<string, unknown>>> {
  const reader = new Client({ url: server.url, token: TOKEN, database, version: 3 });
  const series = await reader.query(`SELECT * FROM "${measurement}"`, { epoch: 'ns' });
  await reader.close();
  return series[0]?.values ?? [];
}

describe('the InfluxDB 3 test server, proven with the official 3.x client', () => {
  it('stores its writes: /api/v2/write by default, /api/v3/write_lp with noSync', async () => {
    const official = new InfluxDBClient({ host: server.url, token: TOKEN, database: 'official' });
    await official.write(
      Point.measurement('air').setTag('room', 'hall').setFloatField('co2', 415.5).setTimestamp(new Date('2024-05-01T00:00:00Z')),
    );
    await official.write('air,room=attic co2=420 1714521600000000000', 'official', undefined, { noSync: true });
    await official.close();
    assert.deepEqual(
      server.writes.filter((write) => write.database === 'official').map((write) => `${write.path} ${write.noSync}`),
      ['/api/v2/write false', '/api/v3/write_lp true'],
    );
    const rows = await stored('official', 'air');
    assert.deepEqual(
      rows.map((row) => [row.room, row.co2, String(row.time)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['hall', 415.5, '1714521600000000000'],
        ['attic', 420, '1714521600000000000'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('refuses the official client without its token, as 3.x does: 401', async () => {
    const official = new InfluxDBClient({ host: server.url, token: 'wrong', database: 'official' });
    await assert.rejects(official.write('air co2=1 1', 'official'), (error: { statusCode?: number }) => error.statusCode === 401);
    await official.close();
  });
});

describe('InfluxDB 3 through the client', () => {
  it('is found by /ping, with the token: "InfluxDB 3.5.0 Core"; without it, refused', async () => {
    const found = new Client({ url: server.url, token: TOKEN, database: 'sensors' });
    const info = await found.detectServer();
    assert.equal(info.api, '3');
    assert.equal(describeServer(info), 'InfluxDB 3.5.0 Core');
    await found.close();
    const anonymous = new Client({ url: server.url, database: 'sensors' });
    await assert.rejects(anonymous.detectServer(), UnauthorizedException);
    await anonymous.close();
  });

  for (const precision of ['h', 'm', 's', 'ms', 'u', 'ns'] as Precision[]) {
    it(`precision ${precision}: sent by its 3.x name, the point lands at its instant`, async () => {
      const measurement = `prec_${precision}`;
      const writer = client({ precision });
      await writer.write(measurement, { value: 1, timestamp: new Date('2024-03-01T12:00:00Z') });
      await writer.close();
      const sent = server.http.received.find((request) => request.body.startsWith(measurement));
      const names: Record<Precision, string> = {
        h: 'second',
        m: 'second',
        s: 'second',
        ms: 'millisecond',
        u: 'microsecond',
        ns: 'nanosecond',
      };
      assert.equal(sent?.path, '/api/v3/write_lp');
      assert.equal(sent?.query.get('precision'), names[precision]);
      assert.equal(sent?.query.get('accept_partial'), 'true');
      assert.equal(
        String((await stored('sensors', measurement))[0]?.time),
        String(BigInt(Date.parse('2024-03-01T12:00:00Z')) * 1_000_000n),
      );
    });
  }

  it('a retention policy is refused, never written into a database named "db/rp"', async () => {
    const withPolicy = client({ retentionPolicy: 'week' });
    await assert.rejects(
      withPolicy.write('e', { value: 1 }),
      (error: InfluxDBException) => error instanceof ConfigurationException && /InfluxDB 3 has none/.test(error.message),
    );
    await assert.rejects(client().write('e', { value: 1 }, { bucket: 'sensors/week' }), ConfigurationException);
    await withPolicy.close();
    assert.equal(server.writes.filter((write) => write.database.includes('/')).length, 0);
  });

  it('lines the server rejects are named by number; it stored the others', async () => {
    const writer = client({ database: 'partial' });
    await writer.write('typed', { value: 1.5, timestamp: 1 });
    await assert.rejects(
      writer.writeLines(['typed value=2.5 2', 'typed value="x" 3', 'typed value=3.5 4']),
      (error: InfluxDBException) => {
        assert.ok(error instanceof WriteFailedException);
        assert.deepEqual(
          error.rejectedLines?.map((line) => line.line),
          [2],
        );
        assert.match(error.message, /line 2: invalid column type for column 'value'/);
        return true;
      },
    );
    await writer.close();
    assert.deepEqual(
      (await stored('partial', 'typed')).map((row) => row.value),
      [1.5, 2.5, 3.5],
    );
  });

  it("in a batch, only the messages that own rejected lines fail, in one request, with the server's words", async () => {
    const writer = client({ database: 'batch3' });
    await writer.write('typed', { value: 1.5, timestamp: 1 });
    const before = server.http.requestsTo('/api/v3/write_lp').length;
    const results = new Map<number, InfluxDBException | undefined>();
    const batch = new BatchWriter(writer, { batchSize: 100, flushInterval: 0 });
    for (let i = 0; i < 6; i++) {
      const lines = i === 2 ? [`typed value=${i}.5 ${10 + i}`, `typed value="no" ${20 + i}`] : `typed value=${i}.5 ${10 + i}`;
      batch.add(lines, (error) => results.set(i, error));
    }
    await batch.flush();
    await batch.close();
    await writer.close();
    assert.equal(server.http.requestsTo('/api/v3/write_lp').length - before, 1);
    assert.deepEqual(
      [...results.entries()].filter(([, error]) => error !== undefined).map(([i]) => i),
      [2],
    );
    assert.match(results.get(2)?.message ?? '', /point 2: invalid column type/);
    assert.equal((await stored('batch3', 'typed')).length, 7);
  });

  it('a string holding a line break in an earlier message: the server numbers lines as it cuts them, and only the owner of the rejected line fails', async () => {
    const writer = client({ database: 'breaks3' });
    await writer.write('typed', { value: 1.5, timestamp: 1 });
    const results = new Map<number, InfluxDBException | undefined>();
    const batch = new BatchWriter(writer, { batchSize: 100, flushInterval: 0 });
    batch.add('typed note="first\nsecond\nthird",value=0.5 10', (error) => results.set(0, error));
    batch.add('typed value=1.5 11', (error) => results.set(1, error));
    batch.add('typed value="no" 12', (error) => results.set(2, error));
    batch.add('typed value=3.5 13', (error) => results.set(3, error));
    await batch.flush();
    await batch.close();
    await writer.close();
    assert.deepEqual(
      [...results.entries()].filter(([, error]) => error !== undefined).map(([i]) => i),
      [2],
    );
    const rows = await stored('breaks3', 'typed');
    assert.deepEqual(
      rows.map((row) => row.value),
      [1.5, 0.5, 1.5, 3.5],
    );
    assert.equal(rows[1]?.note, 'first\nsecond\nthird');
  });

  it('precision h, through a batch writer, with a string holding a line break: the time is made exact seconds, and the point lands at its instant', async () => {
    const writer = client({ database: 'hours3', precision: 'h' });
    const batch = new BatchWriter(writer, { batchSize: 10, flushInterval: 0 });
    let outcome: InfluxDBException | undefined;
    batch.add('shift note="line one\nline two 999" 473352', (error) => (outcome = error));
    await batch.close();
    await writer.close();
    assert.equal(outcome, undefined);
    const [row] = await stored('hours3', 'shift');
    assert.equal(String(row?.time), String(473_352n * 3600n * 1_000_000_000n));
    assert.equal(row?.note, 'line one\nline two 999');
  });

  it('a spooled record with a line 3.x rejects: the others stored in one request, that line reported once and dropped', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inflow-v3-spool-'));
    const writer = client({ database: 'spool3' });
    await writer.write('typed', { value: 1.5, timestamp: 1 });
    const spool = Spool.open(dir);
    const rejected: string[][] = [];
    server.http.failNext('/api/v3/write_lp', 1, {
      status: 503,
      body: '{"error": "this service is overloaded, please try again later"}',
    });
    const batch = new BatchWriter(writer, {
      batchSize: 100,
      flushInterval: 0,
      spool,
      retry: { firstDelay: 10, maxDelay: 20 },
      onRejectedFromSpool: (_error, lines) => rejected.push([...lines]),
    });
    const before = server.http.requestsTo('/api/v3/write_lp').length;
    const acknowledged: unknown[] = [];
    ['2.5', '"text"', '3.5'].forEach((value, i) =>
      batch.add(`typed value=${value} ${10 + i}`, (error) => acknowledged.push(error)),
    );
    await batch.flush();
    await batch.replayed();
    await batch.close();
    assert.deepEqual(acknowledged, [undefined, undefined, undefined], 'acknowledged once on disk');
    assert.deepEqual(rejected, [['typed value="text" 11']]);
    assert.equal(spool.records, 0);
    // The 503, then the replay: one request, as the server named the line it refused.
    assert.equal(server.http.requestsTo('/api/v3/write_lp').length - before, 2);
    assert.deepEqual(
      (await stored('spool3', 'typed')).map((row) => row.value),
      [1.5, 2.5, 3.5],
    );
    await spool.close();
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('noSync asks /api/v3/write_lp to answer before its disk', async () => {
    const fast = client({ database: 'nosync', noSync: true });
    await fast.write('fast', { value: 1 });
    await fast.close();
    assert.deepEqual(
      server.writes.filter((write) => write.database === 'nosync').map((write) => write.noSync),
      [true],
    );
  });

  it('InfluxQL through its v1 /query; "Database x not found" is a DatabaseNotFoundException', async () => {
    const reader = client({ precision: 's', database: 'iql' });
    await reader.write('iql', { value: 7, timestamp: 1_700_000_000 });
    assert.deepEqual(await reader.query('SELECT * FROM iql', { epoch: 's' }), [
      { name: 'iql', values: [{ time: 1_700_000_000, value: 7 }] },
    ]);
    await assert.rejects(
      reader.query('SELECT * FROM iql', { database: 'nowhere' }),
      (error: InfluxDBException) =>
        error instanceof DatabaseNotFoundException && error.serverMessage === 'Database nowhere not found',
    );
    await reader.close();
  });
});
