/**
 * A string field may hold a line break (InfluxDB 1.x, 2.x and 3 keep it inside the quotes), and nothing
 * may ever cut a body there: isolating a rejected point, replaying the spool, or anything else. Against a
 * real influxd: what is stored is exactly the points of the messages acknowledged as written, and no
 * fragment of a value ever becomes a point.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { BatchWriter, Client, InfluxDBException, InvalidMeasurementException, linesOfRecords, Spool } from '../../src';
import { helper, loadFunctionFlow, waitFor } from '../support/flows';
import { freePort, InfluxServer } from '../support/influxd';

/** The message of the report: two string values that, cut at their line breaks, read as a point "evil". */
const INJECTION = { a: 'P\nevil,host=x v=777,z=', b: ' 1700000000000\nQ' };

let server: InfluxServer;
let databases = 0;
const folders: string[] = [];

before(async () => {
  server = await InfluxServer.start();
});
afterEach(async () => {
  await helper.unload();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
after(async () => {
  await server.stop();
});

/** A fresh database where field "v" of "m" is a float: a message that sends it as text is rejected (a type conflict). */
async function database(): Promise<string> {
  const db = `framing_${++databases}`;
  await server.createDatabase(db);
  // In the same shard as the points (1.x checks field types per shard).
  await server.rawWrite(db, 'm,seq=baseline v=1 1700000000000', 'ms');
  return db;
}

interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, unknown>;
  time: number;
}

/** Every point of every measurement in the database, the baseline left out, sorted by measurement, series and time. */
async function everything(db: string): Promise<StoredPoint[]> {
  const answer = await server.rawQuery('SELECT * FROM /.*/ GROUP BY *', { db, epoch: 'ms' });
  const points: StoredPoint[] = [];
  for (const series of answer.results[0]?.series ?? []) {
    for (const row of series.values) {
      const fields: Record<string, unknown> = {};
      series.columns.forEach((column, i) => {
        if (i > 0 && row[i] !== null) fields[column] = row[i];
      });
      // GROUP BY * names every tag key of the measurement: one a series lacks comes back empty.
      const tags = Object.fromEntries(Object.entries(series.tags ?? {}).filter(([, value]) => value !== ''));
      points.push({ measurement: series.name, tags, fields, time: row[0] as number });
    }
  }
  return sorted(points.filter((point) => point.tags.seq !== 'baseline'));
}

const keyOf = (point: StoredPoint): string => `${point.measurement}\u0000${JSON.stringify(point.tags)}\u0000${point.time}`;
const sorted = (points: StoredPoint[]): StoredPoint[] => points.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));

interface Reading {
  seq: number;
  tag: string;
  fields: Record<string, string | number>;
}

const pointOf = (reading: Reading): StoredPoint => ({
  measurement: 'm',
  tags: { seq: String(reading.seq), ...(reading.tag === '' ? {} : { t: reading.tag }) },
  fields: reading.fields,
  time: 1_700_000_000_000 + reading.seq,
});

const linesOf = (reading: Reading): string[] => {
  const { measurement, tags, fields, time } = pointOf(reading);
  return linesOfRecords([{ measurement, tags, fields, time }], 'ms');
};

/** Writes each reading as one entry of a batch writer, in one batch; what each acknowledgement said. */
async function writeTogether(
  writer: BatchWriter,
  readings: readonly Reading[],
): Promise<Map<number, InfluxDBException | undefined>> {
  const outcomes = new Map<number, InfluxDBException | undefined>();
  for (const reading of readings) writer.add(linesOf(reading), (error) => outcomes.set(reading.seq, error));
  await writer.flush();
  assert.equal(outcomes.size, readings.length, 'every entry acknowledged');
  return outcomes;
}

