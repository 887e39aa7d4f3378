/**
 * Bad input through inflow out: every kind gets a clear error on its own message, the node keeps
 * working, and no other message is touched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { helper, inflowNodes, waitFor, watched, watchersOf } from '../support/flows';

const circular: Record<string, unknown> = { value: 1 };
circular.self = circular;

// [what, msg properties, what the error must say]
const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
  ['NaN', { payload: Number.NaN }, /is NaN/],
  ['Infinity', { payload: Number.POSITIVE_INFINITY }, /is Infinity/],
  ['-Infinity', { payload: Number.NEGATIVE_INFINITY }, /is -Infinity/],
  ['a NaN field', { payload: { value: Number.NaN } }, /field "value" is NaN/],
  ['an Infinity field', { payload: { value: Number.POSITIVE_INFINITY } }, /field "value" is Infinity/],
  ['a nested object', { payload: { value: { celsius: 21 } } }, /field "value" is of type Object/],
  ['an array field', { payload: { value: [1, 2] } }, /field "value" is of type array/],
  ['a symbol', { payload: Symbol('x') }, /msg.payload is a symbol/],
  ['a symbol field', { payload: { value: Symbol('x') } }, /field "value" is of type symbol/],
  ['a function', { payload: () => 1 }, /msg.payload is a function/],
  ['a function field', { payload: { value: () => 1 } }, /field "value" is of type function/],
  ['a circular object', { payload: circular }, /field "self" is of type Object/],
  ['a Buffer', { payload: Buffer.from('21.5') }, /msg.payload is a Buffer/],
  ['a Buffer field', { payload: { value: Buffer.from('x') } }, /field "value" is of type Buffer/],
  ['a Map', { payload: new Map([['value', 1]]) }, /msg.payload is a Map/],
  ['a Set', { payload: new Set([1]) }, /msg.payload is a Set/],
  ['a Date as the payload', { payload: new Date() }, /msg.payload is a Date/],
  ['a Date as a field', { payload: { value: new Date() } }, /field "value" is of type Date/],
  ['null', { payload: null }, /msg.payload is empty/],
  ['undefined', { payload: undefined }, /msg.payload is empty/],
  ['an empty object', { payload: {} }, /has no field to write/],
  ['only null fields', { payload: { a: null, b: undefined } }, /has no field to write/],
  ['an empty array', { payload: [] }, /empty array: nothing to write/],
  ['an array of nulls', { payload: [null] }, /msg.payload\[0\] is a null/],
  ['an array of numbers', { payload: [1, 2] }, /msg.payload\[0\] is a number: each row must be an object/],
  ['a bad row among good ones', { payload: [{ value: 1 }, { value: {} }] }, /msg.payload\[1\]: field "value" is of type Object/],
  ['a newline in msg.measurement', { measurement: 'a\nb', payload: 1 }, /measurement name "a\\nb" contains a line break/],
  [
    'a newline in a tag value',
    { payload: { value: 1, tags: { room: 'a\nb' } } },
    /value "a\\nb" of tag "room" contains a line break/,
  ],
  ['a newline in a field key', { payload: { 'a\nb': 1 } }, /field key "a\\nb" contains a line break/],
  ['time as a field', { payload: { time: 1, value: 2 } }, /field key "time" is reserved/],
  ['time as a tag', { payload: { value: 1, tags: { time: 'now' } } }, /tag key "time" is reserved/],
  ['a bigint above int64', { payload: 9_223_372_036_854_775_808n }, /outside the 64-bit integer range/],
  ['a bigint below int64', { payload: { n: -9_223_372_036_854_775_809n } }, /outside the 64-bit integer range/],
  ['tags that are text', { payload: { value: 1, tags: 'room=hall' } }, /tags must be an object, not string/],
  ['a tag that is an object', { payload: { value: 1, tags: { room: {} } } }, /tag "room" is of type Object/],
  ['a tag that is NaN', { payload: { value: 1, tags: { room: Number.NaN } } }, /tag "room" is NaN/],
  ['an empty tag key', { payload: { value: 1, tags: { '': 'x' } } }, /tag key "" is empty/],
  ['an empty field key', { payload: { '': 1 } }, /field key "" is empty/],
  ['a tag and a field of one name', { payload: { room: 1, tags: { room: 'hall' } } }, /"room" is both a tag and a field/],
  ['a measurement starting with #', { measurement: '#cpu', payload: 1 }, /starts with "#"/],
  ['a measurement ending in a backslash', { measurement: 'cpu\\', payload: 1 }, /ends in a backslash/],
  ['a field key with a backslash before a quote', { payload: { 'a\\"': 1 } }, /backslash before/],
  ['a lone surrogate in a string field', { payload: { text: 'a\ud800' } }, /lone UTF-16 surrogate/],
  ['a number measurement', { measurement: 5, payload: 1 }, /msg.measurement must be a string, not number/],
  ['a number database', { database: 5, payload: 1 }, /msg.database must be a string, not number/],
  ['an object retention policy', { retentionPolicy: {}, payload: 1 }, /msg.retentionPolicy must be a string, not Object/],
  ['a text template', { template: 'power', payload: [{ value: 1 }] }, /msg.template must be an object/],
  [
    'template tags that are a number',
    { template: { name: 'p', tags: 5 }, payload: [{ value: 1 }] },
    /msg.template.tags must be an object/,
  ],
  ['a dict-form measurement with empty fields', { payload: { measurement: 'm', fields: {} } }, /has no field to write/],
  ['a dict-form measurement with a NaN field', { payload: { measurement: 'm', fields: { v: Number.NaN } } }, /field "v" is NaN/],
  ['a fractional timestamp', { payload: { value: 1, timestamp: 1.5 } }, /not a whole number of milliseconds/],
  ['a text timestamp that is no date', { payload: { value: 1, timestamp: 'yesterday' } }, /is not an RFC3339 date/],
  ['an invalid Date timestamp', { payload: { value: 1, timestamp: new Date('nope') } }, /Invalid Date/],
  ['an object timestamp', { payload: { value: 1, timestamp: {} } }, /timestamp of type Object/],
  [
    'a seconds timestamp at ms precision',
    { payload: { value: 1, timestamp: 1_476_191_999 } },
    /it looks like seconds: set the precision to "s"/,
  ],
  [
    'a timestamp beyond 2262',
    { payload: { value: 1, timestamp: 9_300_000_000_000_000_000n } },
    /outside the range InfluxDB can store/,
  ],
  ['a huge negative timestamp', { payload: { value: 1, timestamp: -1e30 } }, /outside the range|not a whole number/],
  [
    'a tag too long for InfluxDB (refused before sending)',
    { payload: { value: 1, tags: { id: 'x'.repeat(70_000) } } },
    /makes a key of 70017 bytes .* over InfluxDB's limit of 65535/,
  ],
];

let server: InfluxServer;
before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase('bad');
});
after(async () => {
  await helper.unload();
  await server.stop();
});

describe(`${BAD.length} kinds of bad input, each between good messages`, () => {
  it('each fails alone with a clear error; every good message is written', async () => {
    assert.ok(BAD.length >= 50);
    await helper.load(inflowNodes, [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: server.dsn('bad'), precision: 'ms', timeout: 5000 },
      {
        id: 'out',
        type: 'inflow out',
        z: 'tab',
        server: 'cfg',
        measurement: 'good',
        autocommitEvery: 40,
        flushInterval: 100,
        wires: [],
      },
      ...watchersOf('out'),
    ]);
    const { caught, completed } = watched();
    const out = helper.getNode('out');
    BAD.forEach(([, msg], i) => {
      out.receive({ seq: `good-${i}`, payload: { value: i, timestamp: 1_700_000_000_000 + i } });
      out.receive({ seq: `bad-${i}`, ...msg });
    });
    out.receive({ seq: 'good-last', payload: { value: -1, timestamp: 1_700_000_001_000 } });
    await waitFor(() => caught.length + completed.length === 2 * BAD.length + 1, 'every message settled', 20_000);

    assert.deepEqual(completed.map((msg) => msg.seq).sort(), [...BAD.map((_, i) => `good-${i}`), 'good-last'].sort());
    assert.equal(caught.length, BAD.length);
    for (const msg of caught) {
      const index = Number(String(msg.seq).replace('bad-', ''));
      const [what, , words] = BAD[index] as (typeof BAD)[number];
      const error = msg.error as { message: string; code: string };
      assert.match(error.message, words, `${what}: ${error.message}`);
      assert.ok(['InvalidMeasurementException', 'WriteFailedException'].includes(error.code), `${what}: ${error.code}`);
      assert.ok(error.message.length < 400, `${what}: a message of ${error.message.length} characters`);
    }
    const rows = await server.rows('SELECT value FROM good', 'bad');
    assert.equal(rows.length, BAD.length + 1);
  });
});
