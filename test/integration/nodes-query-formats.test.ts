/**
 * inflow query's formats and msg.range on every server kind that answers queries: a real InfluxDB 1.6,
 * and the InfluxDB 2.x and 3.x test servers, in each language each answers. The rows of a query are
 * compared row by row with its series; a bound range finds exactly the points in it.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from '../../src';
import { collect, functionNode, helper, inflowNodes, statusTexts, waitFor, type Message } from '../support/flows';
import { InfluxServer } from '../support/influxd';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';

const TOKEN = 'formats-token';
const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const LOCATIONS = ['lab', 'roof'];
/** Ten minutes of readings from two locations, a minute apart: two fields each. */
const LINES = LOCATIONS.flatMap((location, l) =>
  Array.from(
    { length: 10 },
    (_, i) => `weather,location=${location} temperature=${20 + l * 5 + i / 2},humidity=${40 + i}i ${T0 + i * MINUTE}`,
  ),
);

let v1: InfluxServer;
let v2: InfluxDB2Server;
let v3: InfluxDB3Server;

before(async () => {
  v1 = await InfluxServer.start();
  await v1.createDatabase('weather');
  await v1.rawWrite('weather', LINES.join('\n'), 'ms');
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['weather'], dbrp: { weather: 'weather' } });
  v3 = await InfluxDB3Server.start({ token: TOKEN });
  const writers = [
    new Client({ url: v2.url, token: TOKEN, org: 'home', bucket: 'weather', version: 2, precision: 'ms' }),
    new Client({ url: v3.url, token: TOKEN, database: 'weather', version: 3, precision: 'ms' }),
  ];
  for (const writer of writers) {
    await writer.write(LINES);
    await writer.close();
  }
});
afterEach(() => helper.unload());
after(async () => {
  await v1?.stop();
  await v2?.stop();
  await v3?.stop();
});

type Kind = '1' | '2' | '3';

function configOf(kind: Kind): Record<string, unknown> {
  if (kind === '1') return { dsn: v1.dsn('weather'), precision: 'ms' };
  if (kind === '2') return { dsn: v2.url, version: '2', org: 'home', bucket: 'weather', database: 'weather' };
  return { dsn: v3.url, version: '3', database: 'weather' };
}

async function queryFlow(
  kind: Kind,
  query: Record<string, unknown>,
): Promise<{ send: (msg: Message) => void; results: Message[]; caught: Message[] }> {
  await helper.load(
    inflowNodes,
    [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', timeout: 5000, ...configOf(kind) },
      { id: 'query', type: 'inflow query', z: 'tab', server: 'cfg', query: '', epoch: 'ms', wires: [['results']], ...query },
      { id: 'catcher', type: 'catch', z: 'tab', scope: ['query'], uncaught: false, wires: [['caught']] },
      { id: 'results', type: 'helper', z: 'tab' },
      { id: 'caught', type: 'helper', z: 'tab' },
    ],
    kind === '1' ? {} : { cfg: { token: TOKEN } },
  );
  const node = helper.getNode('query');
  return {
    send: (msg) => node.receive(msg),
    results: collect(helper.getNode('results')),
    caught: collect(helper.getNode('caught')),
  };
}

/** Sends a message and gives what came of it: the answer, or the failure a Catch node got. */
async function ask(flow: Awaited<ReturnType<typeof queryFlow>>, msg: Message): Promise<Message> {
  const answered = flow.results.length;
  const failed = flow.caught.length;
  flow.send(msg);
  await waitFor(() => flow.results.length > answered || flow.caught.length > failed, 'an answer');
  return (flow.results.length > answered ? flow.results.at(-1) : flow.caught.at(-1)) as Message;
}

interface SeriesOut {
  name: string;
  tags?: Record<string, string>;
  values: Array<Record<string, unknown>>;
}

