/**
 * Property, through inflow out and a real influxd: every message is either read back from the
 * server exactly as sent, or failed, alone, with a clear error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJson } from '../../src/core';
import { InfluxServer } from '../support/influxd';
import { helper, inflowNodes, waitFor, watched, watchersOf } from '../support/flows';

const text = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'x', '1', '_', '-') },
    { weight: 1, arbitrary: fc.constantFrom(',', ' ', '=', '"', '\\', '\n', '\t', '#', 'é', '😀') },
  ),
  minLength: 0,
  maxLength: 8,
});
const fieldValue = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.boolean(),
  text,
  fc.constantFrom(null, undefined, {}, [1]),
);
const payload = fc.oneof(
  fc.dictionary(text, fieldValue, { maxKeys: 3 }),
  fc
    .record(
      {
        fields: fc.dictionary(text, fieldValue, { maxKeys: 3 }),
        tags: fc.dictionary(text, fc.oneof(text, fc.integer(), fc.boolean()), { maxKeys: 2 }),
      },
      { requiredKeys: ['fields'] },
    )
    .map(({ fields, tags }) => ({ ...fields, ...(tags === undefined ? {} : { tags }) })),
  fieldValue.map((value) => value),
);

const CLEAR =
  /is NaN|is Infinity|is -Infinity|of type|is empty|no field to write|line break|reserved|64-bit integer range|both a tag and a field|backslash|starts with|lone UTF-16|is a |must be an object/;

let server: InfluxServer;
let round = 0;
before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase('prop');
  await helper.load(inflowNodes, [
    { id: 'tab', type: 'tab' },
    { id: 'cfg', type: 'inflow-config', dsn: server.dsn('prop'), precision: 'ms', timeout: 5000 },
    {
      id: 'out',
      type: 'inflow out',
      z: 'tab',
      server: 'cfg',
      measurement: 'unused',
      autocommitEvery: 25,
      flushInterval: 50,
      wires: [],
    },
    ...watchersOf('out'),
  ]);
});
after(async () => {
  await helper.unload();
  await server.stop();
});

function expectedFields(sent: unknown): Record<string, unknown> {
  const object = typeof sent === 'object' && sent !== null ? (sent as Record<string, unknown>) : { value: sent };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === 'tags' || key === 'timestamp' || value === null || value === undefined) continue;
    // Every field as sent, -0 with its sign.
    fields[key] = value;
  }
  return fields;
}

function expectedTags(sent: unknown): Record<string, string> {
  const tags = (typeof sent === 'object' && sent !== null ? (sent as { tags?: Record<string, unknown> }).tags : undefined) ?? {};
  return Object.fromEntries(
    Object.entries(tags)
      .map(([key, value]): [string, string] => [key, String(value)])
      .filter(([, value]) => value !== ''),
  );
}

describe('payload property through inflow out', () => {
  it('every message is read back exactly as sent, or failed alone with a clear error', async () => {
    const { caught, completed } = watched();
    let written = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 15 }), async (payloads) => {
        const run = ++round;
        caught.length = 0;
        completed.length = 0;
        const out = helper.getNode('out');
        payloads.forEach((sent, i) => {
          const body =
            typeof sent === 'object' && sent !== null && !Array.isArray(sent)
              ? { ...sent, timestamp: 1_700_000_000_000 + i }
              : sent;
          out.receive({ seq: i, measurement: `r${run}_${i}`, payload: body });
        });
        await waitFor(() => caught.length + completed.length === payloads.length, 'every message settled', 15_000);
        for (const msg of caught) {
          const error = msg.error as { code: string; message: string };
          assert.match(error.message, CLEAR, `unclear: ${error.message}`);
        }
        for (const msg of completed) {
          const i = msg.seq as number;
          const response = await fetch(
            `${server.url}/query?db=prop&epoch=ms&q=${encodeURIComponent(`SELECT * FROM "r${run}_${i}" GROUP BY *`)}`,
          );
          const answer = parseJson(await response.text()) as {
            results: Array<{ series?: Array<{ tags?: Record<string, string>; columns: string[]; values: unknown[][] }> }>;
          };
          const series = answer.results[0]?.series?.[0];
          assert.ok(series, `message ${i} was done but nothing is stored`);
          const row = series.values[0] ?? [];
          const stored: Record<string, unknown> = {};
          series.columns.forEach((column, c) => c > 0 && row[c] !== null && (stored[column] = row[c]));
          const expected = expectedFields(payloads[i]);
          assert.deepEqual(Object.keys(stored).sort(), Object.keys(expected).sort());
          for (const [key, value] of Object.entries(expected)) {
            const got = stored[key];
            if (typeof value === 'bigint') assert.equal(BigInt(got as number | bigint), value);
            else if (typeof got === 'bigint') assert.equal(Number(got), value);
            else assert.equal(got, value);
          }
          assert.deepEqual(series.tags ?? {}, expectedTags(payloads[i]));
          written++;
        }
      }),
      { numRuns: 40 },
    );
    assert.ok(written > 50, `only ${written} messages written: the generator tests too little`);
  });
});
