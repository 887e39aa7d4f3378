/**
 * inflow query in every language, and with long answers: one message per chunk as the answer arrives
 * (msg.parts), which a Join node turns back into the rows of the one-message mode; the row count on the
 * status meanwhile; and a language the server does not answer said at deploy, before any message.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from '../../src';
import { collect, helper, inflowNodes, statusTexts, waitFor, type Message } from '../support/flows';
import { InfluxServer } from '../support/influxd';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';

const sequenceNodes: unknown = require('@node-red/nodes/core/sequence/17-split.js');

const TOKEN = 'stream-token';
const T = 1_700_000_000_000;
const ROWS = 12_000;
let v1: InfluxServer;
let v2: InfluxDB2Server;
let v3: InfluxDB3Server;

before(async () => {
  v1 = await InfluxServer.start();
  await v1.createDatabase('long');
  const lines = Array.from({ length: ROWS }, (_, i) => `reading,sensor=s${i % 4} value=${i} ${T + i}`);
  await v1.rawWrite('long', lines.join('\n'), 'ms');
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['b'] });
  v3 = await InfluxDB3Server.start({ token: TOKEN });
  for (const client of [
    new Client({ url: v2.url, token: TOKEN, org: 'home', bucket: 'b', precision: 'ms' }),
    new Client({ url: v3.url, token: TOKEN, database: 'd', precision: 'ms' }),
  ]) {
    await client.writeLines([`air,room=hall co2=415 ${T}`, `air,room=attic co2=420 ${T + 1}`]);
    await client.close();
  }
});
afterEach(() => helper.unload());
after(async () => {
  await v1?.stop();
  await v2?.stop();
  await v3?.stop();
});

async function load(
  config: Record<string, unknown>,
  query: Record<string, unknown>,
): Promise<{ results: Message[]; joined: Message[] }> {
  await helper.load(
    [...inflowNodes, sequenceNodes],
    [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', precision: 'ms', timeout: 10_000, ...config },
      {
        id: 'query',
        type: 'inflow query',
        z: 'tab',
        server: 'cfg',
        query: '',
        epoch: 'ms',
        wires: [['results', 'joiner']],
        ...query,
      },
      {
        id: 'joiner',
        type: 'join',
        z: 'tab',
        mode: 'auto',
        property: 'payload',
        propertyType: 'msg',
        timeout: '',
        count: '',
        wires: [['joined']],
      },
      { id: 'results', type: 'helper', z: 'tab' },
      { id: 'joined', type: 'helper', z: 'tab' },
    ],
    { cfg: { token: TOKEN } },
  );
  return { results: collect(helper.getNode('results')), joined: collect(helper.getNode('joined')) };
}

const rowsOf = (payload: unknown): unknown[] =>
  (payload as Array<{ name: string; values: unknown[] }>).flatMap((series) =>
    series.values.map((row) => ({ name: series.name, ...(row as object) })),
  );

describe('inflow query with long answers', () => {
  it('a message per chunk as it arrives, with msg.parts: a Join node rebuilds the rows the one message holds', async () => {
    const whole = await load({ dsn: v1.dsn('long') }, { query: 'SELECT * FROM reading' });
    helper.getNode('query').receive({ topic: 'day' });
    await waitFor(() => whole.results.length === 1, 'the one message');
    const expected = rowsOf(whole.results[0]?.payload);
    assert.equal(expected.length, ROWS);
    await helper.unload();

    const parts = await load({ dsn: v1.dsn('long') }, { query: 'SELECT * FROM reading', output: 'parts' });
    helper.getNode('query').receive({ topic: 'day' });
    await waitFor(() => parts.joined.length === 1, 'the joined message', 20_000);
    assert.ok(parts.results.length >= 3, `${parts.results.length} parts`);
    const partsOf = parts.results.map((msg) => msg.parts as { index: number; count?: number; id: string });
    assert.deepEqual(
      partsOf.map((part) => part.index),
      partsOf.map((_, i) => i),
    );
    assert.equal(partsOf.at(-1)?.count, parts.results.length);
    assert.equal(parts.results[0]?.topic, 'day');
    assert.deepEqual(rowsOf(parts.joined[0]?.payload), expected);
    assert.ok(
      statusTexts(helper.getNode('query')).some((text) => /^[\d,]+ rows so far$/.test(text)),
      statusTexts(helper.getNode('query')).join(' | '),
    );
  });

  it('an answer without rows is one message: an empty array, the last part', async () => {
    const parts = await load({ dsn: v1.dsn('long') }, { query: 'SELECT * FROM nothing_here', output: 'parts' });
    helper.getNode('query').receive({});
    await waitFor(() => parts.joined.length === 1, 'the joined message');
    assert.deepEqual(parts.results[0]?.payload, []);
    assert.equal((parts.results[0]?.parts as { count?: number }).count, 1);
  });
});

describe('inflow query in each language', () => {
  it("SQL on InfluxDB 3 (msg.language), Flux on InfluxDB 2.x (the node's language), reshaped alike", async () => {
    const sql = await load({ dsn: v3.url, database: 'd' }, { query: 'SELECT * FROM air WHERE room = $room' });
    helper.getNode('query').receive({ language: 'sql', params: { room: 'attic' } });
    await waitFor(() => sql.results.length === 1, 'the SQL answer');
    assert.deepEqual(sql.results[0]?.payload, [{ name: 'air', values: [{ co2: 420, room: 'attic', time: T + 1 }] }]);
    await helper.unload();

    const flux = await load(
      { dsn: v2.url, org: 'home', bucket: 'b' },
      { language: 'flux', query: 'from(bucket: "b") |> range(start: 0) |> filter(fn: (r) => r.room == params.room)' },
    );
    helper.getNode('query').receive({ params: { room: 'hall' } });
    await waitFor(() => flux.results.length === 1, 'the Flux answer');
    assert.deepEqual(flux.results[0]?.payload, [
      { name: 'air', tags: { _field: 'co2', room: 'hall' }, values: [{ time: T, _value: 415 }] },
    ]);
  });

  it('a language the server does not answer is said at deploy, before any message', async () => {
    await load({ dsn: v1.dsn('long'), version: '1' }, { language: 'flux', query: 'from(bucket: "x")' });
    const query = helper.getNode('query');
    await waitFor(() => statusTexts(query).some((text) => /answers influxql, not flux/.test(text)), 'the status saying why');
    assert.match(String((query.error as { args: unknown[][] }).args.at(-1)?.[0]), /answers influxql, not flux/);
  });
});
