/**
 * inflow out matching the server's field types, and its choice for values InfluxDB cannot store, with a
 * Function node building the payload and a real influxd (1.6) whose fields were made by a raw
 * line-protocol write, as Telegraf or a script makes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { helper, loadFunctionFlow, statusTexts, waitFor, warningsOf, type Message } from '../support/flows';
import { InfluxServer, WRITER } from '../support/influxd';
import { server, useOutServer } from '../support/out-flows';
import { FaultProxy } from '../support/proxy';

useOutServer();

let counter = 0;
const T = 1_700_000_000_000;

async function database(): Promise<string> {
  const db = `types_${++counter}`;
  await server.createDatabase(db);
  return db;
}

/** SHOW FIELD KEYS of a measurement, as [field, type] pairs. */
async function fieldTypes(db: string, measurement = 'reading'): Promise<unknown[]> {
  const answer = await server.rawQuery(`SHOW FIELD KEYS FROM "${measurement.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`, {
    db,
  });
  return answer.results[0]?.series?.[0]?.values ?? [];
}

/** A Function node (`func`) into inflow out on `dsn`; triggers it once and waits for `messages` messages to end. */
async function run(
  dsn: string,
  func: string,
  messages: number,
  out: Record<string, unknown> = {},
): Promise<{ caught: Message[]; completed: Message[] }> {
  const watchers = await loadFunctionFlow({ dsn, retentionPolicy: '' }, func, { out });
  helper.getNode('fn').receive({ payload: '' });
  await waitFor(() => watchers.caught.length + watchers.completed.length === messages, `${messages} message(s) to end`);
  return watchers;
}

const errorOf = (msg: Message | undefined): { message: string; code: string } => msg?.error as { message: string; code: string };