/** The rows a flow author expects of series: each row with its series' tags and the series named by measurement and tags. */
function expectedRows(series: SeriesOut[]): Array<Record<string, unknown>> {
  return series.flatMap(({ name, tags = {}, values }) =>
    values.map(({ time, ...columns }) => ({
      time,
      ...tags,
      ...columns,
      series: [name, ...Object.entries(tags).map(([key, value]) => `${key}=${value}`)].join(','),
    })),
  );
}

/** The rows expected of Flux's tables, one per field: a row per series and time, holding each field by name. */
function expectedFluxRows(series: SeriesOut[]): Array<Record<string, unknown>> {
  const rows = new Map<string, Record<string, unknown>>();
  for (const { name, tags = {}, values } of series) {
    const { _field: field, ...rest } = tags;
    const key = [name, ...Object.entries(rest).map(([k, v]) => `${k}=${v}`)].join(',');
    for (const { time, _value } of values) {
      const row = rows.get(`${key} ${String(time)}`) ?? { time, ...rest };
      row[field as string] = _value;
      rows.set(`${key} ${String(time)}`, row);
    }
  }
  return [...rows.entries()].map(([at, row]) => ({ ...row, series: at.split(' ')[0] }));
}

const bySeriesAndTime = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
  String(a.series).localeCompare(String(b.series)) || (a.time as number) - (b.time as number);

const cases: Array<{ kind: Kind; language: string; query: string; flux?: boolean; rows: number }> = [
  { kind: '1', language: 'influxql', query: 'SELECT temperature, humidity FROM weather GROUP BY location', rows: 20 },
  { kind: '1', language: 'influxql', query: 'SELECT * FROM weather', rows: 20 },
  { kind: '2', language: 'influxql', query: 'SELECT * FROM weather', rows: 20 },
  {
    kind: '2',
    language: 'flux',
    query: 'from(bucket: "weather") |> range(start: 0) |> filter(fn: (r) => r._measurement == "weather")',
    flux: true,
    rows: 20,
  },
  { kind: '3', language: 'influxql', query: 'SELECT * FROM weather', rows: 20 },
  { kind: '3', language: 'sql', query: 'SELECT * FROM weather', rows: 20 },
];

describe('rows, compared row by row with the series of the same query', () => {
  for (const { kind, language, query, flux, rows } of cases) {
    it(`InfluxDB ${kind}, ${language}: ${query.slice(0, 60)}`, async () => {
      const flow = await queryFlow(kind, { query, language });
      const series = (await ask(flow, { format: 'series' })).payload as SeriesOut[];
      const flat = (await ask(flow, { format: 'rows' })).payload as Array<Record<string, unknown>>;
      assert.equal(flow.caught.length, 0, JSON.stringify(flow.caught[0]?.error));
      assert.equal(flat.length, rows);
      const expected = flux ? expectedFluxRows(series) : expectedRows(series);
      assert.deepEqual([...flat].sort(bySeriesAndTime), expected.sort(bySeriesAndTime));
      if (flux) assert.ok(flat.every((row) => typeof row.temperature === 'number' && typeof row.humidity === 'number'));
    });
  }
});

const rangeQueries: Array<{ kind: Kind; language: string; query: string }> = [
  { kind: '1', language: 'influxql', query: 'SELECT * FROM weather WHERE time >= $start AND time < $stop' },
  { kind: '2', language: 'influxql', query: 'SELECT * FROM weather WHERE time >= $start AND time < $stop' },
  {
    kind: '2',
    language: 'flux',
    query:
      'from(bucket: "weather") |> range(start: time(v: params.start), stop: time(v: params.stop)) |> filter(fn: (r) => r._measurement == "weather")',
  },
  { kind: '3', language: 'influxql', query: 'SELECT * FROM weather WHERE time >= $start AND time < $stop' },
  { kind: '3', language: 'sql', query: 'SELECT * FROM weather WHERE time >= $start AND time < $stop' },
];

