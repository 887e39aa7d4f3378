import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { fluxParamsExtern } from '../../src/core';
import {
  dashboard1ChartOf,
  joinFieldTables,
  rangeBounds,
  rowsOf,
  seriesKeyOf,
  shapeAnswer,
  thinRows,
  type Row,
  type Series,
} from '../../src';

const grouped: Series[] = [
  { name: 'weather', tags: { location: 'lab' }, values: [{ time: 1000, temperature: 21.5, humidity: 40 }] },
  { name: 'weather', tags: { location: 'roof' }, values: [{ time: 1000, temperature: 5, humidity: 80 }] },
];

describe('rows', () => {
  it('are every series in order, flat: time, tags, columns, and the series key', () => {
    assert.deepEqual(rowsOf(grouped), [
      { time: 1000, location: 'lab', temperature: 21.5, humidity: 40, series: 'weather,location=lab' },
      { time: 1000, location: 'roof', temperature: 5, humidity: 80, series: 'weather,location=roof' },
    ]);
  });

  it('keep a tag and a column of one name both, the second as name_1, and a column named __proto__ as a column', () => {
    const rows = rowsOf([{ name: 'm', tags: { v: 'tag' }, values: [JSON.parse('{"time":1,"v":2,"__proto__":3}') as Row] }]);
    assert.deepEqual(Object.keys(rows[0] as Row), ['time', 'v', 'v_1', '__proto__', 'series']);
    assert.equal(rows[0]?.v, 'tag');
    assert.equal(rows[0]?.v_1, 2);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
  });

  it('name two series apart even when their tag values hold commas, spaces and equals signs', () => {
    const a = seriesKeyOf({ name: 'm', tags: { a: 'x,b=y' } });
    const b = seriesKeyOf({ name: 'm', tags: { a: 'x', b: 'y' } });
    assert.notEqual(a, b);
    assert.equal(a, 'm,a=x\\,b\\=y');
    assert.equal(seriesKeyOf({ name: 'my m', tags: { 'the key': 'a\\b' } }), 'my\\ m,the\\ key=a\\\\b');
  });
});

describe("Flux's table per field", () => {
  const flux: Series[] = [
    {
      name: 'weather',
      tags: { _field: 'temperature', location: 'lab' },
      values: [
        { time: 1000, _value: 21.5 },
        { time: 2000, _value: 22 },
      ],
    },
    {
      name: 'weather',
      tags: { _field: 'humidity', location: 'lab' },
      values: [
        { time: 1000, _value: 40 },
        { time: 3000, _value: 41 },
      ],
    },
    { name: 'weather', tags: { _field: 'temperature', location: 'roof' }, values: [{ time: 1000, _value: 5 }] },
  ];

  it('is joined into a series per measurement and tags, a row per time with a column per field, in time order', () => {
    assert.deepEqual(joinFieldTables(flux), [
      {
        name: 'weather',
        tags: { location: 'lab' },
        values: [
          { time: 1000, temperature: 21.5, humidity: 40 },
          { time: 2000, temperature: 22 },
          { time: 3000, humidity: 41 },
        ],
      },
      { name: 'weather', tags: { location: 'roof' }, values: [{ time: 1000, temperature: 5 }] },
    ]);
  });

  it('orders rows of RFC3339 times by the time they say, not as text', () => {
    const joined = joinFieldTables([
      { name: 'm', tags: { _field: 'a' }, values: [{ time: '2024-01-01T00:00:00.5Z', _value: 1 }] },
      { name: 'm', tags: { _field: 'b' }, values: [{ time: '2024-01-01T00:00:00Z', _value: 2 }] },
    ]);
    assert.deepEqual(
      joined[0]?.values.map((row) => row.time),
      ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.5Z'],
    );
  });

  it('keeps apart rows of one time that differ in another column (a tag Flux dropped from the group key)', () => {
    const tables: Series[] = [
      {
        name: 'cpu',
        tags: { _field: 'usage' },
        values: [
          { time: 1000, host: 'a', _value: 1 },
          { time: 1000, host: 'b', _value: 2 },
        ],
      },
      {
        name: 'cpu',
        tags: { _field: 'temp' },
        values: [
          { time: 1000, host: 'a', _value: 50 },
          { time: 1000, host: 'b', _value: 60 },
        ],
      },
    ];
    assert.deepEqual(joinFieldTables(tables), [
      {
        name: 'cpu',
        values: [
          { time: 1000, host: 'a', usage: 1, temp: 50 },
          { time: 1000, host: 'b', usage: 2, temp: 60 },
        ],
      },
    ]);
  });

  it('leaves tables that cannot be joined without losing a value as they are: two values of a field for one row, a field named like a column', () => {
    const twice: Series[] = [
      {
        name: 'm',
        tags: { _field: 'a' },
        values: [
          { time: 1, _value: 1 },
          { time: 1, _value: 2 },
        ],
      },
    ];
    assert.deepEqual(joinFieldTables(twice), twice);
    const clash: Series[] = [{ name: 'm', tags: { _field: 'host' }, values: [{ time: 1, host: 'a', _value: 1 }] }];
    assert.deepEqual(joinFieldTables(clash), clash);
  });

  it('keeps a tag named __proto__ as a tag', () => {
    const tags = JSON.parse('{"_field":"a","__proto__":"x"}') as Record<string, string>;
    const [joined] = joinFieldTables([{ name: 'm', tags, values: [{ time: 1, _value: 2 }] }]);
    assert.deepEqual(Object.entries(joined?.tags ?? {}), [['__proto__', 'x']]);
    assert.equal(rowsOf(joined === undefined ? [] : [joined])[0]?.series, 'm,__proto__=x');
  });

  it('leaves series of InfluxQL and SQL as they are', () => {
    assert.deepEqual(joinFieldTables(grouped), grouped);
  });
});

