/**
 * The nodes on every server kind, as a flow author sets them up: a Function node builds the payload,
 * inflow out writes it, inflow query reads it back in InfluxQL where the server has it. InfluxDB 2.x and
 * 3.x through their test servers, VictoriaMetrics for real. The config node finds the kind by itself
 * ('auto') or is told it, and its users' status says what it found and where they write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { collect, helper, loadFunctionFlow, statusTexts, waitFor, type Message } from '../support/flows';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';
import { VictoriaServer } from '../support/victoria';

const TOKEN = 'flow-token';
const T = 1_700_000_000_000;
let v2: InfluxDB2Server;
let v3: InfluxDB3Server;
let vm: VictoriaServer;

before(async () => {
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['sensors', 'garden'] });
  v3 = await InfluxDB3Server.start({ token: TOKEN });
  vm = await VictoriaServer.start();
});
afterEach(() => helper.unload());
after(async () => {
  await v2?.stop();
  await v3?.stop();
  await vm?.stop();
});

/** Function -> inflow out, and inflow query, on one config node; the watchers of inflow out. */
async function flow(
  config: Record<string, unknown>,
  func: string,
): Promise<{ caught: Message[]; completed: Message[]; results: Message[] }> {
  const watchers = await loadFunctionFlow(config, func, {
    more: [
      { id: 'query', type: 'inflow query', z: 'tab', server: 'cfg', query: '', epoch: 'ms', wires: [['results']] },
      { id: 'results', type: 'helper', z: 'tab' },
    ],
    credentials: { cfg: { token: TOKEN } },
  });
  return { ...watchers, results: collect(helper.getNode('results')) };
}

const connected = (pattern: RegExp): Promise<void> =>
  waitFor(() => statusTexts(helper.getNode('out')).some((text) => pattern.test(text)), `a status matching ${pattern}`, 5000);

describe('inflow out and inflow query on InfluxDB 2.x', () => {
  it('with "Create the database or bucket if missing", a bucket that is not there is made when the flows start, said on the status, and written to', async () => {
    const { completed, caught } = await flow(
      { dsn: v2.url, org: 'home', bucket: 'made-at-start', createTarget: true },
      `msg.payload = { temperature: 1, timestamp: ${T} }; return msg;`,
    );
    await connected(/^connected: InfluxDB 2\.9\.1, bucket made-at-start \(created\)$/);
    helper.getNode('fn').receive({});
    await waitFor(() => completed.length + caught.length === 1, 'the message done');
    assert.equal(caught.length, 0);
    assert.equal(v2.store.points('made-at-start', 'reading').length, 1);
  });

  it('without it, a bucket that is not there is named on the status, and nothing is made', async () => {
    await flow({ dsn: v2.url, org: 'home', bucket: 'not-made' }, 'return msg;');
    await connected(/^bucket not-made not found: create it, or tick "Create the database or bucket if missing"$/);
    assert.equal(v2.store.has('not-made'), false);
  });

  it("finds the server ('auto'), writes to the bucket, routes msg.bucket, and reads back in InfluxQL", async () => {
    const { completed, caught, results } = await flow(
      { dsn: v2.url, org: 'home', bucket: 'sensors' },
      `msg.payload = { temperature: msg.value, timestamp: ${T} + msg.value }; if (msg.value === 2) msg.bucket = 'garden'; return msg;`,
    );
    await connected(/^connected: InfluxDB 2\.9\.1, bucket sensors$/);
    for (const value of [1, 2, 3]) helper.getNode('fn').receive({ value });
    await waitFor(() => completed.length + caught.length === 3, 'three messages done');
    assert.equal(caught.length, 0);
    assert.deepEqual(
      v2.store.points('sensors', 'reading').map((point) => point.fields.temperature),
      [1, 3],
    );
    assert.deepEqual(
      v2.store.points('garden', 'reading').map((point) => [point.fields.temperature, point.time]),
      [[2, BigInt(T + 2) * 1_000_000n]],
    );
    helper.getNode('query').receive({ query: 'SELECT * FROM reading' });
    await waitFor(() => results.length === 1, 'the query results');
    assert.deepEqual(results[0]?.payload, [
      {
        name: 'reading',
        values: [
          { time: T + 1, temperature: 1 },
          { time: T + 3, temperature: 3 },
        ],
      },
    ]);
  });

  it('messages routed with msg.bucket while the server answers 503 are kept on disk and replayed into that bucket', async () => {
    const userDir = mkdtempSync(path.join(tmpdir(), 'inflow-routed-'));
    helper.settings({ userDir, inflowOutRetry: { firstDelay: 50, maxDelay: 100, jitter: 0 } });
    try {
      v2.http.failNext('/api/v2/write', 5, { status: 503, body: '{"code":"unavailable","message":"busy"}' });
      const { completed, caught } = await loadFunctionFlow(
        { dsn: v2.url, org: 'home', bucket: 'sensors', version: '2' },
        `msg.payload = { routed: msg.value, timestamp: ${T} + msg.value }; msg.bucket = 'garden'; return msg;`,
        { out: { spool: true, autocommitEvery: 20, flushInterval: 50 }, credentials: { cfg: { token: TOKEN } } },
      );
      for (let value = 0; value < 200; value++) helper.getNode('fn').receive({ value });
      await waitFor(() => completed.length + caught.length === 200, 'every message done');
      assert.equal(caught.length, 0);
      await waitFor(
        () => v2.store.points('garden', 'reading').filter((point) => 'routed' in point.fields).length === 200,
        'all 200 in garden',
        10_000,
      );
      assert.equal(
        v2.store.points('sensors', 'reading').filter((point) => 'routed' in point.fields).length,
        0,
        "none in the config node's bucket",
      );
    } finally {
      await helper.unload();
      helper.settings({ userDir: undefined, inflowOutRetry: undefined });
      rmSync(userDir, { recursive: true, force: true });
    }
  });

  it("a bucket that does not exist reaches the Catch node as a DatabaseNotFoundException, in the server's words", async () => {
    const { caught } = await flow({ dsn: v2.url, org: 'home', bucket: 'nowhere', version: '2' }, 'msg.payload = 1; return msg;');
    helper.getNode('fn').receive({});
    await waitFor(() => caught.length === 1, 'the error caught');
    const error = caught[0]?.error as { message: string; code?: string };
    assert.match(error.message, /bucket "nowhere" not found/);
    assert.equal(error.code, 'DatabaseNotFoundException');
  });
});