describe('msg.range, bound as $start and $stop (params.start and params.stop in Flux)', () => {
  for (const { kind, language, query } of rangeQueries) {
    it(`InfluxDB ${kind}, ${language}: a Date and RFC3339 text find exactly the points from start until stop`, async () => {
      const flow = await queryFlow(kind, { query, language, format: 'rows' });
      const rows = (
        await ask(flow, { range: { start: new Date(T0 + 2 * MINUTE), stop: new Date(T0 + 5 * MINUTE).toISOString() } })
      ).payload as Array<Record<string, unknown>>;
      assert.equal(flow.caught.length, 0, JSON.stringify(flow.caught[0]?.error));
      const times = [...new Set(rows.map((row) => row.time as number))].sort((a, b) => a - b);
      assert.deepEqual(times, [T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 4 * MINUTE]);
      assert.equal(rows.length, 2 * 3);
    });
  }

  it('InfluxDB 2, Flux: msg.params reach the query as values, a tag holding quotes, a backslash and ${ matched exactly', async () => {
    const awkward = 'o"brien\\${x}';
    const writer = new Client({ url: v2.url, token: TOKEN, org: 'home', bucket: 'weather', version: 2, precision: 'ms' });
    await writer.write([
      { measurement: 'awkward', tags: { who: awkward }, fields: { v: 1 }, time: T0 },
      { measurement: 'awkward', tags: { who: 'o' }, fields: { v: 2 }, time: T0 },
    ]);
    await writer.close();
    const flow = await queryFlow('2', {
      language: 'flux',
      query:
        'from(bucket: "weather") |> range(start: 0) |> filter(fn: (r) => r._measurement == "awkward") |> filter(fn: (r) => r.who == params.who)',
      format: 'rows',
    });
    const answer = await ask(flow, { params: { who: awkward } });
    assert.equal(flow.caught.length, 0, JSON.stringify(flow.caught[0]?.error));
    assert.deepEqual(answer.payload, [{ time: T0, who: awkward, v: 1, series: 'awkward,who=o"brien\\\\${x}' }]);
  });

  it('from a Function node: a Date made there (another realm) and msg.format bind and shape as from any node', async () => {
    await helper.load(
      [...inflowNodes, functionNode],
      [
        { id: 'tab', type: 'tab' },
        { id: 'cfg', type: 'inflow-config', timeout: 5000, ...configOf('1') },
        {
          id: 'fn',
          type: 'function',
          z: 'tab',
          func: `msg.range = { start: new Date(${T0 + 2 * MINUTE}), stop: new Date(${T0 + 5 * MINUTE}) };\nmsg.format = 'rows';\nreturn msg;`,
          outputs: 1,
          wires: [['query']],
        },
        {
          id: 'query',
          type: 'inflow query',
          z: 'tab',
          server: 'cfg',
          query: 'SELECT * FROM weather WHERE time >= $start AND time < $stop',
          epoch: 'ms',
          wires: [['results']],
        },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['query'], uncaught: false, wires: [['caught']] },
        { id: 'results', type: 'helper', z: 'tab' },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
    );
    const results = collect(helper.getNode('results'));
    const caught = collect(helper.getNode('caught'));
    helper.getNode('fn').receive({});
    await waitFor(() => results.length + caught.length === 1, 'an answer');
    assert.equal(caught.length, 0, JSON.stringify(caught[0]?.error));
    const rows = results[0]?.payload as Array<Record<string, unknown>>;
    assert.deepEqual([...new Set(rows.map((row) => row.time))], [T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 4 * MINUTE]);
    assert.equal(rows[0]?.series, 'weather');
  });

  it('InfluxDB 1: a duration from now finds the readings of the last hour, and none older', async () => {
    const now = Date.now();
    await v1.rawWrite('weather', `recent value=1 ${now - 30 * MINUTE}\nrecent value=2 ${now - 90 * MINUTE}`, 'ms');
    const flow = await queryFlow('1', { query: 'SELECT * FROM recent WHERE time >= $start AND time < $stop' });
    const answer = await ask(flow, { range: { start: '-1h' } });
    assert.deepEqual(answer.payload, [{ name: 'recent', values: [{ time: now - 30 * MINUTE, value: 1 }] }]);
  });

  it('a wrong bound fails the message alone, naming msg.range and why, with InvalidArgumentException', async () => {
    const flow = await queryFlow('1', { query: 'SELECT * FROM weather WHERE time >= $start AND time < $stop' });
    flow.send({ range: { start: '1h' } });
    flow.send({ range: { start: '-1h' }, params: { start: 'x' } });
    flow.send({ range: { start: T0, stop: T0 + MINUTE } });
    await waitFor(() => flow.caught.length === 2 && flow.results.length === 1, 'two failures and an answer');
    const errors = flow.caught.map((msg) => msg.error as { message: string; code: string });
    assert.match(errors[0]?.message ?? '', /^msg\.range\.start "1h" is a duration without a sign: write "-1h"/);
    assert.match(
      errors[1]?.message ?? '',
      /^msg\.range binds \$start \(params\.start in Flux\), and msg\.params\.start does too/,
    );
    assert.deepEqual(
      errors.map((error) => error.code),
      ['InvalidArgumentException', 'InvalidArgumentException'],
    );
    assert.equal((flow.results[0]?.payload as SeriesOut[])[0]?.values.length, 2);
  });
});