describe('thinning a series (largest-triangle-three-buckets)', () => {
  const wave = (count: number): Row[] =>
    Array.from({ length: count }, (_, i) => ({ time: i * 1000, value: Math.sin(i / 500) * 10 + (i === 4321 ? 100 : 0) }));

  it('keeps at most N rows, the first and the last among them, in order, each a row of the series', () => {
    const rows = wave(86_400);
    const thin = thinRows(rows, 300);
    assert.equal(thin.length, 300);
    assert.equal(thin[0], rows[0]);
    assert.equal(thin.at(-1), rows.at(-1));
    for (let i = 1; i < thin.length; i++) assert.ok((thin[i]?.time as number) > (thin[i - 1]?.time as number));
    for (const row of thin) assert.ok(rows.includes(row));
  });

  it('keeps a lone spike, and the highs and lows of the wave', () => {
    const rows = wave(86_400);
    const thin = thinRows(rows, 300);
    const values = thin.map((row) => row.value as number);
    assert.ok(values.includes(rows[4321]?.value as number), 'the spike');
    assert.ok(Math.max(...values.filter((v) => v < 50)) > 9.9, 'a high of the wave');
    assert.ok(Math.min(...values) < -9.9, 'a low of the wave');
  });

  it('keeps the shape of each of several columns, however different their scales', () => {
    const rows: Row[] = Array.from({ length: 10_000 }, (_, i) => ({
      time: i,
      big: 1e6 * (i % 1000 < 500 ? 1 : 2),
      small: i === 7777 ? 1 : 0,
    }));
    const thin = thinRows(rows, 100);
    assert.ok(
      thin.some((row) => row.small === 1),
      'the small column keeps its one spike beside the large one',
    );
  });

  it('keeps a spike after a gap of nulls, as it does without the gap', () => {
    // 1 Hz, GROUP BY time(1s) fill(null): the sensor offline for 100 s, then a spike.
    const rows: Row[] = Array.from({ length: 1002 }, (_, i) => ({
      time: i * 1000,
      value: i >= 101 && i <= 200 ? null : i === 250 ? 90 : 20 + Math.sin(i / 50),
    }));
    const thin = thinRows(rows, 12);
    assert.ok(
      thin.some((row) => row.value === 90),
      'the spike',
    );
    assert.ok(
      thin.some((row) => row.value === null),
      'the gap',
    );
  });

  it('leaves a series of N rows or fewer as it is', () => {
    const rows = wave(10);
    assert.deepEqual(thinRows(rows, 10), rows);
  });
});

describe("Dashboard 1's chart", () => {
  it('is one object of series names, a list of {x, y} per line and labels, as its ui_chart documents', () => {
    assert.deepEqual(dashboard1ChartOf(grouped), [
      {
        series: [
          'weather,location=lab temperature',
          'weather,location=lab humidity',
          'weather,location=roof temperature',
          'weather,location=roof humidity',
        ],
        data: [[{ x: 1000, y: 21.5 }], [{ x: 1000, y: 40 }], [{ x: 1000, y: 5 }], [{ x: 1000, y: 80 }]],
        labels: [''],
      },
    ]);
  });

  it('names lines by series key with one column, by column with one series, draws no text, and a null as a gap', () => {
    const one: Series[] = [
      {
        name: 'm',
        values: [
          { time: 1, a: 1, b: 2, note: 'x' },
          { time: 2, a: null, b: 3, note: 'y' },
        ],
      },
    ];
    assert.deepEqual(dashboard1ChartOf(one)[0]?.series, ['a', 'b']);
    assert.deepEqual(dashboard1ChartOf(one)[0]?.data[0], [
      { x: 1, y: 1 },
      { x: 2, y: null },
    ]);
    assert.deepEqual(
      dashboard1ChartOf(
        grouped.map((s) => ({
          ...s,
          values: s.values.map(({ time, humidity }) => ({ time: time ?? null, humidity: humidity ?? null })),
        })),
      )[0]?.series,
      ['weather,location=lab', 'weather,location=roof'],
    );
  });

  it('is [] for an empty answer, which clears the chart', () => {
    assert.deepEqual(dashboard1ChartOf([]), []);
    assert.deepEqual(shapeAnswer([], 'chart-dashboard1'), []);
  });
});