describe('inflow out and inflow query on InfluxDB 3', () => {
  it("finds the server ('auto') with the token, writes to the database, routes msg.database, and reads back", async () => {
    const { completed, caught, results } = await flow(
      { dsn: v3.url, database: 'sensors' },
      `msg.payload = { level: msg.value, timestamp: ${T} + msg.value }; if (msg.value === 2) msg.database = 'cellar'; return msg;`,
    );
    await connected(/^connected: InfluxDB 3\.5\.0 Core, db sensors \(made by the first write\)$/);
    for (const value of [1, 2, 3]) helper.getNode('fn').receive({ value });
    await waitFor(() => completed.length + caught.length === 3, 'three messages done');
    assert.equal(caught.length, 0);
    assert.deepEqual(
      v3.store.points('cellar', 'reading').map((point) => point.fields.level),
      [2],
    );
    helper.getNode('query').receive({ query: 'SELECT * FROM reading' });
    await waitFor(() => results.length === 1, 'the query results');
    assert.deepEqual((results[0]?.payload as Array<{ values: unknown[] }>)[0]?.values, [
      { time: T + 1, level: 1 },
      { time: T + 3, level: 3 },
    ]);
  });

  it('a retention policy reaches the Catch node as a ConfigurationException, and nothing is written into "db/rp"', async () => {
    const { caught } = await flow(
      { dsn: v3.url, database: 'sensors', retentionPolicy: 'week', version: '3' },
      'msg.payload = 1; return msg;',
    );
    helper.getNode('fn').receive({});
    await waitFor(() => caught.length === 1, 'the error caught');
    assert.match(String((caught[0]?.error as { message?: unknown }).message), /InfluxDB 3 has none/);
    assert.equal(v3.writes.filter((write) => write.database.includes('/')).length, 0);
  });

  it("of a message with a point the server rejects, only that message fails, with the server's words", async () => {
    const { caught, completed } = await flow(
      { dsn: v3.url, database: 'typed', version: '3' },
      `msg.payload = msg.value === 2 ? { v: 'text', timestamp: ${T} + 2 } : { v: msg.value + 0.5, timestamp: ${T} + msg.value }; return msg;`,
    );
    helper.getNode('fn').receive({ value: 1 });
    await waitFor(() => completed.length === 1, 'the first message done');
    for (const value of [2, 3]) helper.getNode('fn').receive({ value });
    await waitFor(() => completed.length + caught.length === 3, 'three messages done');
    assert.equal(caught.length, 1);
    assert.match(String((caught[0]?.error as { message?: unknown }).message), /invalid column type for column 'v'/);
    assert.deepEqual(
      v3.store.points('typed', 'reading').map((point) => point.fields.v),
      [1.5, 3.5],
    );
  });
});

describe('inflow out on VictoriaMetrics', () => {
  it("finds the server ('auto'), writes, and says a string field would be stored as 0 instead of writing it", async () => {
    const { completed, caught } = await flow(
      { dsn: vm.dsn('flows') },
      `msg.payload = msg.value === 2 ? { state: 'on', timestamp: ${T} } : { power: msg.value, timestamp: ${T} + msg.value }; return msg;`,
    );
    await connected(/^connected: VictoriaMetrics, db flows$/);
    for (const value of [1, 2, 3]) helper.getNode('fn').receive({ value });
    await waitFor(() => completed.length + caught.length === 3, 'three messages done');
    assert.equal(caught.length, 1);
    assert.match(String((caught[0]?.error as { message?: unknown }).message), /stores as 0/);
    let exported: Array<{ values: number[] }> = [];
    await waitFor(async () => {
      exported = await vm.exported('{db="flows"}');
      return exported.length === 1 && exported[0]?.values.length === 2;
    }, 'the two points exported');
    assert.deepEqual(exported[0]?.values.sort(), [1, 3]);
  });

  it('inflow query says at deploy that VictoriaMetrics answers no queries, and refuses them', async () => {
    const { results } = await flow({ dsn: vm.dsn('flows'), version: 'victoriametrics' }, 'return msg;');
    // Said at deploy, before any message.
    await waitFor(
      () => statusTexts(helper.getNode('query')).some((text) => /VictoriaMetrics, which answers no queries/.test(text)),
      'the status of inflow query saying why',
    );
    const caughtByQuery: Message[] = [];
    helper.getNode('query').on('call:error', (call: { args: unknown[] }) => caughtByQuery.push({ error: call.args[0] }));
    helper.getNode('query').receive({ query: 'SELECT * FROM x' });
    await waitFor(() => caughtByQuery.length === 1, 'the query refused');
    assert.match(String(caughtByQuery[0]?.error), /no InfluxQL/);
    assert.equal(results.length, 0);
  });
});
