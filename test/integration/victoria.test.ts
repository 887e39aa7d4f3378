/**
 * VictoriaMetrics, honestly: a real one, found by `/ping` (it names no InfluxDB version), written to with
 * the write forms and read back through its own export API; what it would store wrongly (string fields as
 * 0, times below a millisecond cut) is refused before sending, each point alone, unless the loss is
 * accepted; and a query, which it would answer with SHOW DATABASES, is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchWriter,
  Client,
  ConfigurationException,
  InvalidMeasurementException,
  Measurement,
  UnauthorizedException,
  describeServer,
} from '../../src';
import { VictoriaServer, VmAuth, type Exported } from '../support/victoria';

const VMAUTH_TOKEN = 'vmauth-test-token';
let vm: VictoriaServer;
let auth: VmAuth;
let counter = 0;
const T = 1_700_000_000_000;

before(async () => {
  vm = await VictoriaServer.start();
  auth = await VmAuth.start(vm, VMAUTH_TOKEN);
});
after(async () => {
  await auth?.stop();
  await vm?.stop();
});

/** Polls the export API until `count` series match (VictoriaMetrics makes points searchable within a second or so). */
async function series(selector: string, count: number): Promise<Exported[]> {
  let found: Exported[] = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    found = await vm.exported(selector);
    if (found.length >= count) return found;
  }
  return found;
}

const fresh = (): string => `vm${++counter}`;

