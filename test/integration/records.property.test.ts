/**
 * Property: a random point, given in any record form of the WriteApi (a Point, the dict form, a
 * Measurement, line protocol text, a Buffer, an object read through its key lists, a data frame row,
 * a class instance), is written by every form as the same line, read back from a real influxd as
 * written, or refused by every form alike with an InvalidMeasurementException that names the record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Client,
  InvalidMeasurementException,
  Measurement,
  Point,
  WriteOptions,
  linesOfRecords,
  type FieldValue,
  type WriteRecord,
} from '../../src';
import { parseJson } from '../../src/core';
import { InfluxServer } from '../support/influxd';

const char = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(',', ' ', '=', '"', '\\', '#', 'é', '中', '😀') },
  { weight: 5, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '_', '-', '.') },
);
const text = (maxLength: number) => fc.string({ unit: char, minLength: 1, maxLength });
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.string({ unit: char, maxLength: 20 }),
);
const point = fc.record({
  name: text(10),
  tags: fc.dictionary(text(6), text(8), { maxKeys: 2 }),
  fields: fc.dictionary(text(6), fieldValue, { minKeys: 1, maxKeys: 3 }),
  time: fc.bigInt({ min: 0n, max: 4_000_000_000_000_000_000n }),
});
type Generated = { name: string; tags: Record<string, string>; fields: Record<string, FieldValue>; time: bigint };

class Reading {
  constructor(readonly values: Record<string, unknown>) {
    Object.assign(this, values);
  }
}

/** The point in every record form, each with the shape to read it by (when it needs one). */
function forms(p: Generated): Array<[string, WriteRecord[]]> {
  const built = new Point(p.name);
  for (const [key, value] of Object.entries(p.tags)) built.tag(key, value);
  for (const [key, value] of Object.entries(p.fields)) built.field(key, value);
  built.time(p.time);
  const tagKeys = Object.keys(p.tags);
  const fieldKeys = Object.keys(p.fields);
  const flat: Record<string, unknown> = { ...p.fields, ...p.tags, __time: p.time };
  const forms: Array<[string, WriteRecord[]]> = [
    ['Point', [built]],
    ['dict', [{ measurement: p.name, tags: p.tags, fields: p.fields, time: p.time }]],
    ['Measurement', [new Measurement({ name: p.name, tags: p.tags, timestamp: p.time, ...p.fields })]],
    ['keyed object', [flat, { measurementName: p.name, tagKeys, fieldKeys, timeKey: '__time' }]],
    ['data frame row', [[flat], { measurementName: p.name, tagColumns: tagKeys, timeColumn: '__time' }]],
    ['class instance', [new Reading(flat), { measurementName: p.name, tagKeys, fieldKeys, timeKey: '__time' }]],
  ];
  // A key that is a tag and a field at once cannot be one key of one object: the key-list forms cannot say it
  // (the other forms refuse it), so they are left out then; so is the class instance when a key is its own "values".
  const shared = tagKeys.some((key) => key in p.fields);
  return forms.filter(
    ([form]) =>
      !(shared && ['keyed object', 'data frame row', 'class instance'].includes(form)) &&
      !(form === 'class instance' && 'values' in flat),
  );
}

function linesOf(records: unknown[]): string[] | InvalidMeasurementException {
  try {
    const shape = records.length > 1 ? (records.at(-1) as object) : undefined;
    return linesOfRecords(shape === undefined ? records : records.slice(0, -1), 'ns', shape);
  } catch (error) {
    if (error instanceof InvalidMeasurementException) return error;
    throw error;
  }
}

let server: InfluxServer;
let client: Client;
let databases = 0;

before(async () => {
  server = await InfluxServer.start();
  client = new Client(server.dsn('unused'), { precision: 'ns' });
});
after(async () => {
  await client.close();
  await server.stop();
});

describe('records in every form', () => {
  it('agree on the line, and it is stored as written; or all refuse it, naming the record', async () => {
    let written = 0;
    await fc.assert(
      fc.asyncProperty(point, fc.nat(), async (p, pick) => {
        const results = forms(p).map(([form, records]) => [form, linesOf(records)] as const);
        const [, reference] = results[0] as readonly [string, string[] | InvalidMeasurementException];
        if (reference instanceof InvalidMeasurementException) {
          for (const [form, result] of results) {
            assert.ok(result instanceof InvalidMeasurementException, `${form} wrote what Point refused: ${reference.message}`);
            assert.match(result.message, /^records\[0\]/, form);
          }
          return;
        }
        const text = reference.join('\n');
        for (const [form, result] of results) assert.deepEqual(result, reference, form);
        assert.deepEqual(linesOf([text]), reference, 'the line as text');
        assert.deepEqual(linesOf([Buffer.from(text)]), reference, 'the line as a Buffer');
        // One form of them, written through the WriteApi and read back.
        const db = `rec_${++databases}`;
        await server.createDatabase(db);
        const [form, records] = forms(p)[pick % forms(p).length] as [string, WriteRecord[]];
        const writer = new Client(server.dsn(db), { precision: 'ns' }).writeApi(WriteOptions.SYNCHRONOUS);
        await writer.write(...records);
        await writer.close();
        written++;
        // Read with exact integers: ns times and int64 fields pass 2^53.
        const answer = parseJson(
          await (await fetch(`${server.url}/query?db=${db}&epoch=ns&q=${encodeURIComponent('SELECT * FROM /.*/')}`)).text(),
        ) as {
          results: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }>;
        };
        const series = answer.results[0]?.series?.[0];
        const rows = (series?.values ?? []).map((values) =>
          Object.fromEntries((series?.columns ?? []).map((column, i) => [column, values[i]])),
        );
        assert.equal(rows.length, 1, form);
        const row = rows[0] as Record<string, unknown>;
        assert.equal(BigInt(row.time as number | bigint), p.time, `${form}: time`);
        for (const [key, value] of Object.entries(p.tags)) assert.equal(row[key], value, `${form}: tag ${key}`);
        for (const [key, value] of Object.entries(p.fields)) {
          const got = row[key];
          if (typeof value === 'bigint') assert.equal(BigInt(got as number | bigint), value, `${form}: field ${key}`);
          else if (typeof got === 'bigint') assert.equal(Number(got), value, `${form}: field ${key}`);
          else assert.equal(got, value, `${form}: field ${key}`);
        }
      }),
      { numRuns: 80 },
    );
    assert.ok(written > 20, `only ${written} written`);
  });
});
