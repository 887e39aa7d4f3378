/** msg -> line protocol for inflow out, without a server: every payload form, and every kind of bad input. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InfluxDBException, LineMaker, type Tags } from '../../src';
import { DEFAULT_TARGET, pointsOfMessage, type OutSettings } from '../../src/nodes/inflow-out/payload';
import { BAD } from '../support/bad-input';

/** What the node's settings make of its tags and integer fields, as optionsOf makes them. */
interface NodeChoices {
  tags?: Tags;
  integerFields?: ReadonlySet<string>;
}

const settingsOf = ({ tags, integerFields }: NodeChoices = {}): OutSettings => ({
  measurement: 'reading',
  maker: new LineMaker({ precision: 'ms', defaultTags: tags, integerFields, checkTimestampUnits: true }),
  tags,
  format: 'fields',
});
const settings = settingsOf();
const T = 1_700_000_000_000;

describe('the points of a message', () => {
  const forms: Array<[string, Record<string, unknown>, string | string[], NodeChoices?]> = [
    ['a number is the field "value"', { payload: 21.5, measurement: 'temperature' }, 'temperature value=21.5'],
    ['a boolean', { payload: true }, 'reading value=true'],
    ['a string', { payload: 'on' }, 'reading value="on"'],
    ['a bigint is an integer', { payload: 42n }, 'reading value=42i'],
    [
      'an object of fields, with tags and a timestamp',
      { payload: { t: 1, tags: { room: 'hall' }, timestamp: T } },
      `reading,room=hall t=1 ${T}`,
    ],
    [
      'the dict form',
      { payload: { measurement: 'air', tags: { site: 'roof' }, fields: { co2: 415 }, time: T } },
      `air,site=roof co2=415 ${T}`,
    ],
    [
      'rows with a template, whose tags merge under the rows',
      {
        template: { name: 'power', tags: { site: 'w' } },
        payload: [
          { watts: 1, timestamp: T, tags: { meter: 'a' } },
          { watts: 2, timestamp: T + 1 },
        ],
      },
      [`power,meter=a,site=w watts=1 ${T}`, `power,site=w watts=2 ${T + 1}`],
    ],
    ['an array of dict forms', { payload: [{ measurement: 'a', fields: { x: 1 }, time: T }] }, [`a x=1 ${T}`]],
    [
      'a timestamp as a string of digits, in msg.precision',
      { precision: 's', payload: { value: 1, timestamp: '1700000000' } },
      'reading value=1 1700000000000',
    ],
    [
      "node-red-contrib-influxdb's [fields, tags] with a field named __proto__",
      { payload: JSON.parse(`[[{"__proto__":5,"b":1,"time":${T}},{"t":"1"}]]`) as unknown },
      [`reading,t=1 __proto__=5,b=1 ${T}`],
    ],
    [
      "the node's tags, a message's own winning",
      { payload: { v: 1, tags: { room: 'own' }, timestamp: T } },
      `reading,room=own,site=node v=1 ${T}`,
      { tags: { room: 'node', site: 'node' } },
    ],
    [
      "the node's integer fields",
      { payload: { count: 3, level: 3, timestamp: T } },
      `reading count=3i,level=3 ${T}`,
      { integerFields: new Set(['count']) },
    ],
  ];
  for (const [what, msg, expected, overrides] of forms) {
    it(what, () => {
      const { lines, target } = pointsOfMessage(msg, settingsOf(overrides));
      const compared = (Array.isArray(lines) ? lines : [lines]).map((line) =>
        msg.payload !== null && typeof msg.payload === 'object' ? line : line.replace(/ \d+$/, ''),
      );
      assert.deepEqual(compared, Array.isArray(expected) ? expected : [expected]);
      assert.equal(target, DEFAULT_TARGET);
    });
  }

  it('line protocol text of more lines than "Hold at most" is refused before a line is cut out; a final line break starts no line', () => {
    const capped: OutSettings = { ...settings, format: 'lineProtocol', maxPoints: 3 };
    const text = (lines: number): string => Array.from({ length: lines }, (_, i) => `m v=${i} ${T + i}`).join('\n');
    assert.equal(pointsOfMessage({ payload: `${text(3)}\n` }, capped).lines.length, 3);
    assert.equal(pointsOfMessage({ payload: [text(2), Buffer.from(text(1))] }, capped).lines.length, 3);
    for (const payload of [text(4), Buffer.from(`${text(4)}\n`), [text(2), text(2)]]) {
      assert.throws(
        () => pointsOfMessage({ payload }, capped),
        (error: unknown) =>
          error instanceof InfluxDBException &&
          error.code === 'BufferOverflowException' &&
          /msg.payload has 4 lines, more than this node may hold waiting for InfluxDB \(Hold at most: 3 points\)/.test(
            error.message,
          ),
      );
    }
  });

  it('msg.database and msg.retentionPolicy route a message to a target of its own', () => {
    assert.deepEqual(pointsOfMessage({ payload: 1, database: 'other', retentionPolicy: 'week' }, settings).target, {
      database: 'other',
      retentionPolicy: 'week',
    });
  });

  for (const [what, msg, words, kind = 'InvalidMeasurementException'] of BAD) {
    it(`refuses ${what}, saying why`, () => {
      assert.throws(
        () => pointsOfMessage(msg, settings),
        (error: unknown) => {
          assert.ok(error instanceof InfluxDBException && error.code === kind, `${what}: ${String(error)}`);
          assert.match(error.message, words);
          assert.ok(error.message.length < 400, `${what}: a message of ${error.message.length} characters`);
          return true;
        },
      );
    });
  }
});
