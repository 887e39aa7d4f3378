/**
 * inflow out meets users where they are: line protocol payloads (text, lines, a Buffer), msg.tags and
 * msg.precision, and node-red-contrib-influxdb's own shapes, written side by side with that package's
 * influxdb out node to the same real InfluxDB 1.6 and compared point for point.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { helper, inflowNodes, loadFunctionFlow, waitFor, watched, watchersOf, type Message } from '../support/flows';
import { InfluxServer } from '../support/influxd';

const functionNode: unknown = require('@node-red/nodes/core/function/10-function.js');
const influxdbNodes: unknown = require('node-red-contrib-influxdb/influxdb.js');

let server: InfluxServer;
let counter = 0;

before(async () => {
  server = await InfluxServer.start();
});
afterEach(() => helper.unload());
after(() => server?.stop());

/** Function node (building the payload) -> inflow out; resolves once every message is done or caught. */
async function run(func: string, out: Record<string, unknown>, messages: Message[]): Promise<{ db: string; caught: Message[] }> {
  const db = `fmt_${++counter}`;
  await server.createDatabase(db);
  const { caught, completed } = await loadFunctionFlow({ dsn: server.dsn(db) }, func, { out });
  for (const msg of messages) helper.getNode('fn').receive(msg);
  await waitFor(() => caught.length + completed.length === messages.length, 'every message done');
  return { db, caught };
}

describe('line protocol payloads', () => {
  it('text of many lines, with msg.tags merged in and msg.precision for its times', async () => {
    const { db, caught } = await run(
      `msg.payload = 'cpu,host=a usage=0.5 1700000000\\ncpu,host=b usage=0.7 1700000001\\n'; msg.tags = { site: 'roof', host: 'ignored' }; msg.precision = 's'; return msg;`,
      { payloadFormat: 'lineProtocol' },
      [{}],
    );
    assert.deepEqual(caught, []);
    assert.deepEqual(await server.rows('SELECT * FROM cpu', db, 'ms'), [
      { time: 1_700_000_000_000, host: 'a', site: 'roof', usage: 0.5 },
      { time: 1_700_000_001_000, host: 'b', site: 'roof', usage: 0.7 },
    ]);
  });

  it('a Buffer is line protocol in any format; a bad line fails its message alone, named by number', async () => {
    const { db, caught } = await run(
      `if (msg.bad) msg.payload = Buffer.from('ok v=1 1\\nbad v= 2'); else msg.payload = Buffer.from('ok v=' + msg.n + ' ' + msg.n); return msg;`,
      {},
      [{ n: 10 }, { bad: true }, { n: 11 }],
    );
    assert.equal(caught.length, 1);
    assert.match(
      String((caught[0]?.error as { message?: unknown }).message),
      /msg.payload, line 2, is not line protocol: field "v" has value ""/,
    );
    assert.deepEqual(
      (await server.rows('SELECT v FROM ok', db, 'ms')).map((row) => row.v),
      [10, 11],
    );
  });

  it('lines without a time are stamped as their message arrives: three of one series committed together stay three', async () => {
    const db = `fmt_${++counter}`;
    await server.createDatabase(db);
    const { caught, completed } = await loadFunctionFlow(
      { dsn: server.dsn(db) },
      `msg.payload = 'cpu,host=a usage=' + msg.n; return msg;`,
      { out: { payloadFormat: 'lineProtocol', autocommitEvery: 3, flushInterval: 0 } },
    );
    const sentAt: number[] = [];
    for (const n of [1, 2, 3]) {
      sentAt.push(Date.now());
      helper.getNode('fn').receive({ n });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await waitFor(() => caught.length + completed.length === 3, 'every message done');
    assert.deepEqual(caught, []);
    const rows = await server.rows('SELECT usage FROM cpu', db, 'ms');
    assert.deepEqual(
      rows.map((row) => row.usage),
      [1, 2, 3],
    );
    rows.forEach((row, index) => {
      const time = Number(row.time);
      assert.ok(
        time >= (sentAt[index] as number) && time < (sentAt[index] as number) + 30,
        `line ${index + 1} stamped at ${time}, sent at ${sentAt[index]}`,
      );
    });
  });

  it('number timestamps in msg.precision, converted to the server setting exactly', async () => {
    const { db } = await run(`msg.payload = { value: 1, timestamp: 1700000000123456 }; msg.precision = 'u'; return msg;`, {}, [
      {},
    ]);
    assert.deepEqual(await server.rows('SELECT value FROM reading', db, 'ms'), [{ time: 1_700_000_000_123, value: 1 }]);
  });
});

describe('settings from the environment', () => {
  it('${VAR} in the config node is filled in by Node-RED when the flows start', async () => {
    const db = `env_${++counter}`;
    await server.createDatabase(db);
    process.env.INFLOW_TEST_URL = server.dsn(db);
    process.env.INFLOW_TEST_TIMEOUT = '4000';
    await helper.load(inflowNodes, [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: '${INFLOW_TEST_URL}', precision: 'ms', timeout: '${INFLOW_TEST_TIMEOUT}' },
      {
        id: 'out',
        type: 'inflow out',
        z: 'tab',
        server: 'cfg',
        measurement: 'env',
        autocommitEvery: 1,
        flushInterval: 0,
        wires: [],
      },
      ...watchersOf('out'),
    ]);
    const { caught, completed } = watched();
    helper.getNode('out').receive({ payload: { value: 1, timestamp: 1_700_000_000_000 } });
    await waitFor(() => caught.length + completed.length === 1, 'the message done');
    assert.deepEqual(caught, []);
    assert.deepEqual(await server.rows('SELECT value FROM env', db, 'ms'), [{ time: 1_700_000_000_000, value: 1 }]);
    assert.equal((helper.getNode('cfg') as unknown as { client: { timeout: number } }).client.timeout, 4000);
  });
});