describe("inflow out: the server's field types", () => {
  it('a whole number from a Function node is written as an integer to a field the server holds as one', async () => {
    const db = await database();
    await server.rawWrite(db, `reading count=1i,ratio=0.5 ${T - 1000}`, 'ms');
    const { caught, completed } = await run(
      server.dsn(db),
      `msg.payload = { count: 21, ratio: 2, timestamp: ${T} }; return msg;`,
      1,
    );
    assert.deepEqual(caught, []);
    assert.equal(completed.length, 1);
    assert.deepEqual(await fieldTypes(db), [
      ['count', 'integer'],
      ['ratio', 'float'],
    ]);
    const answer = await server.rawQuery(`SELECT count, ratio FROM reading WHERE time = ${T}ms`, { db, epoch: 'ms' });
    assert.deepEqual(answer.results[0]?.series?.[0]?.values, [[T, 21, 2]]);
  });

  it("without matching, the same message is refused with the server's field type conflict", async () => {
    const db = await database();
    await server.rawWrite(db, `reading count=1i ${T - 1000}`, 'ms');
    const { caught } = await run(server.dsn(db), `msg.payload = { count: 21, timestamp: ${T} }; return msg;`, 1, {
      matchFieldTypes: false,
    });
    assert.match(errorOf(caught[0]).message, /field type conflict/);
  });

  it('21.5 for an integer field fails its message alone, naming the field, its type and the value', async () => {
    const db = await database();
    await server.rawWrite(db, `reading count=1i ${T - 1000}`, 'ms');
    const { caught, completed } = await run(
      server.dsn(db),
      `return [[{ payload: { count: 21.5, timestamp: ${T} } }, { payload: { count: 22, timestamp: ${T + 1} } }]];`,
      2,
      { autocommitEvery: 2, flushInterval: 1000 },
    );
    assert.equal(completed.length, 1);
    assert.equal(caught.length, 1);
    const error = errorOf(caught[0]);
    assert.equal(error.code, 'InvalidMeasurementException');
    assert.match(
      error.message,
      /field "count" of measurement "reading" is an integer in the database, and 21\.5 is not a whole number/,
    );
    assert.deepEqual(
      (await server.rows('SELECT count FROM reading', db, 'ms')).map((row) => [row.time, row.count]),
      [
        [T - 1000, 1],
        [T + 1, 22],
      ],
    );
  });

  it('a field changed on the server between two writes is picked up after one conflict, and the message written once', async () => {
    const db = await database();
    await server.rawWrite(db, `reading count=1i ${T - 1000}`, 'ms');
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const { completed } = await run(proxy.dsn(db), `msg.payload = { count: 21, timestamp: ${T} }; return msg;`, 1);
      assert.equal(completed.length, 1);
      // Made anew by something else, its field now a float.
      await server.rawQuery(`DROP DATABASE ${db}`);
      await server.createDatabase(db);
      await server.rawWrite(db, `reading count=1.5 ${T - 1000}`, 'ms');
      const writesBefore = proxy.requests.filter((request) => request.url.startsWith('/write')).length;
      helper.getNode('fn').receive({ payload: '' });
      await waitFor(() => completed.length === 2, 'the second message to complete');
      const writes = proxy.requests.filter((request) => request.url.startsWith('/write')).length - writesBefore;
      assert.equal(writes, 2, 'the refused request, and the one with the types read again');
      assert.deepEqual(await fieldTypes(db), [['count', 'float']]);
      assert.deepEqual(
        (await server.rows('SELECT count FROM reading', db, 'ms')).map((row) => [row.time, row.count]),
        [
          [T - 1000, 1.5],
          [T, 21],
        ],
      );
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  it('the types are read once per measurement and target, never once per message', async () => {
    const db = await database();
    const other = await database();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const { completed } = await run(
        proxy.dsn(db),
        `const out = [];
         for (let i = 0; i < 100; i++)
           out.push({ measurement: i % 2 ? 'a' : 'b', database: i % 4 < 2 ? ${JSON.stringify(db)} : ${JSON.stringify(other)}, payload: { v: i, timestamp: ${T} + i } });
         return [out];`,
        100,
        { autocommitEvery: 10, flushInterval: 100 },
      );
      assert.equal(completed.length, 100);
      // The client POSTs queries (their text in the body); the config node's own checks are GETs.
      const schemaQueries = proxy.requests.filter((request) => request.method === 'POST' && request.url.startsWith('/query'));
      assert.equal(schemaQueries.length, 4);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  it('thousands of measurements: one query each, 1,000 kept per node; every point written', async () => {
    const db = await database();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const { caught, completed } = await run(
        proxy.dsn(db),
        `return [[
           { payload: Array.from({ length: 3000 }, (_, i) => ({ measurement: 'm' + i, fields: { v: i }, timestamp: ${T} })) },
         ]];`,
        1,
      );
      assert.deepEqual(caught, []);
      assert.equal(completed.length, 1);
      const schemaQueries = (): number =>
        proxy.requests.filter((request) => request.method === 'POST' && request.url.startsWith('/query')).length;
      await waitFor(() => schemaQueries() === 3000, 'a query for each measurement');
      const [row] = await server.rows('SELECT count(v) FROM /^m\\d+$/', db);
      assert.equal(row?.count, 1);
      assert.equal((await server.rawQuery('SHOW MEASUREMENTS', { db })).results[0]?.series?.[0]?.values?.length, 3000);
      // The newest 1,000 are kept: m2999 is asked for no more, m0 again.
      helper.getNode('out').receive({ measurement: 'm2999', payload: 1 });
      helper.getNode('out').receive({ measurement: 'm0', payload: 1 });
      await waitFor(() => completed.length === 3, 'both messages to complete');
      assert.equal(schemaQueries(), 3001);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  it('measurement and field names with quotes, backslashes, commas, spaces and = are quoted in the query and matched', async () => {
    const db = await database();
    // measurement: back\slash "q", a=b   field: n "x",y=z
    await server.rawWrite(db, `back\\slash\\ "q"\\,\\ a=b n\\ "x"\\,y\\=z=1i ${T - 1000}`, 'ms');
    const measurement = 'back\\slash "q", a=b';
    assert.deepEqual(await fieldTypes(db, measurement), [['n "x",y=z', 'integer']]);
    const { caught, completed } = await run(
      server.dsn(db),
      `msg.measurement = ${JSON.stringify(measurement)}; msg.payload = { 'n "x",y=z': 21, timestamp: ${T} }; return msg;`,
      1,
    );
    assert.deepEqual(caught, []);
    assert.equal(completed.length, 1);
    assert.deepEqual(await fieldTypes(db, measurement), [['n "x",y=z', 'integer']]);
  });

  it('a schema query that never answers: the writes go on as floats after the bound, with one warning', async () => {
    const db = await database();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    proxy.inject({ path: '/query', delayMs: 4000 });
    try {
      const watchers = await loadFunctionFlow(
        { dsn: proxy.dsn(db), retentionPolicy: '', timeout: 1000 },
        `return [[{ payload: { v: 1, timestamp: ${T} } }, { payload: { v: 2, timestamp: ${T + 1} } }]];`,
        { out: { autocommitEvery: 1 } },
      );
      helper.getNode('fn').receive({ payload: '' });
      await waitFor(() => watchers.completed.length === 2, 'both messages to complete', 10_000);
      assert.deepEqual(watchers.caught, []);
      const warnings = warningsOf('out').filter((text) => text.includes('field types'));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /could not read the field types of measurement "reading".*1000 ms/);
      assert.deepEqual(await fieldTypes(db), [['v', 'float']]);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  it('a schema query answered with garbage: the writes go on, with one warning', async () => {
    const db = await database();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    proxy.inject({
      path: '/query',
      respond: {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"results":[{"series":[{"columns":["x"],"values":[[1]]}]}]}',
      },
    });
    try {
      const { caught, completed } = await run(
        proxy.dsn(db),
        `return [[{ payload: { v: 1, timestamp: ${T} }, measurement: 'a' }, { payload: { v: 2, timestamp: ${T} }, measurement: 'b' }]];`,
        2,
      );
      assert.deepEqual(caught, []);
      assert.equal(completed.length, 2);
      assert.equal(warningsOf('out').filter((text) => text.includes('field types')).length, 1);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });
});

describe('inflow out: credentials that may write but not read', () => {
  let secured: InfluxServer;
  before(async () => {
    secured = await InfluxServer.start({ auth: true });
  });
  after(async () => {
    await secured.stop();
  });

  it('write as without matching, with one warning that says the credentials may not read the types', async () => {
    await secured.rawWrite('authdb', `reading count=1.5 ${T - 1000}`, 'ms');
    const watchers = await loadFunctionFlow(
      { dsn: secured.dsn('authdb'), retentionPolicy: '' },
      `return [[{ payload: { count: 2, timestamp: ${T} } }, { payload: { count: 3, timestamp: ${T + 1} } }]];`,
      { credentials: { cfg: { username: WRITER.username, password: WRITER.password } } },
    );
    helper.getNode('fn').receive({ payload: '' });
    await waitFor(() => watchers.completed.length + watchers.caught.length === 2, 'both messages to end');
    assert.deepEqual(watchers.caught, []);
    const warnings = warningsOf('out').filter((text) => text.includes('field types'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /the credentials may not read the field types of measurement "reading"/);
    assert.doesNotMatch(warnings[0] ?? '', new RegExp(WRITER.password));
    await helper.unload();
  });
});

describe('inflow out: NaN, Infinity, objects and arrays as field values', () => {
  const func = `return [[
    { payload: { a: NaN, b: 1, timestamp: ${T} } },
    { payload: { a: Infinity, b: 2, c: { x: 1 }, d: [1], timestamp: ${T + 1} } },
    { payload: { a: -Infinity, timestamp: ${T + 2} } },
  ]];`;

  it('refused by default: each message fails naming the field', async () => {
    const db = await database();
    const { caught, completed } = await run(server.dsn(db), func, 3);
    assert.equal(completed.length, 0);
    assert.deepEqual(
      caught.map((msg) => errorOf(msg).message),
      [
        'msg.payload: field "a" is NaN, which InfluxDB cannot store',
        'msg.payload: field "a" is Infinity, which InfluxDB cannot store',
        'msg.payload: field "a" is -Infinity, which InfluxDB cannot store',
      ],
    );
    assert.deepEqual(await server.rows('SELECT * FROM reading', db, 'ms'), []);
  });

  it('left out with "leave the field out": the points are written without them, counted on the status; a point left with none fails', async () => {
    const db = await database();
    const { caught, completed } = await run(server.dsn(db), func, 3, { invalidValues: 'omit' });
    assert.equal(completed.length, 2);
    assert.equal(caught.length, 1);
    assert.equal(errorOf(caught[0]).code, 'InvalidMeasurementException');
    assert.match(
      errorOf(caught[0]).message,
      /has no field to write \(null and undefined fields are left out, and one that InfluxDB cannot store/,
    );
    assert.deepEqual(
      (await server.rows('SELECT * FROM reading', db, 'ms')).map((row) => [row.time, row.b]),
      [
        [T, 1],
        [T + 1, 2],
      ],
    );
    assert.deepEqual(await fieldTypes(db), [['b', 'float']]);
    await waitFor(
      () => statusTexts(helper.getNode('out')).some((text) => text.endsWith(', 4 fields left out')),
      'the status to count 4 fields',
    );
  });
});