describe('a line break inside a string value, next to a point the server rejects', () => {
  it('through the batch writer: the rejected message fails alone, the other is stored as sent, and no point "evil" appears', async () => {
    const db = await database();
    const client = new Client(server.dsn(db), { precision: 'ms' });
    const writer = new BatchWriter(client, { batchSize: 100, flushInterval: 0 });
    const innocent: Reading = { seq: 1, tag: 'ok', fields: { ...INJECTION } };
    const rejected: Reading = { seq: 2, tag: 'bad', fields: { v: 'text where a float is stored' } };
    const outcomes = await writeTogether(writer, [innocent, rejected]);
    await writer.close();
    await client.close();
    assert.equal(outcomes.get(1), undefined);
    assert.match(String(outcomes.get(2)?.message), /field type conflict/);
    assert.deepEqual(await everything(db), [pointOf(innocent)]);
  });

  it('through the spool and its replay: the record is cut into its points where they end, and only the rejected one is dropped', async () => {
    const db = await database();
    const folder = mkdtempSync(path.join(tmpdir(), 'inflow-framing-'));
    folders.push(folder);
    // First the server is away (a port nobody listens on): both messages are acknowledged once on disk.
    const away = new Client(`http://127.0.0.1:${await freePort()}/${db}`, { precision: 'ms', timeout: 1000 });
    const spool = Spool.open(folder);
    const offline = new BatchWriter(away, { batchSize: 100, flushInterval: 0, spool, retry: { firstDelay: 60_000 } });
    const innocent: Reading = { seq: 1, tag: 'ok', fields: { ...INJECTION } };
    const rejected: Reading = { seq: 2, tag: 'bad', fields: { v: 'text' } };
    const outcomes = await writeTogether(offline, [innocent, rejected]);
    assert.deepEqual([...outcomes.values()], [undefined, undefined], 'done once on disk');
    await offline.close();
    await away.close();
    await spool.close();
    // Then it is back: the spool is replayed into it.
    const reopened = Spool.open(folder);
    assert.equal(reopened.records, 1);
    const client = new Client(server.dsn(db), { precision: 'ms' });
    const dropped: string[] = [];
    const online = new BatchWriter(client, {
      batchSize: 100,
      flushInterval: 0,
      spool: reopened,
      onRejectedFromSpool: (_error, lines) => dropped.push(...lines),
    });
    online.startReplay();
    await online.replayed();
    await online.close();
    await client.close();
    await reopened.close();
    assert.deepEqual(dropped, linesOf(rejected), 'the rejected point alone is dropped, whole');
    assert.deepEqual(await everything(db), [pointOf(innocent)]);
  });

  it('through a Node-RED flow, the payload built in a Function node: the same', async () => {
    const db = await database();
    const { caught, completed } = await loadFunctionFlow(
      { dsn: server.dsn(db) },
      `node.send({ seq: 1, payload: { a: ${JSON.stringify(INJECTION.a)}, b: ${JSON.stringify(INJECTION.b)}, tags: { seq: '1' }, timestamp: 1700000000001 } });
       node.send({ seq: 2, payload: { v: 'text', tags: { seq: '2' }, timestamp: 1700000000002 } });
       return null;`,
      { out: { measurement: 'm', autocommitEvery: 10, flushInterval: 50 } },
    );
    helper.getNode('fn').receive({ payload: 'go' });
    await waitFor(() => caught.length + completed.length === 2, 'both messages done');
    assert.deepEqual(
      completed.map((msg) => msg.seq),
      [1],
    );
    assert.deepEqual(
      caught.map((msg) => msg.seq),
      [2],
    );
    assert.match(String((caught[0]?.error as { message?: unknown }).message), /field type conflict/);
    assert.deepEqual(await everything(db), [
      { measurement: 'm', tags: { seq: '1' }, fields: { a: INJECTION.a, b: INJECTION.b }, time: 1_700_000_000_001 },
    ]);
  });
});

describe('a backslash of the input before a delimiter in a tag, beside a string holding a line break', () => {
  it('is refused before anything is sent: InfluxDB would read the tag one way and the line another, and store "INJECTED"', async () => {
    const db = await database();
    const client = new Client(server.dsn(db), { precision: 'ms' });
    const crafted = [
      { tags: { t: 'a\\ b\\,c' }, fields: { s: 'x\nINJECTED,host=evil v=666 0\n' } },
      { tags: { p: 'p\\ q\\=r"s' }, fields: { s: 'y\nINJECTED,host=evil v=667 0\n' } },
      { tags: { 'k\\ ': 'v' }, fields: { s: 'z\nINJECTED v=668 0' } },
    ];
    for (const { tags, fields } of crafted) {
      await assert.rejects(
        client.write([{ measurement: 'm', tags, fields, time: 1_700_000_000_001 }]),
        (error: unknown) => error instanceof InvalidMeasurementException && /has a backslash before/.test(error.message),
      );
    }
    // Through a batch writer beside an innocent message: the crafted one fails alone, the innocent one is stored.
    const writer = new BatchWriter(client, { batchSize: 100, flushInterval: 0 });
    const outcomes: Array<InfluxDBException | undefined> = [];
    writer.add(linesOf({ seq: 1, tag: 'ok', fields: { v: 1 } }), (error) => outcomes.push(error));
    let crafting: unknown;
    try {
      linesOfRecords([{ measurement: 'm', tags: crafted[0]?.tags, fields: crafted[0]?.fields ?? {}, time: 1 }], 'ms');
    } catch (error) {
      crafting = error;
    }
    assert.ok(crafting instanceof InvalidMeasurementException);
    await writer.close();
    await client.close();
    assert.deepEqual(outcomes, [undefined]);
    assert.deepEqual(await everything(db), [pointOf({ seq: 1, tag: 'ok', fields: { v: 1 } })]);
  });
});

