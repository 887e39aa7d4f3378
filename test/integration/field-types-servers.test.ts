/**
 * Matching the server's field types on the InfluxDB 2.x and 3 test servers (which answer SHOW FIELD KEYS as
 * the servers do), through inflow out with a Function node building the payload, and through the library's
 * `matchFieldTypes` and `invalidValues` client options.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client, WriteFailedException } from '../../src';
import { helper, loadFunctionFlow, waitFor, type Message } from '../support/flows';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';

const TOKEN = 'field-types-token';
const T = 1_700_000_000_000;

let v2: InfluxDB2Server;
let v3: InfluxDB3Server;

before(async () => {
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['sensors'] });
  v3 = await InfluxDB3Server.start({ token: TOKEN });
});
afterEach(() => helper.unload());
after(async () => {
  await v2?.stop();
  await v3?.stop();
});

interface Kind {
  name: string;
  server: () => InfluxDB2Server | InfluxDB3Server;
  config: () => Record<string, unknown>;
  /** A raw line-protocol write with the server's own API, as Telegraf or a script would make the fields. */
  rawWrite: (body: string) => Promise<void>;
}

const kinds: Kind[] = [
  {
    name: 'InfluxDB 2.x',
    server: () => v2,
    config: () => ({ dsn: v2.url, org: 'home', bucket: 'sensors', version: '2' }),
    rawWrite: (body) => post(`${v2.url}/api/v2/write?org=home&bucket=sensors&precision=ms`, body),
  },
  {
    name: 'InfluxDB 3',
    server: () => v3,
    config: () => ({ dsn: v3.url, database: 'sensors', version: '3' }),
    rawWrite: (body) => post(`${v3.url}/api/v3/write_lp?db=sensors&precision=millisecond`, body),
  },
];

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Token ${TOKEN}` }, body });
  if (response.status !== 204) throw new Error(`raw write: ${response.status} ${await response.text()}`);
}

const types = (kind: Kind, measurement: string): Array<[string, string]> =>
  kind.server().store.fieldTypes('sensors', measurement).get(measurement) ?? [];
const stored = (kind: Kind, measurement: string): Array<[bigint, unknown]> =>
  kind
    .server()
    .store.points('sensors', measurement)
    .map((point) => [point.time / 1_000_000n, point.fields.count]);
const errorOf = (msg: Message | undefined): { message: string; code: string } => msg?.error as { message: string; code: string };

async function run(kind: Kind, func: string, messages: number): Promise<{ caught: Message[]; completed: Message[] }> {
  const watchers = await loadFunctionFlow(kind.config(), func, {
    out: { autocommitEvery: messages, flushInterval: 1000 },
    credentials: { cfg: { token: TOKEN } },
  });
  helper.getNode('fn').receive({ payload: '' });
  await waitFor(() => watchers.caught.length + watchers.completed.length === messages, `${messages} message(s) to end`);
  return watchers;
}

for (const kind of kinds) {
  describe(`inflow out on ${kind.name}: the server's field types`, () => {
    it('21 from a Function node is written as an integer; 21.5 fails alone, naming the field and its type', async () => {
      await kind.rawWrite(`first count=1i ${T - 1000}`);
      const { caught, completed } = await run(
        kind,
        `return [[
           { measurement: 'first', payload: { count: 21, timestamp: ${T} } },
           { measurement: 'first', payload: { count: 21.5, timestamp: ${T + 1} } },
         ]];`,
        2,
      );
      assert.equal(completed.length, 1);
      assert.equal(caught.length, 1);
      assert.equal(errorOf(caught[0]).code, 'InvalidMeasurementException');
      assert.match(errorOf(caught[0]).message, /field "count" of measurement "first" is an integer in the database, and 21\.5/);
      assert.deepEqual(types(kind, 'first'), [['count', 'integer']]);
      assert.deepEqual(stored(kind, 'first'), [
        [BigInt(T - 1000), 1n],
        [BigInt(T), 21n],
      ]);
    });

    it('a field changed on the server between two writes is picked up after one conflict', async () => {
      await kind.rawWrite(`second count=1i ${T - 1000}`);
      const func = `msg.measurement = 'second'; msg.payload = { count: 21, timestamp: ${T} + (context.get('n') ?? 0) };
                    context.set('n', (context.get('n') ?? 0) + 1); return msg;`;
      const { completed, caught } = await run(kind, func, 1);
      assert.equal(completed.length, 1);
      kind.server().store.drop('sensors', 'second');
      await kind.rawWrite(`second count=1.5 ${T - 1000}`);
      helper.getNode('fn').receive({ payload: '' });
      await waitFor(() => completed.length + caught.length === 2, 'the second message to end');
      assert.deepEqual(caught, []);
      assert.deepEqual(types(kind, 'second'), [['count', 'float']]);
      assert.deepEqual(stored(kind, 'second'), [
        [BigInt(T - 1000), 1.5],
        [BigInt(T + 1), 21],
      ]);
    });
  });
}

describe('the client options', () => {
  const client = (options: Record<string, unknown> = {}): Client =>
    new Client({ url: v3.url, token: TOKEN, database: 'library', version: 3, precision: 'ms', ...options });

  it('matchFieldTypes is off by default: the library writes numbers as floats, and the server refuses them', async () => {
    await post(`${v3.url}/api/v3/write_lp?db=library&precision=millisecond`, `lib count=1i ${T - 1000}`);
    await using plain = client();
    await assert.rejects(plain.write('lib', { count: 21, timestamp: T }), WriteFailedException);
    await using matching = client({ matchFieldTypes: true });
    await matching.write('lib', { count: 21, timestamp: T });
    await matching.write('lib', { count: 22, timestamp: T + 1 });
    assert.deepEqual(
      v3.store.points('library', 'lib').map((point) => point.fields.count),
      [1n, 21n, 22n],
    );
  });

  it("invalidValues 'omit' leaves NaN and Infinity out; 'refuse' (the default) refuses the point", async () => {
    await using refusing = client();
    await assert.rejects(refusing.write('nan', { a: NaN, b: 1, timestamp: T }), /field "a" is NaN, which InfluxDB cannot store/);
    await using omitting = client({ invalidValues: 'omit' });
    await omitting.write('nan', { a: NaN, b: 1, c: Infinity, timestamp: T });
    assert.deepEqual(
      v3.store.points('library', 'nan').map((point) => point.fields),
      [{ b: 1 }],
    );
    assert.throws(() => client({ invalidValues: 'drop' }), /invalidValues "drop" is not one of 'refuse', 'omit'/);
  });
});
