/**
 * influxdb-client-python's WriteApi, each of its examples in TypeScript and read back from a real InfluxDB 1.6:
 * settings from a TOML file, an INI file and the environment; batching defaults (1,000 points or 1 s),
 * flush jitter, the retry schedule on a fault proxy with short timings, SYNCHRONOUS; and every record form.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  ClientClosedException,
  ConfigurationException,
  InvalidMeasurementException,
  Measurement,
  Point,
  WriteOptions,
  type InfluxDBException,
} from '../../src';
import { InfluxServer } from '../support/influxd';
import { ConnectProxy } from '../support/connect-proxy';
import { FaultProxy } from '../support/proxy';
import { InfluxDB3Server } from '../support/servers/influxdb3';

let server: InfluxServer;
let dir: string;
let counter = 0;
const T = 1_700_000_000_000_000_000n;

before(async () => {
  server = await InfluxServer.start();
  dir = mkdtempSync(path.join(tmpdir(), 'inflow-settings-'));
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function freshDatabase(): Promise<string> {
  const db = `wapi_${++counter}`;
  await server.createDatabase(db);
  return db;
}

const file = (name: string, text: string): string => {
  const where = path.join(dir, name);
  writeFileSync(where, text);
  return where;
};

describe('settings from where users keep them', () => {
  it("a TOML file: [influx2] and [tags], the default tags on every point (a point's own wins)", async () => {
    const db = await freshDatabase();
    const config = file(
      'config.toml',
      `[influx2]\nurl = "http://127.0.0.1:${server.port}"\norg = "my-org"\ntoken = "my-token"\nbucket = "${db}"\ntimeout = 6000\nverify_ssl = false\n\n[tags]\nid = "132-987-655"\ncustomer = "California Miner"\n`,
    );
    const client = Client.fromConfigFile(config, { precision: 'ns' });
    assert.equal(client.timeout, 6000);
    await using writer = client.writeApi(WriteOptions.SYNCHRONOUS);
    await writer.write(new Point('mem').tag('host', 'host1').floatField('used_percent', 23.43234543).time(T));
    await writer.write(
      new Point('mem')
        .tag('customer', 'own')
        .floatField('used_percent', 1)
        .time(T + 1n),
    );
    assert.deepEqual(await server.rows('SELECT * FROM mem', db), [
      { time: Number(T), customer: 'California Miner', host: 'host1', id: '132-987-655', used_percent: 23.43234543 },
      { time: Number(T + 1n), customer: 'own', host: null, id: '132-987-655', used_percent: 1 },
    ]);
    await client.close();
  });

  it('an INI file, the same', async () => {
    const db = await freshDatabase();
    const config = file(
      'config.ini',
      `; gateway\n[influx2]\nurl=http://127.0.0.1:${server.port}\norg=my-org\ntoken="my-token"\nbucket=${db}\n\n[tags]\nsite=roof\n`,
    );
    const client = Client.fromConfigFile(config, { precision: 's' });
    await client.write('weather', { temperature: 11.5, timestamp: 1_700_000_000 });
    assert.deepEqual(await server.rows('SELECT * FROM weather', db, 's'), [
      { time: 1_700_000_000, site: 'roof', temperature: 11.5 },
    ]);
    await client.close();
  });

  it('a bad value names the file, line and key, and never the token', () => {
    const bad = file('bad.toml', `[influx2]\nurl = "http://127.0.0.1:1"\ntoken = "s3cret-token"\ntimeout = "soon"\n`);
    assert.throws(
      () => Client.fromConfigFile(bad),
      (error: Error) =>
        error instanceof ConfigurationException &&
        error.message.startsWith(`${bad}:4: timeout must be a whole number`) &&
        !error.message.includes('s3cret'),
    );
    const broken = file('broken.toml', `[influx2]\nurl = "http://x\n`);
    assert.throws(
      () => Client.fromConfigFile(broken),
      (error: Error) => error instanceof ConfigurationException && error.message.startsWith(`${broken}:2: not valid TOML`),
    );
    const ini = file('bad.ini', `[influx2]\nurl=http://127.0.0.1:1\nverify_ssl=maybe\n`);
    assert.throws(
      () => Client.fromConfigFile(ini),
      (error: Error) => error.message === `${ini}:3: verify_ssl must be true or false, not "maybe"`,
    );
  });

  it("the environment: INFLUXDB_V2_* with default tags; InfluxDB 3's INFLUX_HOST, INFLUX_TOKEN, INFLUX_DATABASE", async () => {
    const db = await freshDatabase();
    const client = Client.fromEnv(
      {
        INFLUXDB_V2_URL: `http://127.0.0.1:${server.port}`,
        INFLUXDB_V2_ORG: 'my-org',
        INFLUXDB_V2_TOKEN: 'my-token',
        INFLUXDB_V2_BUCKET: db,
        INFLUXDB_V2_TIMEOUT: '4000',
        INFLUXDB_V2_CONNECTION_POOL_MAXSIZE: '2',
        INFLUXDB_V2_TAG_LOCATION: 'garden',
      },
      { precision: 's' },
    );
    assert.equal(client.timeout, 4000);
    await client.write('soil', { moisture: 0.31, timestamp: 1_700_000_000 });
    assert.deepEqual(await server.rows('SELECT * FROM soil', db, 's'), [
      { time: 1_700_000_000, location: 'garden', moisture: 0.31 },
    ]);
    await client.close();
    assert.throws(
      () => Client.fromEnv({ INFLUXDB_V2_URL: 'http://x:1', INFLUXDB_V2_TIMEOUT: '0' }),
      /INFLUXDB_V2_TIMEOUT must be a whole number of at least 1, not "0"/,
    );
    assert.throws(() => Client.fromEnv({}), /neither INFLUXDB_V2_URL nor INFLUX_HOST is set/);

    const v3 = await InfluxDB3Server.start({ token: 'v3-token' });
    const three = Client.fromEnv({ INFLUX_HOST: v3.url, INFLUX_TOKEN: 'v3-token', INFLUX_DATABASE: 'env3' });
    await three.write('air co2=412 1700000000');
    assert.deepEqual(
      v3.store.points('env3', 'air').map((point) => point.fields.co2),
      [412],
    );
    await three.close();
    await v3.stop();
  });
});

describe('default tags', () => {
  it('are stored as given, a backslash, a comma, a space and an equals sign in them too, on text and records alike', async () => {
    const db = await freshDatabase();
    const client = new Client(server.dsn(db), {
      precision: 's',
      defaultTags: { path: 'C:\\data\\new', 'room name': 'a,b=c d' },
    });
    await client.write('disk used=1 1700000000');
    await client.write('disk', { used: 2, timestamp: 1_700_000_001 });
    const rows = await server.rows('SELECT * FROM disk', db, 's');
    assert.deepEqual(rows, [
      { time: 1_700_000_000, path: 'C:\\data\\new', 'room name': 'a,b=c d', used: 1 },
      { time: 1_700_000_001, path: 'C:\\data\\new', 'room name': 'a,b=c d', used: 2 },
    ]);
    await client.close();
  });

  it('that InfluxDB could not store as given are refused when the client is made, naming the tag', () => {
    assert.throws(
      () => new Client(server.dsn('x'), { defaultTags: { note: 'two\nlines' } }),
      (error: Error) =>
        error instanceof ConfigurationException &&
        /default tags: .*of tag "note"/.test(error.message) &&
        /line break/.test(error.message),
    );
  });
});

describe('an HTTP proxy', () => {
  it("every request goes through it (a CONNECT tunnel), as the file's proxy setting says", async () => {
    const db = await freshDatabase();
    const proxy = await ConnectProxy.start();
    const config = file(
      'proxied.toml',
      `[influx2]\nurl = "http://127.0.0.1:${server.port}"\nbucket = "${db}"\nproxy = "${proxy.url}"\n`,
    );
    const client = Client.fromConfigFile(config, { precision: 's' });
    await client.write('proxied', { value: 1, timestamp: 1_700_000_000 });
    await client.close();
    assert.ok(proxy.tunnels.length >= 1, 'no tunnel opened');
    assert.deepEqual([...new Set(proxy.tunnels)], [`127.0.0.1:${server.port}`]);
    assert.deepEqual(await server.rows('SELECT * FROM proxied', db, 's'), [{ time: 1_700_000_000, value: 1 }]);
    await proxy.stop();
  });
});

describe('batching as influxdb-client-python does it', () => {
  it('by default: a batch of 1,000 points at once, or whatever is there after 1 s', async () => {
    const db = await freshDatabase();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
    const client = new Client(proxy.dsn(db), { precision: 's' });
    let batches = 0;
    const writer = client.writeApi({ onSuccess: () => batches++ });
    const writes = (): number => proxy.requests.filter((request) => request.url.startsWith('/write')).length;
    for (let i = 0; i < 999; i++) await writer.write(`batch value=${i} ${1_700_000_000 + i}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(writes(), 0, 'nothing yet: 999 points, 0.3 s');
    await writer.write(`batch value=999 ${1_700_000_999}`);
    for (const deadline = performance.now() + 2000; writes() === 0 && performance.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(writes(), 1, 'the 1,000th point sends the batch');
    // Once it is written (a point that comes while a batch is under way goes in the next at once).
    while (batches === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const before = performance.now();
    await writer.write(`batch value=1000 ${1_700_001_000}`);
    for (const deadline = performance.now() + 3000; writes() === 1 && performance.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const after = performance.now() - before;
    assert.ok(after >= 950 && after < 1600, `the last point went after ${Math.round(after)} ms`);
    await writer.close();
    assert.equal((await server.rows('SELECT count(value) FROM batch', db))[0]?.count, 1001);
    await client.close();
    await proxy.close();
  });

  it('flush jitter: each flush waits a random part of jitterInterval more', async () => {
    const db = await freshDatabase();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
    const client = new Client(proxy.dsn(db), { precision: 's' });
    await client.detectServer();
    let written = 0;
    const writer = client.writeApi({ flushInterval: 50, jitterInterval: 300, onSuccess: () => written++ });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const seen = proxy.requests.length;
      const sent = performance.now();
      await writer.write(`jitter value=${i} ${1_700_000_000 + i}`);
      while (written === i) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(proxy.requests.length, seen + 1);
      delays.push((proxy.requests.at(-1)?.at ?? 0) - sent);
    }
    await writer.close();
    assert.ok(
      delays.every((delay) => delay >= 45 && delay <= 420),
      delays.map(Math.round).join(', '),
    );
    assert.ok(Math.max(...delays) - Math.min(...delays) > 60, `spread ${delays.map(Math.round).join(', ')}`);
    await client.close();
    await proxy.close();
  });

  it('retries: retryInterval, times exponentialBase at random up to the next step, capped at maxRetryDelay, maxRetries in all', async () => {
    const db = await freshDatabase();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
    proxy.inject({ path: '/write', respond: { status: 503, body: '{"error":"busy"}' } });
    const client = new Client(proxy.dsn(db), { precision: 's' });
    const failures: InfluxDBException[] = [];
    const writer = client.writeApi({
      flushInterval: 10,
      retryInterval: 100,
      exponentialBase: 2,
      maxRetryDelay: 500,
      maxRetries: 5,
      onError: (error) => failures.push(error),
    });
    await writer.write(`retry value=1 1700000000`);
    for (const deadline = performance.now() + 10_000; failures.length === 0 && performance.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const times = proxy.requests.filter((request) => request.url.startsWith('/write')).map((request) => request.at);
    const waits = times.slice(1).map((at, i) => at - (times[i] as number));
    assert.equal(times.length, 6, `1 try and 5 retries: ${waits.map(Math.round).join(', ')}`);
    const bounds = [
      [100, 200],
      [200, 400],
      [400, 500],
      [500, 500],
      [500, 500],
    ];
    waits.forEach((wait, i) => {
      const [low, high] = bounds[i] as [number, number];
      assert.ok(
        wait >= low - 15 && wait <= high * 2 + 60,
        `retry ${i + 1} after ${Math.round(wait)} ms, expected ${low}..${high * 2}`,
      );
    });
    assert.equal(failures[0]?.status, 503);
    await writer.close();
    await client.close();
    await proxy.close();
  });

  it('SYNCHRONOUS: each write one awaited request; a refusal rejects it', async () => {
    const db = await freshDatabase();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
    const client = new Client(proxy.dsn(db), { precision: 's' });
    const writer = client.writeApi(WriteOptions.SYNCHRONOUS);
    await writer.write('sync value=1 1700000000');
    assert.equal(proxy.requests.filter((request) => request.url.startsWith('/write')).length, 1);
    await writer.write('sync value=2 1700000001', 'sync value=3 1700000002');
    assert.equal(proxy.requests.filter((request) => request.url.startsWith('/write')).length, 2);
    await assert.rejects(writer.write('sync value="text" 1700000003'), (error: InfluxDBException) => error.status === 400);
    await writer.close();
    assert.equal((await server.rows('SELECT count(value) FROM sync', db))[0]?.count, 3);
    await client.close();
    await proxy.close();
  });
});

class Car {
  constructor(
    readonly engine: string,
    readonly type: string,
    readonly speed: number,
    readonly time: Date,
  ) {}
}

describe('every record form, read back', () => {
  it('string, lines, Buffer, dict, Point, Measurement, data frame rows, class instances and plain objects with key lists', async () => {
    const db = await freshDatabase();
    const client = new Client(server.dsn(db), { precision: 's' });
    const writer = client.writeApi(WriteOptions.SYNCHRONOUS);
    await writer.write('h2o_feet,location=coyote_creek water_level=1.0 1');
    await writer.write('h2o_feet,location=coyote_creek water_level=2.0 2\nh2o_feet,location=coyote_creek water_level=3.0 3');
    await writer.write(['h2o_feet,location=coyote_creek water_level=4.0 4', 'h2o_feet,location=coyote_creek water_level=5.0 5']);
    await writer.write(Buffer.from('h2o_feet,location=coyote_creek water_level=6.0 6\n'));
    await writer.write({ measurement: 'h2o_feet', tags: { location: 'coyote_creek' }, fields: { water_level: 7.0 }, time: 7 });
    await writer.write(new Point('h2o_feet').tag('location', 'coyote_creek').floatField('water_level', 8.0).time(8));
    await writer.write(new Measurement({ name: 'h2o_feet', tags: { location: 'coyote_creek' }, water_level: 9.0, timestamp: 9 }));
    await writer.write(
      [
        { location: 'coyote_creek', water_level: 10.0, when: 10 },
        { location: 'coyote_creek', water_level: 11.0, when: 11 },
      ],
      { measurementName: 'h2o_feet', tagColumns: ['location'], timeColumn: 'when' },
    );
    await writer.write(new Car('12V-BT', 'sport-cars', 125.25, new Date(12_000)), {
      measurementName: 'car',
      tagKeys: ['engine', 'type'],
      fieldKeys: ['speed'],
      timeKey: 'time',
    });
    await writer.write(
      { name: 'h2o_feet', place: 'coyote_creek', level: 13.0, t: 13 },
      { measurementKey: 'name', tagKeys: ['place'], fieldKeys: ['level'], timeKey: 't' },
    );
    assert.deepEqual(
      (await server.rows('SELECT water_level FROM h2o_feet', db, 's')).map((row) => [row.time, row.water_level]),
      Array.from({ length: 11 }, (_, i) => [i + 1, i + 1]),
    );
    assert.deepEqual(await server.rows('SELECT * FROM car', db, 's'), [
      { time: 12, engine: '12V-BT', speed: 125.25, type: 'sport-cars' },
    ]);
    assert.deepEqual(await server.rows("SELECT level, place FROM h2o_feet WHERE place = 'coyote_creek'", db, 's'), [
      { time: 13, level: 13, place: 'coyote_creek' },
    ]);
    await writer.close();
    await client.close();
  });

  it('Client.write and sessions take the same records as the WriteApi', async () => {
    const db = await freshDatabase();
    const client = new Client(server.dsn(db), { precision: 's' });
    await client.write(new Point('same').floatField('v', 1).time(1));
    await client.write([new Point('same').floatField('v', 2).time(2), 'same v=3 3']);
    await client.write(Buffer.from('same v=4 4'));
    const session = client.session();
    await session.write(new Point('same').floatField('v', 5).time(5));
    await session.write({ v: 6, at: 6 }, { measurementName: 'same', timeKey: 'at' });
    await session.write('same', { v: 7, timestamp: 7 });
    await session.commit();
    assert.deepEqual(
      (await server.rows('SELECT v FROM same', db, 's')).map((row) => [row.time, row.v]),
      [1, 2, 3, 4, 5, 6, 7].map((n) => [n, n]),
    );
    await client.close();
  });

  it('write(good, bad, good): the good records are written and the bad one fails alone, named; the write API logs nothing', async () => {
    const db = await freshDatabase();
    const client = new Client(server.dsn(db), { precision: 's' });
    const logged: unknown[] = [];
    const console_error = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      // Batching, with onError: told of the bad record, with no lines.
      const told: Array<[string, number]> = [];
      const batching = client.writeApi({
        flushInterval: 10,
        onError: (error, lines) => told.push([error.message, lines.length]),
      });
      await batching.write('good v=1 1', 'bad v= 2', 'good v=3 3');
      await batching.close();
      assert.equal(told.length, 1);
      assert.match(told[0]?.[0] ?? '', /^records\[1\]: line 1 is not line protocol: field "v" has value ""/);
      assert.equal(told[0]?.[1], 0);
      // SYNCHRONOUS: the good ones written, then the call rejects, naming the bad one.
      const synchronous = client.writeApi(WriteOptions.SYNCHRONOUS);
      await assert.rejects(
        synchronous.write(
          new Point('good').floatField('v', 5).time(5),
          { measurement: 'good', fields: { v: Number.NaN }, time: 6 },
          'good v=7 7',
        ),
        (error: unknown) => error instanceof InvalidMeasurementException && /^records\[1\]: field "v" is NaN/.test(error.message),
      );
      await synchronous.close();
      // Batching without onError: the next flush rejects with what failed; the good ones are written.
      const quiet = client.writeApi({ flushInterval: 10 });
      await quiet.write('good v=8 8', 'good v=', 'good v=9 9');
      await assert.rejects(
        quiet.flush(),
        (error: unknown) =>
          error instanceof InvalidMeasurementException && /^records\[1\]: line 1 is not line protocol/.test(error.message),
      );
      await quiet.close();
      await assert.rejects(quiet.write('good v=10 10'), ClientClosedException);
      assert.deepEqual(
        (await server.rows('SELECT v FROM good', db, 's')).map((row) => row.v),
        [1, 3, 5, 7, 8, 9],
      );
      assert.deepEqual(logged, [], 'nothing on the console');
    } finally {
      console.error = console_error;
      await client.close();
    }
  });

  it('a bad line fails alone, named by its number; a class instance without keys says what to give', async () => {
    const db = await freshDatabase();
    const client = new Client(server.dsn(db), { precision: 's' });
    await assert.rejects(
      client.writeLines('a b=1 1\nc d= 2\n'),
      (error: Error) =>
        error instanceof InvalidMeasurementException &&
        /^records\[0\]: line 2 is not line protocol: field "d" has value ""/.test(error.message),
    );
    await assert.rejects(
      client.write('sensor temp=23.3 1700000000x'),
      /line 1 is not line protocol: the time "1700000000x" is not a whole number/,
    );
    await client.write('sensor temp=23.3 1700000000');
    assert.deepEqual(await server.rows('SELECT * FROM sensor', db, 's'), [{ time: 1_700_000_000, temp: 23.3 }]);
    const writer = client.writeApi(WriteOptions.SYNCHRONOUS);
    await assert.rejects(
      writer.write(new Car('x', 'y', 1, new Date())),
      /records\[0\]: an object of class Car is not a record: .*measurementName, tagKeys, fieldKeys, timeKey/,
    );
    await writer.close();
    await client.close();
  });
});