describe('a time range', () => {
  const now = Date.UTC(2024, 4, 1, 12);

  it('binds RFC3339 text in UTC, from a Date, milliseconds, RFC3339 with an offset or nanoseconds, and durations', () => {
    assert.deepEqual(rangeBounds({ start: '-1h' }, 'range', now), {
      start: '2024-05-01T11:00:00Z',
      stop: '2024-05-01T12:00:00Z',
    });
    assert.deepEqual(rangeBounds({ start: new Date(now - 1500), stop: now }, 'range', now), {
      start: '2024-05-01T11:59:58.500Z',
      stop: '2024-05-01T12:00:00Z',
    });
    assert.deepEqual(rangeBounds({ start: '2024-05-01T13:00:00.123456789+02:00', stop: '+1h30m' }, 'range', now), {
      start: '2024-05-01T11:00:00.123456789Z',
      stop: '2024-05-01T13:30:00Z',
    });
    assert.deepEqual(rangeBounds({ start: runInNewContext(`new Date(${now - 1000})`) as unknown as Date }, 'range', now), {
      start: '2024-05-01T11:59:59Z',
      stop: '2024-05-01T12:00:00Z',
    });
    assert.deepEqual(rangeBounds({ start: '-7d', stop: 'now' }, 'range', now), {
      start: '2024-04-24T12:00:00Z',
      stop: '2024-05-01T12:00:00Z',
    });
  });

  it('refuses, naming the bound and why: a start not before its stop, a duration without a sign, text that is no time, other keys', () => {
    assert.throws(
      () => rangeBounds({ start: '-1h', stop: '-2h' }, 'msg.range', now),
      /msg\.range\.start \(2024-05-01T11:00:00Z\) is not before msg\.range\.stop/,
    );
    assert.throws(
      () => rangeBounds({ start: '1h' }, 'msg.range', now),
      /msg\.range\.start "1h" is a duration without a sign: write "-1h"/,
    );
    assert.throws(() => rangeBounds({ start: 'yesterday' }, 'msg.range', now), /msg\.range\.start "yesterday" is not a time/);
    assert.throws(
      () => rangeBounds({ start: '-1h', end: 'now' }, 'msg.range', now),
      /msg\.range has "end": it takes start and stop only/,
    );
    assert.throws(() => rangeBounds({}, 'msg.range', now), /msg\.range\.start is missing/);
    assert.throws(() => rangeBounds('-1h', 'msg.range', now), /msg\.range must be an object \{ start, stop \}/);
    assert.throws(() => rangeBounds({ start: 1.5 }, 'msg.range', now), /whole milliseconds/);
    assert.throws(
      () => rangeBounds({ start: 1714557600 }, 'msg.range', now),
      /msg\.range\.start 1714557600 is milliseconds since 1970, which is 1970-01-20T20:15:57\.600Z: it looks like seconds/,
    );
    assert.deepEqual(rangeBounds({ start: 0 }, 'range', now), { start: '1970-01-01T00:00:00Z', stop: '2024-05-01T12:00:00Z' });
    assert.throws(() => rangeBounds({ start: '-300000d' }, 'msg.range', now), /outside the times InfluxDB stores/);
  });
});

describe("Flux's bound parameters", () => {
  it('are a params record declared in the extern syntax tree: a number a float, a bigint an integer, text as it is', () => {
    const extern = JSON.parse(
      fluxParamsExtern({ start: '2024-01-01T00:00:00Z', n: 21, big: 2n ** 62n, on: true, 'a key': 'x"\\${y}\n' }),
    ) as {
      type: string;
      body: Array<{ type: string; id: { name: string }; init: { type: string; properties: unknown[] } }>;
    };
    assert.equal(extern.type, 'File');
    assert.equal(extern.body[0]?.type, 'VariableAssignment');
    assert.equal(extern.body[0]?.id.name, 'params');
    assert.deepEqual(extern.body[0]?.init.properties, [
      {
        type: 'Property',
        key: { type: 'Identifier', name: 'start' },
        value: { type: 'StringLiteral', value: '2024-01-01T00:00:00Z' },
      },
      { type: 'Property', key: { type: 'Identifier', name: 'n' }, value: { type: 'FloatLiteral', value: 21 } },
      {
        type: 'Property',
        key: { type: 'Identifier', name: 'big' },
        value: { type: 'IntegerLiteral', value: '4611686018427387904' },
      },
      { type: 'Property', key: { type: 'Identifier', name: 'on' }, value: { type: 'BooleanLiteral', value: true } },
      { type: 'Property', key: { type: 'StringLiteral', value: 'a key' }, value: { type: 'StringLiteral', value: 'x"\\${y}\n' } },
    ]);
  });

  it('refuse an integer beyond int64, naming the parameter', () => {
    assert.throws(
      () => fluxParamsExtern({ huge: 2n ** 63n }),
      /query parameter "huge" is beyond what a Flux integer \(int64\) holds/,
    );
  });
});