describe('chart formats', () => {
  it("Dashboard 2: rows with times in ms whatever the node's epoch, msg.action replace, msg.topic the one series", async () => {
    const flow = await queryFlow('1', {
      query: 'SELECT temperature FROM weather WHERE location = $where',
      epoch: 's',
      format: 'chart',
    });
    const answer = await ask(flow, { params: { where: 'lab' }, topic: 'refresh' });
    const rows = answer.payload as Array<Record<string, unknown>>;
    assert.equal(answer.action, 'replace');
    assert.equal(answer.topic, 'weather');
    assert.equal(rows.length, 10);
    assert.deepEqual(rows[0], { time: T0, temperature: 20, series: 'weather' });
  });

  it('Dashboard 2, GROUP BY: a series key per row, and the input topic left as it was', async () => {
    const flow = await queryFlow('1', { query: 'SELECT temperature FROM weather GROUP BY location', format: 'chart' });
    const answer = await ask(flow, { topic: 'refresh' });
    const rows = answer.payload as Array<Record<string, unknown>>;
    assert.equal(answer.topic, 'refresh');
    assert.deepEqual([...new Set(rows.map((row) => row.series))], ['weather,location=lab', 'weather,location=roof']);
  });

  it('Dashboard 2, a message per chunk: the first replaces what the chart shows, the others add to it, each naming its series', async () => {
    const flow = await queryFlow('1', {
      query: 'SELECT temperature FROM weather GROUP BY location',
      format: 'chart',
      output: 'parts',
    });
    flow.send({});
    await waitFor(() => flow.results.length === 2, 'two parts');
    assert.deepEqual(
      flow.results.map((msg) => [msg.action, msg.topic, (msg.payload as unknown[]).length]),
      [
        ['replace', 'weather,location=lab', 10],
        ['append', 'weather,location=roof', 10],
      ],
    );
  });

  it('Dashboard 2, Flux: msg.topic names the joined series, without _field', async () => {
    const flow = await queryFlow('2', {
      language: 'flux',
      query:
        'from(bucket: "weather") |> range(start: 0) |> filter(fn: (r) => r._measurement == "weather") |> filter(fn: (r) => r.location == "lab")',
      format: 'chart',
    });
    const answer = await ask(flow, { topic: 'refresh' });
    assert.equal(answer.topic, 'weather,location=lab');
    assert.deepEqual((answer.payload as Array<Record<string, unknown>>)[0], {
      time: T0,
      location: 'lab',
      humidity: 40,
      temperature: 20,
      series: 'weather,location=lab',
    });
  });

  it("Dashboard 2, Flux, a message per chunk: each row holds its table's field by name, the series named without _field", async () => {
    const flow = await queryFlow('2', {
      language: 'flux',
      query:
        'from(bucket: "weather") |> range(start: 0) |> filter(fn: (r) => r._measurement == "weather") |> filter(fn: (r) => r.location == "lab")',
      format: 'chart',
      output: 'parts',
    });
    flow.send({});
    await waitFor(() => flow.results.length === 2, 'a part per field');
    const parts = flow.results.map((msg) => ({ topic: msg.topic, first: (msg.payload as unknown[])[0] }));
    assert.deepEqual(
      parts.map((part) => part.topic),
      ['weather,location=lab', 'weather,location=lab'],
    );
    assert.deepEqual(
      parts.map((part) => part.first),
      [
        { time: T0, location: 'lab', temperature: 20, series: 'weather,location=lab' },
        { time: T0, location: 'lab', humidity: 40, series: 'weather,location=lab' },
      ],
    );
  });

  it('an empty answer is [] with msg.action replace, which clears the chart', async () => {
    const flow = await queryFlow('1', { query: "SELECT temperature FROM weather WHERE location = 'nowhere'", format: 'chart' });
    const answer = await ask(flow, {});
    assert.deepEqual(answer.payload, []);
    assert.equal(answer.action, 'replace');
  });

  it('Dashboard 1: one chart of a line per location, x in ms, as its ui_chart takes it', async () => {
    const flow = await queryFlow('1', {
      query: 'SELECT temperature FROM weather GROUP BY location',
      format: 'chart-dashboard1',
      epoch: '',
    });
    const answer = await ask(flow, {});
    const [chart] = answer.payload as Array<{ series: string[]; data: Array<Array<{ x: number; y: number }>>; labels: string[] }>;
    assert.deepEqual(chart?.series, ['weather,location=lab', 'weather,location=roof']);
    assert.deepEqual(chart?.data[1]?.[0], { x: T0, y: 25 });
    assert.equal(chart?.data[0]?.length, 10);
    assert.deepEqual(chart?.labels, ['']);
  });

  it('msg.maxPoints thins each series to that many points, the first and last kept', async () => {
    const flow = await queryFlow('1', { query: 'SELECT temperature FROM weather GROUP BY location', format: 'rows' });
    const answer = await ask(flow, { maxPoints: 4 });
    const rows = answer.payload as Array<Record<string, unknown>>;
    for (const location of LOCATIONS) {
      const times = rows.filter((row) => row.location === location).map((row) => row.time);
      assert.equal(times.length, 4);
      assert.equal(times[0], T0);
      assert.equal(times.at(-1), T0 + 9 * MINUTE);
    }
  });
});

