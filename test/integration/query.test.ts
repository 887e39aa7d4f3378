import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, DatabaseNotFoundException, QueryFailedException } from '../../src';
import { InfluxServer } from '../support/influxd';

let server: InfluxServer;
let client: Client;

before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase('q');
  await server.rawWrite(
    'q',
    [
      'temperatures,location=groningen,sensor_type=ni1000 value=21.3 1475845863000000000',
      'temperatures,location=groningen,sensor_type=ni1000 value=20.1 1475848864000000000',
      'temperatures,location=amsterdam,sensor_type=pt100 value=19.5 1475848864123456789',
      'counters,host=a n=9223372036854775807i,small=42i 1475845863000000001',
      'odd,__proto__=tag constructor=1,toString=2 1475845863000000000',
    ].join('\n'),
  );
  client = new Client(server.dsn('q'));
});
after(async () => {
  await client.close();
  await server.stop();
});

describe('query', () => {
  it('reshapes rows to [{ name, values: [{ time, ...columns }] }] with epoch (the Inflow example query_measurements_unix)', async () => {
    const results = await client.query('SELECT * FROM "temperatures" WHERE location = \'groningen\'', { epoch: 's' });
    assert.deepEqual(results, [
      {
        name: 'temperatures',
        values: [
          { time: 1475845863, location: 'groningen', sensor_type: 'ni1000', value: 21.3 },
          { time: 1475848864, location: 'groningen', sensor_type: 'ni1000', value: 20.1 },
        ],
      },
    ]);
  });

  it('gives RFC3339 times without epoch (the Inflow example query_measurements)', async () => {
    const results = await client.query('SELECT value FROM "temperatures" WHERE location = \'amsterdam\'');
    assert.deepEqual(results, [{ name: 'temperatures', values: [{ time: '2016-10-07T14:01:04.123456789Z', value: 19.5 }] }]);
  });

  it('keeps the tags of GROUP BY series', async () => {
    const results = await client.query('SELECT max(value) FROM temperatures GROUP BY location', { epoch: 'ms' });
    assert.deepEqual(results, [
      { name: 'temperatures', tags: { location: 'amsterdam' }, values: [{ time: 1475848864123, max: 19.5 }] },
      { name: 'temperatures', tags: { location: 'groningen' }, values: [{ time: 1475845863000, max: 21.3 }] },
    ]);
  });

  it('returns nanosecond times exactly, as bigints, with epoch ns', async () => {
    const results = await client.query("SELECT value FROM temperatures WHERE location = 'amsterdam'", { epoch: 'ns' });
    assert.deepEqual(results[0]?.values, [{ time: 1475848864123456789n, value: 19.5 }]);
  });

  it('returns int64 fields beyond 2^53 exactly, as bigints, and small ones as numbers', async () => {
    const results = await client.query('SELECT n, small FROM counters', { epoch: 'ns' });
    assert.deepEqual(results[0]?.values, [{ time: 1475845863000000001n, n: 9223372036854775807n, small: 42 }]);
  });

  for (const epoch of ['h', 'm', 's', 'ms', 'u'] as const) {
    it(`converts times with epoch ${epoch}`, async () => {
      const results = await client.query("SELECT value FROM temperatures WHERE location = 'amsterdam'", { epoch });
      const perUnit = { h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, u: 1000n }[epoch];
      assert.equal(results[0]?.values[0]?.time, Number(1475848864123456789n / perUnit));
    });
  }

  it('binds parameters, so input cannot change the query', async () => {
    const bound = await client.query('SELECT value FROM temperatures WHERE location = $where AND value > $min', {
      epoch: 's',
      params: { where: 'groningen', min: 20.5 },
    });
    assert.deepEqual(bound, [{ name: 'temperatures', values: [{ time: 1475845863, value: 21.3 }] }]);
    const injected = await client.query('SELECT value FROM temperatures WHERE location = $where', {
      params: { where: "groningen' OR location = 'amsterdam" },
    });
    assert.deepEqual(injected, []);
  });

  it('returns the series of every statement in order', async () => {
    const results = await client.query('SELECT count(value) FROM temperatures; SELECT count(n) FROM counters', { epoch: 's' });
    assert.deepEqual(results, [
      { name: 'temperatures', values: [{ time: 0, count: 3 }] },
      { name: 'counters', values: [{ time: 0, count: 1 }] },
    ]);
  });

  it('returns an empty list when nothing matches', async () => {
    assert.deepEqual(await client.query('SELECT * FROM nothing_here'), []);
  });

  it('runs SHOW and writing statements (POST), and takes a database per query', async () => {
    await client.query('CREATE DATABASE other_db');
    const databases = await client.query('SHOW DATABASES');
    assert.ok(databases[0]?.values.some((row) => row.name === 'other_db'));
    await server.rawWrite('other_db', 'm v=1 1');
    assert.deepEqual(await client.query('SELECT * FROM m', { database: 'other_db', epoch: 'ns' }), [
      { name: 'm', values: [{ time: 1n, v: 1 }] },
    ]);
  });

  it('raises an error reported inside a 200 answer: database not found', async () => {
    await assert.rejects(client.query('SELECT * FROM m', { database: 'nodb' }), (error: unknown) => {
      assert.ok(error instanceof DatabaseNotFoundException);
      assert.match(error.message, /database not found: nodb/);
      return true;
    });
  });

  it('raises when a later statement fails, though the first succeeded', async () => {
    await assert.rejects(client.query('SELECT * FROM temperatures; SELECT * FROM nodb..m'), (error: unknown) => {
      assert.ok(error instanceof DatabaseNotFoundException);
      assert.match(error.message, /statement 1/);
      return true;
    });
  });

  it("raises QueryFailedException with the server's words for bad InfluxQL and missing parameters", async () => {
    await assert.rejects(client.query('SELEC * FROM temperatures'), (error: unknown) => {
      assert.ok(error instanceof QueryFailedException);
      assert.equal(error.code, 'QueryFailedException');
      assert.equal(error.status, 400);
      assert.match(error.message, /error parsing query: found SELEC, expected SELECT/);
      return true;
    });
    await assert.rejects(client.query('SELECT * FROM temperatures WHERE location = $where'), /missing parameter: where/);
  });

  it('returns the raw answer on request', async () => {
    const raw = await client.queryRaw("SELECT value FROM temperatures WHERE location = 'amsterdam'", { epoch: 'ns' });
    assert.deepEqual(raw.results, [
      { statement_id: 0, series: [{ name: 'temperatures', columns: ['time', 'value'], values: [[1475848864123456789n, 19.5]] }] },
    ]);
  });

  it('refuses an empty query and an unknown epoch before asking the server', async () => {
    await assert.rejects(client.query('  '), /the query is empty/);
    await assert.rejects(client.query('SELECT 1', { epoch: 'us' as never }), /epoch "us" is not one of h, m, s, ms, u, ns/);
  });

  it('keeps every column the server sent, those named __proto__, constructor or toString too', async () => {
    const [series] = await client.query('SELECT * FROM odd', { epoch: 's' });
    const row = series?.values[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(row), ['time', '__proto__', 'constructor', 'toString']);
    assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 'tag');
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.equal(JSON.stringify(row), '{"time":1475845863,"__proto__":"tag","constructor":1,"toString":2}');
  });
});
