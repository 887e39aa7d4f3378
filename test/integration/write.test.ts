import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Measurement, type ClientOptions } from '../../src';
import { InfluxServer } from '../support/influxd';
import { FaultProxy } from '../support/proxy';

let server: InfluxServer;
let counter = 0;

/** A fresh database and a client on it, so every test reads back only its own points. */
async function fresh(options: ClientOptions = {}): Promise<{ client: Client; db: string }> {
  const db = `write_${++counter}`;
  await server.createDatabase(db);
  return { client: new Client(server.dsn(db), options), db };
}

before(async () => {
  server = await InfluxServer.start();
});
after(async () => {
  await server.stop();
});

describe('write, read back over plain HTTP', () => {
  it('one value, time stamped now by the client (the Inflow example single_write)', async () => {
    const { client, db } = await fresh();
    const before = Math.floor(Date.now() / 1000);
    await client.write('temperature', { value: 21.3 });
    const rows = await server.rows('SELECT * FROM temperature', db, 's');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.value, 21.3);
    const time = rows[0]?.time as number;
    assert.ok(time >= before && time <= Math.floor(Date.now() / 1000) + 1, `time ${time}`);
    await client.close();
  });

  it('tags, value and timestamp (the Inflow example single_write_more)', async () => {
    const { client, db } = await fresh();
    await client.write('temperature', {
      tags: { location: 'groningen', sensor_type: 'ni1000' },
      value: 21.3,
      timestamp: 1475845863,
    });
    assert.deepEqual(await server.rows('SELECT * FROM temperature GROUP BY *', db, 's'), [
      { time: 1475845863, value: 21.3, location: 'groningen', sensor_type: 'ni1000' },
    ]);
    await client.close();
  });

  it('a list of Measurements (the Inflow example write_multiple_verbose)', async () => {
    const { client, db } = await fresh();
    const tags = { location: 'groningen', sensor_type: 'ni1000' };
    await client.write([
      new Measurement({ name: 'temperature', tags, value: 21.3, timestamp: 1475845863 }),
      new Measurement({ name: 'temperature', tags, value: 20.1, timestamp: 1475848864 }),
    ]);
    assert.deepEqual(await server.rows('SELECT * FROM temperature GROUP BY *', db, 's'), [
      { time: 1475845863, value: 21.3, ...tags },
      { time: 1475848864, value: 20.1, ...tags },
    ]);
    await client.close();
  });

  it('a template and rows (the Inflow example write_multiple_succinct)', async () => {
    const { client, db } = await fresh();
    await client.write({ name: 'temperature', tags: { location: 'groningen', sensor_type: 'ni1000' } }, [
      { value: 21.3, timestamp: 1475845863 },
      { value: 20.1, timestamp: 1475848864 },
      { tags: { sensor_type: 'pt100' }, value: 19.5, timestamp: 1475848864 },
    ]);
    assert.deepEqual(await server.rows('SELECT * FROM temperature GROUP BY *', db, 's'), [
      { time: 1475845863, value: 21.3, location: 'groningen', sensor_type: 'ni1000' },
      { time: 1475848864, value: 20.1, location: 'groningen', sensor_type: 'ni1000' },
      { time: 1475848864, value: 19.5, location: 'groningen', sensor_type: 'pt100' },
    ]);
    await client.close();
  });

  it('several fields at once (the Inflow example write_multiple_values)', async () => {
    const { client, db } = await fresh();
    await client.write('temperature', { timestamp: 1475846182, lower_sensor: 20.9, upper_sensor: 23.2 });
    assert.deepEqual(await server.rows('SELECT * FROM temperature', db, 's'), [
      { time: 1475846182, lower_sensor: 20.9, upper_sensor: 23.2 },
    ]);
    await client.close();
  });

  it('the dict form of InfluxData clients', async () => {
    const { client, db } = await fresh();
    await client.write([{ measurement: 'cpu', tags: { host: 'a' }, fields: { idle: 0.5, busy: 2n }, time: 10 }]);
    assert.deepEqual(await server.rows('SELECT * FROM cpu GROUP BY *', db, 's'), [{ time: 10, busy: 2, idle: 0.5, host: 'a' }]);
    await client.close();
  });

  it('ms precision takes ms timestamps (the Inflow example different_precision)', async () => {
    const { client, db } = await fresh({ precision: 'ms' });
    await client.write('temperature', { value: 21.3, timestamp: 1476191999000 });
    assert.deepEqual(await server.rows('SELECT * FROM temperature', db, 'ms'), [{ time: 1476191999000, value: 21.3 }]);
    await client.close();
  });

  for (const precision of ['h', 'm', 's', 'ms', 'u', 'ns'] as const) {
    it(`a Date and an RFC3339 string land at the same exact time at precision ${precision}`, async () => {
      const { client, db } = await fresh({ precision });
      await client.write('a', { v: 1, timestamp: new Date('2016-10-07T13:11:03.123Z') });
      await client.write('b', { v: 1, timestamp: '2016-10-07T13:11:03.123456789Z' });
      const unitNs = { h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, u: 1000n, ns: 1n }[
        precision
      ];
      const raw = await server.rawQuery('SELECT * FROM a; SELECT * FROM b', { db });
      const times = raw.results.map((result) => Date.parse(String(result.series?.[0]?.values[0]?.[0])));
      const truncate = (ns: bigint) => Number(((ns / unitNs) * unitNs) / 1_000_000n);
      assert.equal(times[0], truncate(1475845863123000000n));
      // RFC3339 times from the server have ns digits; compare the exact text too.
      const text = String(raw.results[1]?.series?.[0]?.values[0]?.[0]);
      const expectedNs = (1475845863123456789n / unitNs) * unitNs;
      const seconds = expectedNs / 1_000_000_000n;
      const fraction = (expectedNs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
      assert.equal(text, `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`);
      await client.close();
    });
  }

  it('many points stamped now at ns precision stay distinct: none overwrites another', async () => {
    const { client, db } = await fresh({ precision: 'ns' });
    const session = client.session();
    for (let i = 0; i < 2000; i++) await session.write('burst', { v: i });
    await session.commit();
    const rows = await server.rows('SELECT count(v) FROM burst', db);
    assert.equal(rows[0]?.count, 2000);
    await client.close();
  });

  it('integers, floats, booleans and strings keep their types; whole numbers do not conflict with floats', async () => {
    const { client, db } = await fresh();
    await client.write('t', { timestamp: 1, f: 21, i: 42n, b: true, s: 'on "fire" \\o/' });
    await client.write('t', { timestamp: 2, f: 21.5, i: -9_223_372_036_854_775_808n, b: false, s: '' });
    const keys = await server.rawQuery('SHOW FIELD KEYS FROM t', { db });
    assert.deepEqual(keys.results[0]?.series?.[0]?.values, [
      ['b', 'boolean'],
      ['f', 'float'],
      ['i', 'integer'],
      ['s', 'string'],
    ]);
    assert.deepEqual(await server.rows('SELECT * FROM t', db, 's'), [
      { time: 1, b: true, f: 21, i: 42, s: 'on "fire" \\o/' },
      { time: 2, b: false, f: 21.5, i: -9223372036854775808, s: '' },
    ]);
    await client.close();
  });

  it('per-client retention policy (the Inflow example explicit_retention_policy)', async () => {
    const db = `write_${++counter}`;
    await server.createDatabase(db);
    await server.rawQuery(`CREATE RETENTION POLICY rp_four_weeks ON ${db} DURATION 4w REPLICATION 1`);
    const client = new Client(server.dsn(db), { retentionPolicy: 'rp_four_weeks' });
    await client.write('temperature', { value: 21.3, timestamp: Math.floor(Date.now() / 1000) });
    assert.equal((await server.rows('SELECT * FROM rp_four_weeks.temperature', db)).length, 1);
    assert.equal((await server.rows('SELECT * FROM autogen.temperature', db)).length, 0);
    await client.close();
  });

  it('per-write retention policy overrides the client one (the Inflow example single_write_retention_policy)', async () => {
    const db = `write_${++counter}`;
    await server.createDatabase(db);
    await server.rawQuery(`CREATE RETENTION POLICY rp_four_weeks ON ${db} DURATION 4w REPLICATION 1`);
    await server.rawQuery(`CREATE RETENTION POLICY rp_one_week ON ${db} DURATION 1w REPLICATION 1`);
    const client = new Client(server.dsn(db), { retentionPolicy: 'rp_one_week' });
    await client.write('temperature', { value: 21.3 }, { retentionPolicy: 'rp_four_weeks' });
    assert.equal((await server.rows('SELECT * FROM rp_four_weeks.temperature', db)).length, 1);
    assert.equal((await server.rows('SELECT * FROM rp_one_week.temperature', db)).length, 0);
    await client.close();
  });

  it('per-write database routes a write elsewhere', async () => {
    const { client } = await fresh();
    const other = `write_${++counter}`;
    await server.createDatabase(other);
    await client.write('routed', { v: 1, timestamp: 5 }, { database: other });
    assert.deepEqual(await server.rows('SELECT * FROM routed', other, 's'), [{ time: 5, v: 1 }]);
    await client.close();
  });

  it('a large write is gzipped and lands whole', async () => {
    const { client, db } = await fresh({ gzipThreshold: 1000 });
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ tags: { sensor: `s${i % 7}` }, v: i, timestamp: i + 1 }));
    await client.write({ name: 'bulk' }, rows);
    const count = await server.rows('SELECT count(v) FROM bulk', db);
    assert.equal(count[0]?.count, 20_000);
    await client.close();
  });

  it('an empty list sends nothing and succeeds', async () => {
    const { db } = await fresh();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const client = new Client(`http://127.0.0.1:${proxy.port}/${db}`, { api: '1' });
    try {
      await client.write([]);
      assert.deepEqual(
        proxy.requests.map((request) => `${request.method} ${request.url}`),
        [],
        'no request at all',
      );
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('keeps the sign of -0, which InfluxDB stores as sent', async () => {
    const { client, db } = await fresh();
    await client.write('delta', { value: -0, timestamp: 1 });
    const rows = await server.rows('SELECT value FROM delta', db, 's');
    assert.ok(Object.is(rows[0]?.value, -0), `read back ${String(rows[0]?.value)}, 1/value ${1 / (rows[0]?.value as number)}`);
    await client.close();
  });

  it('refuses a key over the limit of 65,535 bytes before sending it, and writes one just under', async () => {
    const { client, db } = await fresh();
    // The key is measurement, tags, "#!~#" and the field key: 65,530 + 4 + 1 bytes is the limit exactly.
    await client.write('x'.repeat(65_530), { v: 1, timestamp: 1 });
    await assert.rejects(client.write('y'.repeat(65_531), { v: 1, timestamp: 1 }), (error: Error) => {
      assert.equal(error.name, 'InvalidMeasurementException');
      assert.match(error.message, /field "v" makes a key of 65536 bytes .* over InfluxDB's limit of 65535/);
      return true;
    });
    await assert.rejects(client.write('m', { tags: { t: 'é'.repeat(33_000) }, v: 1 }), /makes a key of \d+ bytes/);
    const series = await server.rawQuery('SHOW MEASUREMENTS', { db });
    assert.deepEqual(
      series.results[0]?.series?.[0]?.values.map((row) => String(row[0]).length),
      [65_530],
    );
    await client.close();
  });

  it('refuses a number timestamp beyond 2^53, and writes the same time exactly as a bigint or a string of digits', async () => {
    const { client, db } = await fresh({ precision: 'ns' });
    await assert.rejects(client.write('t', { v: 1, timestamp: Number('1700000000123456789') }), (error: Error) => {
      assert.equal(error.name, 'InvalidMeasurementException');
      assert.match(error.message, /beyond 2\^53.*send it as a bigint .* or a string of digits/);
      return true;
    });
    await client.write('t', { v: 1, timestamp: 1_700_000_000_123_456_789n });
    await client.write('t', { v: 2, timestamp: '1700000000123456790' });
    const answer = await fetch(`${server.url}/query?db=${db}&epoch=ns&q=${encodeURIComponent('SELECT v FROM t')}`);
    const text = await answer.text();
    assert.match(text, /\[1700000000123456789,1\],\[1700000000123456790,2\]/);
    await client.close();
  });

  it('from a DSN alone, finds InfluxDB 1.x by its /ping, and says which version', async () => {
    const { client } = await fresh();
    const found = await client.detectServer();
    assert.equal(found.api, '1');
    assert.match(String(found.version), /^1\.6/);
    await client.close();
  });
});
