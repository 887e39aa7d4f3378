import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, ConnectionFailedException, InvalidMeasurementException } from '../../src';
import { InfluxServer } from '../support/influxd';

let server: InfluxServer;
let counter = 0;

async function freshDb(): Promise<string> {
  const db = `session_${++counter}`;
  await server.createDatabase(db);
  return db;
}

const count = async (db: string, measurement = 'temperature'): Promise<number> =>
  ((await server.rows(`SELECT count(value) FROM ${measurement}`, db))[0]?.count as number | undefined) ?? 0;

before(async () => {
  server = await InfluxServer.start();
});
after(async () => {
  await server.stop();
});

describe('session', () => {
  it('writes nothing until commit, then everything at once (the Inflow example sessions)', async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db));
    const session = client.session();
    await session.write('temperature', { value: 23.1, timestamp: 1475848864 });
    await session.write('temperature', { value: 25.0, timestamp: 1475849823 });
    assert.equal(session.pending, 2);
    assert.equal(await count(db), 0);
    await session.commit();
    assert.equal(session.pending, 0);
    assert.deepEqual(await server.rows('SELECT * FROM temperature', db, 's'), [
      { time: 1475848864, value: 23.1 },
      { time: 1475849823, value: 25 },
    ]);
    await client.close();
  });

  it('autocommits when autocommitEvery points are pending, and not before', async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db));
    const session = client.session({ autocommitEvery: 3 });
    await session.write('temperature', { value: 1, timestamp: 1 });
    await session.write('temperature', { value: 2, timestamp: 2 });
    assert.equal(await count(db), 0);
    await session.write('temperature', { value: 3, timestamp: 3 });
    assert.equal(await count(db), 3);
    assert.equal(session.pending, 0);
    await session.write({ name: 'temperature' }, [
      { value: 4, timestamp: 4 },
      { value: 5, timestamp: 5 },
      { value: 6, timestamp: 6 },
    ]);
    assert.equal(await count(db), 6);
    await client.close();
  });

  it("commits at the end of an await using scope (Inflow's context manager)", async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db));
    {
      await using session = client.session();
      await session.write('temperature', { value: 21.3, timestamp: 1 });
      assert.equal(await count(db), 0);
    }
    assert.equal(await count(db), 1);
    await client.close();
  });

  it('writes to its own retention policy and database', async () => {
    const db = await freshDb();
    const other = await freshDb();
    await server.rawQuery(`CREATE RETENTION POLICY rp ON ${other} DURATION 1w REPLICATION 1`);
    const client = new Client(server.dsn(db));
    const session = client.session({ retentionPolicy: 'rp', database: other });
    await session.write('temperature', { value: 1 });
    await session.commit();
    assert.equal((await server.rows('SELECT * FROM rp.temperature', other)).length, 1);
    assert.equal(await count(db), 0);
    const untypedWrite = session.write.bind(session) as (...args: unknown[]) => Promise<void>;
    await assert.rejects(
      untypedWrite('temperature', { value: 1 }, { retentionPolicy: 'x' }),
      /session writes every point to its own/,
    );
    await client.close();
  });

  it('rejects bad input at write, keeping what was pending', async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db));
    const session = client.session();
    await session.write('temperature', { value: 1, timestamp: 1 });
    await assert.rejects(session.write('temperature', { value: Number.NaN }), InvalidMeasurementException);
    assert.equal(session.pending, 1);
    await session.commit();
    assert.equal(await count(db), 1);
    await client.close();
  });

  it('keeps the points of a failed commit, and commits them when the server is back', async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db), { timeout: 2000 });
    const session = client.session();
    await session.write('temperature', { value: 1, timestamp: 1 });
    await session.write('temperature', { value: 2, timestamp: 2 });
    await server.halt();
    try {
      await assert.rejects(session.commit(), ConnectionFailedException);
      assert.equal(session.pending, 2);
      await session.write('temperature', { value: 3, timestamp: 3 });
    } finally {
      await server.resume();
    }
    await session.commit();
    assert.equal(session.pending, 0);
    assert.deepEqual(
      (await server.rows('SELECT * FROM temperature', db, 's')).map((row) => row.value),
      [1, 2, 3],
    );
    await client.close();
  });

  it('splits a large commit into requests of at most 5,000 points, all written', async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db), { precision: 'ms' });
    const session = client.session();
    const rows = Array.from({ length: 12_345 }, (_, i) => ({ value: i, timestamp: i + 1 }));
    await session.write({ name: 'temperature' }, rows);
    await session.commit();
    assert.equal(await count(db), 12_345);
    await client.close();
  });

  it('stamps points without time when they are written to the session, not at commit', async () => {
    const db = await freshDb();
    const client = new Client(server.dsn(db), { precision: 'ms' });
    const session = client.session();
    const before = Date.now();
    await session.write('temperature', { value: 1 });
    const after = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await session.commit();
    const time = (await server.rows('SELECT * FROM temperature', db, 'ms'))[0]?.time as number;
    assert.ok(time >= before && time <= after, `stamped ${time}, written between ${before} and ${after}`);
    await client.close();
  });

  it('refuses an autocommitEvery that is not a whole number above 0', () => {
    const client = new Client(server.dsn('x'));
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => client.session({ autocommitEvery: bad }), /autocommitEvery must be a whole number above 0/);
    }
    void client.close();
  });
});