describe("node-red-contrib-influxdb's shapes, side by side with its own node", () => {
  const shapes: Array<[string, string]> = [
    [
      '[fields, tags]',
      `msg.payload = [{ temperature: 21.5, count: '3i', time: new Date(1700000000000 + msg.i) }, { room: 'hall' }];`,
    ],
    [
      'an array of [fields, tags]',
      `msg.payload = [[{ temperature: 20 + msg.i, time: new Date(1700000000000 + msg.i) }, { room: 'attic' }], [{ temperature: 30 + msg.i, time: new Date(1700000100000 + msg.i) }, { room: 'cellar' }]];`,
    ],
    ['an object of fields with a time', `msg.payload = { humidity: 40 + msg.i, time: new Date(1700000200000 + msg.i) };`],
    ['a value', `msg.payload = 12.5 + msg.i;`],
  ];

  for (const [shape, build] of shapes) {
    it(`${shape}: stored as influxdb out stores it`, async () => {
      const db = `side_${++counter}`;
      await server.createDatabase(db);
      await helper.load(
        [...inflowNodes, functionNode, influxdbNodes],
        [
          { id: 'tab', type: 'tab' },
          {
            id: 'theirs',
            type: 'influxdb',
            hostname: '127.0.0.1',
            port: String(server.port),
            protocol: 'http',
            database: db,
            name: '',
            usetls: false,
            tls: '',
            influxdbVersion: '1.x',
          },
          { id: 'ours', type: 'inflow-config', dsn: server.dsn(db), precision: 'ms', timeout: 5000 },
          {
            id: 'fnTheirs',
            type: 'function',
            z: 'tab',
            func: `${build} msg.measurement = 'theirs'; return msg;`,
            outputs: 1,
            wires: [['outTheirs']],
          },
          { id: 'fnOurs', type: 'function', z: 'tab', func: `${build} return msg;`, outputs: 1, wires: [['outOurs']] },
          {
            id: 'outTheirs',
            type: 'influxdb out',
            z: 'tab',
            influxdb: 'theirs',
            measurement: '',
            precision: 'ms',
            retentionPolicy: '',
            wires: [],
          },
          {
            id: 'outOurs',
            type: 'inflow out',
            z: 'tab',
            server: 'ours',
            measurement: 'ours',
            payloadFormat: 'influxdb',
            autocommitEvery: 1,
            flushInterval: 0,
            wires: [],
          },
          ...watchersOf('outOurs'),
        ],
      );
      const { caught, completed } = watched();
      helper.getNode('fnTheirs').receive({ i: 1 });
      helper.getNode('fnOurs').receive({ i: 1 });
      await waitFor(() => caught.length + completed.length === 1, 'our message done');
      assert.deepEqual(caught, []);
      let theirs: Array<Record<string, unknown>> = [];
      await waitFor(async () => (theirs = await server.rows('SELECT * FROM theirs', db, 'ms')).length > 0, 'their points');
      const ours = await server.rows('SELECT * FROM ours', db, 'ms');
      // A value stamped by the server has no time of the message's own: compare the rest.
      const comparable = (rows: Array<Record<string, unknown>>) =>
        rows.map((row) => (shape === 'a value' ? { ...row, time: 'now' } : row));
      assert.deepEqual(comparable(ours), comparable(theirs));
    });
  }
});