describe('property: random string values and tags in batches with random rejections', () => {
  const SPECIAL = ['\n', '"', '\\', '=', ',', ' ', '\r', '#', 'é', '😀', '\t'];
  const char = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
    { weight: 3, arbitrary: fc.constantFrom('a', 'b', '1', 'v', '.') },
  );
  const text = fc.string({ unit: char, maxLength: 24 });
  // Now and then the two values of the report, whose fragments would be a valid point.
  const values = fc.oneof(
    { weight: 4, arbitrary: fc.record({ a: text, b: text }) },
    { weight: 1, arbitrary: fc.constant(INJECTION) },
  );
  const reading = fc
    .record({ rejected: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0), tag: text, values })
    .map(({ rejected, tag, values: { a, b } }) => ({ rejected, tag, a, b }));
  const messages = fc.array(reading, { minLength: 2, maxLength: 30 });

  /** The readings the serializer takes (a tag with a line break it refuses, as it must), numbered. */
  function readingsOf(drawn: ReadonlyArray<{ rejected: boolean; tag: string; a: string; b: string }>): Reading[] {
    const readings: Reading[] = [];
    drawn.forEach(({ rejected, tag, a, b }, seq) => {
      const candidate: Reading = { seq, tag, fields: rejected ? { v: a } : { a, b, v: 2 } };
      try {
        linesOf(candidate);
        readings.push(candidate);
      } catch {
        // refused before anything is sent: not part of what is written
      }
    });
    return readings;
  }

  it('through isolation: what is stored equals exactly the points of the messages acknowledged as written', async () => {
    const db = await database();
    const client = new Client(server.dsn(db), { precision: 'ms' });
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(messages, async (drawn) => {
          const run = `run${++runs}`;
          await server.rawQuery(`DROP SERIES FROM m WHERE seq != 'baseline'`, { db });
          const readings = readingsOf(drawn);
          const writer = new BatchWriter(client, { batchSize: 1000, flushInterval: 0 });
          const outcomes = await writeTogether(writer, readings);
          await writer.close();
          const written = readings.filter((one) => outcomes.get(one.seq) === undefined);
          for (const one of readings) {
            const error = outcomes.get(one.seq);
            if (typeof one.fields.v === 'string')
              assert.ok(error !== undefined, `${run}: a rejected message was acknowledged as written`);
            else assert.equal(error, undefined, `${run}: message ${one.seq} failed: ${String(error?.message)}`);
          }
          assert.deepEqual(await everything(db), sorted(written.map(pointOf)), run);
        }),
        { numRuns: 40 },
      );
    } finally {
      await client.close();
    }
  });

  it('through the spool and its replay: every point but the rejected ones stored, and nothing else', async () => {
    const db = await database();
    const client = new Client(server.dsn(db), { precision: 'ms' });
    const away = new Client(`http://127.0.0.1:${await freePort()}/${db}`, { precision: 'ms', timeout: 1000 });
    try {
      await fc.assert(
        fc.asyncProperty(messages, async (drawn) => {
          await server.rawQuery(`DROP SERIES FROM m WHERE seq != 'baseline'`, { db });
          const folder = mkdtempSync(path.join(tmpdir(), 'inflow-framing-'));
          folders.push(folder);
          const readings = readingsOf(drawn);
          const spool = Spool.open(folder);
          // Several records: batches of a few entries each.
          const offline = new BatchWriter(away, { batchSize: 1000, flushInterval: 0, spool, retry: { firstDelay: 60_000 } });
          for (let i = 0; i < readings.length; i += 4) await writeTogether(offline, readings.slice(i, i + 4));
          await offline.close();
          const replaying = new BatchWriter(client, { batchSize: 1000, flushInterval: 0, spool });
          replaying.startReplay();
          await replaying.replayed();
          await replaying.close();
          assert.equal(spool.empty, true, 'the spool is emptied');
          await spool.close();
          const expected = readings.filter((one) => typeof one.fields.v !== 'string').map(pointOf);
          assert.deepEqual(await everything(db), sorted(expected));
        }),
        { numRuns: 25 },
      );
    } finally {
      await client.close();
      await away.close();
    }
  });
});
