/**
 * Property: any point, with names, keys and values drawn from unicode and every character line
 * protocol treats specially, is either read back from a real influxd exactly as written, or refused
 * before sending with an InvalidMeasurementException that says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Client, InvalidMeasurementException, type FieldValue } from '../../src';
import { parseJson } from '../../src/core';
import { InfluxServer } from '../support/influxd';

const SPECIAL = [',', ' ', '=', '"', '\\', '\t', '\r', '\n', '#', "'", '\u0000', 'é', 'ß', '中', '😀', '\u200b'];
const char = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '_', '-', '.') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
const text = (maxLength: number) => fc.string({ unit: char, minLength: 1, maxLength });
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.string({ unit: char, maxLength: 40 }),
);
const point = fc.record({
  name: text(12),
  tags: fc.dictionary(text(8), fc.oneof(text(10), fc.constant('')), { maxKeys: 3 }),
  fields: fc.dictionary(text(8), fieldValue, { minKeys: 1, maxKeys: 3 }),
  timestamp: fc.bigInt({ min: -9_000_000_000_000_000_000n, max: 9_000_000_000_000_000_000n }),
});

// Every reason a point may be refused; anything else is a bug.
const KNOWN_REFUSALS =
  /line break|backslash|starts with "#"|skips as white space|reserved by InfluxDB|both a tag and a field|lone UTF-16 surrogate/;

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

describe('round trip through a real influxd', () => {
  it('every generated point is read back identical or refused with a clear reason', async () => {
    let written = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(point, async (p) => {
        const db = `rt_${++databases}`;
        await server.createDatabase(db);
        try {
          await client.write([{ name: p.name, tags: p.tags, fields: p.fields, timestamp: p.timestamp }], { database: db });
        } catch (error) {
          assert.ok(error instanceof InvalidMeasurementException, `unexpected ${String(error)}`);
          assert.match(error.message, KNOWN_REFUSALS);
          refused++;
          return;
        }
        written++;
        const response = await fetch(
          `${server.url}/query?db=${db}&epoch=ns&q=${encodeURIComponent('SELECT * FROM /.*/ GROUP BY *')}`,
        );
        const answer = parseJson(await response.text()) as {
          results: Array<{
            series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
          }>;
        };
        const series = answer.results[0]?.series ?? [];
        assert.equal(
          series.length,
          1,
          `one series expected, got ${JSON.stringify(series, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
        );
        const [stored] = series;
        assert.ok(stored);
        assert.equal(stored.name, p.name);
        const expectedTags = Object.fromEntries(Object.entries(p.tags).filter(([, value]) => value !== ''));
        assert.deepEqual(stored.tags ?? {}, expectedTags);
        const row = stored.values[0] ?? [];
        assert.equal(BigInt(row[0] as number | bigint), p.timestamp);
        const storedFields: Record<string, unknown> = {};
        stored.columns.forEach((column, i) => {
          if (i > 0 && row[i] !== null) storedFields[column] = row[i];
        });
        // Every field as sent, -0 with its sign.
        const expectedFields = p.fields;
        assert.deepEqual(Object.keys(storedFields).sort(), Object.keys(expectedFields).sort());
        for (const [key, value] of Object.entries(expectedFields)) {
          const got = storedFields[key];
          if (typeof value === 'bigint') assert.equal(BigInt(got as number | bigint), value, `field ${key}`);
          // A whole float beyond 2^53 comes back as the bigint of the digits the server wrote; Number() of it is the float.
          else if (typeof got === 'bigint') assert.equal(Number(got), value, `field ${key}`);
          else assert.equal(got, value, `field ${key}`);
        }
      }),
      { numRuns: 250 },
    );
    assert.ok(written > refused, `only ${written} written against ${refused} refused: the generator tests too little`);
  });
});