describe('settings that cannot work together', () => {
  it('a whole Dashboard 1 chart with a message per chunk: the status and the log say so at deploy, and each message fails with it', async () => {
    const flow = await queryFlow('1', { query: 'SELECT * FROM weather', format: 'chart-dashboard1', output: 'parts' });
    await waitFor(() => statusTexts(helper.getNode('query')).some((text) => /chart-dashboard1/.test(text)), 'the status');
    flow.send({});
    await waitFor(() => flow.caught.length === 1, 'the failure');
    const error = flow.caught[0]?.error as { message: string; code: string };
    assert.match(
      error.message,
      /format chart-dashboard1 is a whole chart in one message, and the node sends a message per chunk/,
    );
    assert.equal(error.code, 'ConfigurationException');
  });

  it('msg.format unknown, and msg.maxPoints with a message per chunk, fail the message alone, naming the property', async () => {
    const flow = await queryFlow('1', { query: 'SELECT * FROM weather', output: 'parts' });
    flow.send({ format: 'table' });
    flow.send({ maxPoints: 100 });
    flow.send({ format: 'rows' });
    await waitFor(() => flow.caught.length === 2 && flow.results.length >= 1, 'two failures and rows');
    const messages = flow.caught.map((msg) => (msg.error as { message: string }).message);
    assert.match(messages[0] ?? '', /^msg\.format must be one of series, rows, chart, chart-dashboard1, not "table"/);
    assert.match(messages[1] ?? '', /^msg\.maxPoints thins whole series, and the node sends a message per chunk/);
    assert.ok(Array.isArray(flow.results[0]?.payload));
  });
});
