/**
 * Queries on every server, reshaped alike: the same points written to a real InfluxDB 1.6 and to the
 * 2.x and 3.x test servers answer InfluxQL the same; Flux (2.x) agrees row for row with InfluxData's
 * own client reading the same answer; SQL (3.x) too, with bound parameters in every language; each
 * server's errors are the same exceptions; answers stream in chunks, and a loop left early ends the request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxDB } from '@influxdata/influxdb-client';
import {
  Client,
  ConfigurationException,
  DatabaseNotFoundException,
  QueryFailedException,
  type InfluxDBException,
  type Series,
} from '../../src';
import { InfluxServer } from '../support/influxd';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';

const TOKEN = 'query-token';
const ORG = 'home';
const T = 1_700_000_000_000;
const LINES = [
  `climate,room=kitchen temperature=21.5,count=3i ${T}`,
  `climate,room=hall temperature=19,count=2i ${T + 1000}`,
  `climate,room=attic temperature=17.25,count=1i ${T + 2000}`,
  `exact big=1152921504606846976i ${T}`,
];

let v1: InfluxServer;
let v2: InfluxDB2Server;
let v3: InfluxDB3Server;
const clients: Record<'1' | '2' | '3', Client> = {} as Record<'1' | '2' | '3', Client>;

before(async () => {
  v1 = await InfluxServer.start();
  await v1.createDatabase('q');
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: ORG, buckets: ['q', 'big'] });
  v3 = await InfluxDB3Server.start({ token: TOKEN });
  clients['1'] = new Client(v1.dsn('q'), { precision: 'ms' });
  clients['2'] = new Client({ url: v2.url, token: TOKEN, org: ORG, bucket: 'q', precision: 'ms' });
  clients['3'] = new Client({ url: v3.url, token: TOKEN, database: 'q', precision: 'ms' });
  for (const client of Object.values(clients)) await client.writeLines(LINES);
});
after(async () => {
  for (const client of Object.values(clients)) await client.close();
  await v1?.stop();
  await v2?.stop();
  await v3?.stop();
});

const rowsOf = (series: Series[]): unknown[] =>
  series.flatMap((one) => one.values.map((row) => ({ name: one.name, ...one.tags, ...row })));

describe('InfluxQL on every InfluxDB', () => {
  it('the same points answer the same, reshaped alike, on 1.x (real), 2.x and 3.x', async () => {
    const answers = await Promise.all(
      Object.values(clients).map((client) => client.query('SELECT * FROM climate', { epoch: 'ms' })),
    );
    assert.deepEqual(answers[0], [
      {
        name: 'climate',
        values: [
          { time: T, count: 3, room: 'kitchen', temperature: 21.5 },
          { time: T + 1000, count: 2, room: 'hall', temperature: 19 },
          { time: T + 2000, count: 1, room: 'attic', temperature: 17.25 },
        ],
      },
    ]);
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
  });

  it('bound parameters, the same everywhere; integers beyond 2^53 exact; streamed alike', async () => {
    for (const client of Object.values(clients)) {
      const hall = await client.query('SELECT * FROM climate WHERE room = $room', { epoch: 'ms', params: { room: 'hall' } });
      assert.deepEqual(rowsOf(hall), [{ name: 'climate', time: T + 1000, count: 2, room: 'hall', temperature: 19 }]);
      assert.equal((await client.query('SELECT * FROM "exact"'))[0]?.values[0]?.big, 1152921504606846976n);
      const streamed = [];
      for await (const row of client.queryRows('SELECT * FROM climate', { epoch: 'ms' })) streamed.push(row);
      assert.deepEqual(streamed, (await client.query('SELECT * FROM climate', { epoch: 'ms' }))[0]?.values);
    }
  });
});

describe('Flux on InfluxDB 2.x', () => {
  const flux = `from(bucket: "q") |> range(start: 0) |> filter(fn: (r) => r._measurement == "climate")`;

  it("reshaped into series by group key, row for row what InfluxData's own client reads", async () => {
    const ours = await clients['2'].query(flux, { language: 'flux' });
    const official = await new InfluxDB({ url: v2.url, token: TOKEN })
      .getQueryApi(ORG)
      .collectRows<Record<string, unknown>>(flux);
    assert.equal(official.length, 6);
    const flat = (rows: Array<Record<string, unknown>>) =>
      rows
        .map((row) => [row._time ?? row.time, row._measurement ?? 'climate', row.room, row._field, row._value].join('|'))
        .sort();
    assert.deepEqual(flat(rowsOf(ours) as Array<Record<string, unknown>>), flat(official));
    const kitchen = ours.find((series) => series.tags?.room === 'kitchen' && series.tags._field === 'temperature');
    assert.equal(kitchen?.name, 'climate');
    assert.deepEqual(Object.keys(kitchen?.values[0] ?? {}).sort(), ['_value', 'time']);
  });

  it('params as Flux params, times in the epoch asked for (ns exact), longs beyond 2^53 exact', async () => {
    const hall = await clients['2'].query(
      `${flux} |> filter(fn: (r) => r.room == params.room) |> filter(fn: (r) => r._field == "count")`,
      {
        language: 'flux',
        params: { room: 'hall' },
        epoch: 'ns',
      },
    );
    assert.deepEqual(hall, [
      { name: 'climate', tags: { _field: 'count', room: 'hall' }, values: [{ time: BigInt(T + 1000) * 1_000_000n, _value: 2 }] },
    ]);
    const big = await clients['2'].query('from(bucket: "q") |> range(start: 0) |> filter(fn: (r) => r._measurement == "exact")', {
      language: 'flux',
    });
    assert.equal(big[0]?.values[0]?._value, 1152921504606846976n);
  });

  it("its errors, as the same exceptions in the server's words", async () => {
    await assert.rejects(
      clients['2'].query('from(bucket: "nowhere") |> range(start: 0)', { language: 'flux' }),
      (error: InfluxDBException) =>
        error instanceof DatabaseNotFoundException && /could not find bucket "nowhere"/.test(error.message),
    );
    await assert.rejects(
      clients['2'].query('this is not flux', { language: 'flux' }),
      (error: InfluxDBException) => error instanceof QueryFailedException && error.status === 400,
    );
    await assert.rejects(
      clients['2'].query('SELECT 1', { language: 'sql' }),
      (error: InfluxDBException) =>
        error instanceof ConfigurationException && error.message === 'InfluxDB 2.9.1 answers InfluxQL and Flux, not SQL',
    );
  });
});

describe('SQL on InfluxDB 3', () => {
  it('the table is the name; bound parameters; times as asked, ns exact; integers exact', async () => {
    const hall = await clients['3'].query('SELECT * FROM climate WHERE room = $room', {
      language: 'sql',
      params: { room: 'hall' },
      epoch: 'ms',
    });
    assert.deepEqual(hall, [{ name: 'climate', values: [{ count: 2, room: 'hall', temperature: 19, time: T + 1000 }] }]);
    const text = await clients['3'].query('SELECT * FROM climate', { language: 'sql' });
    assert.deepEqual(
      text[0]?.values.map((row) => row.time),
      ['2023-11-14T22:13:20Z', '2023-11-14T22:13:21Z', '2023-11-14T22:13:22Z'],
    );
    const exact = await clients['3'].query('SELECT * FROM exact', { language: 'sql', epoch: 'ns' });
    assert.deepEqual(exact[0]?.values, [{ big: 1152921504606846976n, time: BigInt(T) * 1_000_000n }]);
  });

  it("its errors, as the same exceptions in the server's words", async () => {
    const elsewhere = new Client({ url: v3.url, token: TOKEN, database: 'nowhere' });
    await assert.rejects(
      elsewhere.query('SELECT * FROM climate', { language: 'sql' }),
      (error: InfluxDBException) => error instanceof DatabaseNotFoundException && error.status === 404,
    );
    await assert.rejects(
      elsewhere.query('SELECT * FROM climate'),
      (error: InfluxDBException) =>
        error instanceof DatabaseNotFoundException && error.serverMessage === 'Database nowhere not found',
    );
    await elsewhere.close();
    await assert.rejects(
      clients['3'].query('SELECT * FROM nothing', { language: 'sql' }),
      (error: InfluxDBException) =>
        error instanceof QueryFailedException && /table 'public.iox.nothing' not found/.test(error.message),
    );
    await assert.rejects(
      clients['3'].query('SELECT * FROM climate WHERE room = $room', { language: 'sql' }),
      (error: InfluxDBException) => error instanceof QueryFailedException && /placeholder/.test(error.message),
    );
    await assert.rejects(
      clients['3'].query('from(bucket: "q")', { language: 'flux' }),
      (error: InfluxDBException) =>
        error instanceof ConfigurationException && error.message === 'InfluxDB 3.5.0 Core answers InfluxQL and SQL, not Flux',
    );
    await assert.rejects(
      clients['1'].query('SELECT 1', { language: 'sql' }),
      (error: InfluxDBException) => error instanceof ConfigurationException && /answers InfluxQL, not SQL/.test(error.message),
    );
  });
});

describe('answers as they arrive', () => {
  it('a long answer comes in chunks of at most 5,000 rows, in order, each language alike', async () => {
    const lines = Array.from({ length: 12_000 }, (_, i) => `long,sensor=s${i % 3} v=${i} ${T + i}`);
    await clients['2'].writeLines(lines);
    await clients['3'].writeLines(lines);
    const cases: Array<[Client, string, 'sql' | 'flux' | 'influxql']> = [
      [clients['3'], 'SELECT * FROM long', 'sql'],
      [clients['3'], 'SELECT * FROM long', 'influxql'],
      [clients['2'], 'from(bucket: "q") |> range(start: 0) |> filter(fn: (r) => r._measurement == "long")', 'flux'],
      [clients['2'], 'SELECT * FROM long', 'influxql'],
    ];
    for (const [client, query, language] of cases) {
      const sizes: number[] = [];
      let rows = 0;
      for await (const chunk of client.querySeries(query, { language, epoch: 'ms' })) {
        sizes.push(chunk.values.length);
        rows += chunk.values.length;
      }
      assert.equal(rows, 12_000, `${language} rows`);
      assert.ok(sizes.length >= 3 && sizes.every((size) => size <= 5000), `${language} chunks ${sizes.join(',')}`);
    }
  });

  it('a loop left early ends the request: the client closes at once, and answers the next query', async () => {
    await v1.rawWrite('q', Array.from({ length: 50_000 }, (_, i) => `many v=${i} ${i + 1}`).join('\n'));
    const client = new Client(v1.dsn('q'), { precision: 'ms' });
    let first: unknown;
    for await (const row of client.queryRows('SELECT * FROM many')) {
      first = row;
      break;
    }
    assert.deepEqual(first, { time: '1970-01-01T00:00:00.000000001Z', v: 0 });
    assert.equal((await client.query('SELECT count(v) FROM many'))[0]?.values[0]?.count, 50_000);
    const started = performance.now();
    await client.close();
    assert.ok(performance.now() - started < 1000, 'nothing left under way');
  });
});