describe('VictoriaMetrics', () => {
  it('is found by /ping: it names no InfluxDB version', async () => {
    const client = new Client(vm.dsn('sensors'), { version: 'auto' });
    const found = { api: 'victoriametrics', version: undefined, product: undefined };
    assert.deepEqual(await client.detectServer(), found);
    assert.deepEqual(client.server, found);
    await client.close();
  });

  it('takes the write forms, and stores them where its export API finds them', async () => {
    const db = fresh();
    const client = new Client(vm.dsn(db), { version: 'auto', precision: 'ms' });
    await client.write('temperature', { tags: { room: 'hall' }, value: 21.5, timestamp: T });
    await client.write([new Measurement({ name: 'temperature', tags: { room: 'attic' }, value: 19, timestamp: T + 1 })]);
    await client.write({ name: 'power', tags: { site: 'w' } }, [{ watts: 412.5, n: 3n, timestamp: T + 2 }]);
    const stored = await series(`{db="${db}"}`, 4);
    const byName = stored
      .map((s) => `${s.metric.__name__}{${s.metric.room ?? s.metric.site}} ${s.values.join(',')} @${s.timestamps.join(',')}`)
      .sort();
    assert.deepEqual(byName, [
      `power_n{w} 3 @${T + 2}`,
      `power_watts{w} 412.5 @${T + 2}`,
      `temperature_value{attic} 19 @${T + 1}`,
      `temperature_value{hall} 21.5 @${T}`,
    ]);
    await client.close();
  });

  it('refuses a string field, which it would store as 0, and writes it when the loss is accepted', async () => {
    const db = fresh();
    const client = new Client(vm.dsn(db), { version: 'victoriametrics' });
    await assert.rejects(client.write('relay', { state: 'on', timestamp: 1_700_000_000 }), (error: unknown) => {
      assert.ok(error instanceof InvalidMeasurementException);
      assert.match(error.message, /field "state" is a string, which VictoriaMetrics stores as 0/);
      return true;
    });
    const lossy = new Client(vm.dsn(db), { version: 'victoriametrics', acceptLoss: true });
    await lossy.write('relay', { state: 'on', timestamp: 1_700_000_000 });
    assert.deepEqual(
      (await series(`{db="${db}"}`, 1)).map((s) => [s.metric.__name__, s.values]),
      [['relay_state', [0]]],
    );
    await client.close();
    await lossy.close();
  });

  it('refuses a string holding a line break even when the loss is accepted: it would read the rest as a point of its own', async () => {
    const db = fresh();
    const lossy = new Client(vm.dsn(db), { version: 'victoriametrics', acceptLoss: true });
    await assert.rejects(lossy.write('relay', { state: 'on\nevil v=777', timestamp: 1_700_000_000 }), (error: unknown) => {
      assert.ok(error instanceof InvalidMeasurementException);
      assert.match(error.message, /field "state" holds a line break, which VictoriaMetrics reads as the end of the line/);
      return true;
    });
    await lossy.write('relay', { state: 'on', timestamp: 1_700_000_001 });
    assert.deepEqual(
      (await series(`{db="${db}"}`, 1)).map((s) => s.metric.__name__),
      ['relay_state'],
    );
    await lossy.close();
  });

  it('refuses times finer than a millisecond, which it would cut, and takes whole milliseconds at u and ns', async () => {
    const db = fresh();
    const client = new Client(vm.dsn(db), { version: 'victoriametrics', precision: 'u' });
    await assert.rejects(
      client.write('m', { v: 1, timestamp: 1_700_000_000_000_001 }),
      /finer than a millisecond, which VictoriaMetrics cuts off/,
    );
    await client.write('m', { v: 2, timestamp: 1_700_000_000_001_000 });
    assert.deepEqual(
      (await series(`{db="${db}"}`, 1)).map((s) => s.timestamps),
      [[1_700_000_000_001]],
    );
    await client.close();
  });

  it('refuses a query, which it would answer with the answer of SHOW DATABASES', async () => {
    const client = new Client(vm.dsn('sensors'), { version: 'auto' });
    await assert.rejects(client.query('SELECT * FROM temperature'), (error: unknown) => {
      assert.ok(error instanceof ConfigurationException);
      assert.match(error.message, /VictoriaMetrics, which has no InfluxQL/);
      return true;
    });
    await client.close();
  });

  it('in a batch, only the entry with a point it would store wrongly fails; the others are written', async () => {
    const db = fresh();
    const client = new Client(vm.dsn(db), { version: 'victoriametrics', precision: 'ms' });
    const writer = new BatchWriter(client, { batchSize: 10, flushInterval: 0 });
    const outcomes: Array<string | undefined> = [];
    for (const [i, field] of ['v=1', 'v="text"', 'v=3'].entries())
      writer.add(`batch ${field} ${T + i}`, (error) => outcomes.push(error?.code));
    await writer.close();
    assert.deepEqual(outcomes.sort(), ['InvalidMeasurementException', undefined, undefined].sort());
    assert.deepEqual(
      (await series(`{db="${db}"}`, 1)).map((s) => s.values.sort()),
      [[1, 3]],
    );
    await client.close();
  });

  it('with the loss accepted, in a batch, an entry whose string holds a line break fails alone; nothing of it is stored', async () => {
    const db = fresh();
    const client = new Client(vm.dsn(db), { version: 'victoriametrics', precision: 'ms', acceptLoss: true });
    const writer = new BatchWriter(client, { batchSize: 10, flushInterval: 0 });
    const outcomes = new Map<number, string | undefined>();
    const entries = ['kept v=1', 'kept s="x\nINJECTED,host=evil v=666",v=2', 'kept v=3'];
    entries.forEach((entry, i) => writer.add(`${entry} ${T + i}`, (error) => outcomes.set(i, error?.code)));
    await writer.close();
    assert.deepEqual([...outcomes.entries()].sort(), [
      [0, undefined],
      [1, 'InvalidMeasurementException'],
      [2, undefined],
    ]);
    assert.deepEqual(
      (await series(`{db="${db}"}`, 1)).map((s) => [s.metric.__name__, s.values.sort()]),
      [['kept_v', [1, 3]]],
    );
    await client.close();
  });

  it('through a real vmauth: the token goes as Bearer, as vmauth wants it; a wrong one is refused', async () => {
    const db = fresh();
    const client = new Client(`${auth.url}/${db}`, { version: 'auto', precision: 'ms', token: VMAUTH_TOKEN });
    assert.equal(describeServer(await client.detectServer()), 'VictoriaMetrics');
    await client.write('guarded', { value: 5, timestamp: T });
    assert.deepEqual(
      (await series(`{db="${db}"}`, 1)).map((s) => `${s.metric.__name__} ${s.values.join(',')}`),
      ['guarded_value 5'],
    );
    await client.close();
    const wrong = new Client(`${auth.url}/${db}`, { version: 'victoriametrics', precision: 'ms', token: 'not-the-token' });
    await assert.rejects(wrong.write('guarded', { value: 6, timestamp: T + 1 }), (error: Error) => {
      assert.ok(error instanceof UnauthorizedException);
      // vmauth quotes the token it refused: the message must not.
      assert.doesNotMatch(`${error.message} ${error.serverMessage ?? ''}`, /not-the-token/);
      return true;
    });
    await wrong.close();
  });

  it('a retention policy is refused: VictoriaMetrics would ignore it', async () => {
    const client = new Client(vm.dsn(fresh()), { version: 'victoriametrics', retentionPolicy: 'week' });
    await assert.rejects(
      client.write('r', { value: 1 }),
      (error: Error) => error instanceof ConfigurationException && /ignores it/.test(error.message),
    );
    await client.close();
  });
});
