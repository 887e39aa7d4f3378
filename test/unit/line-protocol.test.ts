import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidMeasurementException } from '../../src';
import { serializePoint, type PointData } from '../../src/core';

const T = 1_475_845_863;
const point = (name: string, fields: PointData['fields'], tags?: PointData['tags']): PointData => ({
  name,
  tags,
  fields,
  timestamp: T,
});

// [what, point, line protocol expected]
const vectors: Array<[string, PointData, string]> = [
  ['a float', point('cpu', { value: 21.3 }), `cpu value=21.3 ${T}`],
  ['a whole number is a float too', point('cpu', { value: 21 }), `cpu value=21 ${T}`],
  ['negative zero keeps its sign', point('cpu', { value: -0 }), `cpu value=-0 ${T}`],
  ['tiny and huge floats', point('cpu', { a: 1e-7, b: 1e21 }), `cpu a=1e-7,b=1e+21 ${T}`],
  ['a bigint is an integer', point('cpu', { n: 42n }), `cpu n=42i ${T}`],
  ['int64 maximum', point('cpu', { n: 9_223_372_036_854_775_807n }), `cpu n=9223372036854775807i ${T}`],
  ['int64 minimum', point('cpu', { n: -9_223_372_036_854_775_808n }), `cpu n=-9223372036854775808i ${T}`],
  ['booleans', point('cpu', { on: true, off: false }), `cpu on=true,off=false ${T}`],
  ['a string', point('cpu', { s: 'hello world' }), `cpu s="hello world" ${T}`],
  ['an empty string', point('cpu', { s: '' }), `cpu s="" ${T}`],
  ['string quotes and backslashes', point('cpu', { s: 'say "hi" \\o/' }), `cpu s="say \\"hi\\" \\\\o/" ${T}`],
  ['a string with a line break stays raw', point('cpu', { s: 'a\nb' }), `cpu s="a\nb" ${T}`],
  ['null and undefined fields are left out', point('cpu', { a: null, b: 1, c: undefined }), `cpu b=1 ${T}`],
  ['measurement comma and space', point('my cpu,x', { v: 1 }), `my\\ cpu\\,x v=1 ${T}`],
  ['measurement = and " are literal', point('a=b"c', { v: 1 }), `a=b"c v=1 ${T}`],
  ['tag keys sorted', point('cpu', { v: 1 }, { zone: 'z', host: 'h', app: 'a' }), `cpu,app=a,host=h,zone=z v=1 ${T}`],
  ['tag comma, equals, space', point('cpu', { v: 1 }, { 'k ,=': 'v ,=' }), `cpu,k\\ \\,\\==v\\ \\,\\= v=1 ${T}`],
  ['field key comma, equals, space', point('cpu', { 'f ,=': 1 }), `cpu f\\ \\,\\==1 ${T}`],
  ['tag values false and 0 are real values', point('cpu', { v: 1 }, { a: false, b: 0 }), `cpu,a=false,b=0 v=1 ${T}`],
  ['numeric and bigint tag values', point('cpu', { v: 1 }, { a: 1.5, b: 7n }), `cpu,a=1.5,b=7 v=1 ${T}`],
  [
    'empty, null and undefined tags left out',
    point('cpu', { v: 1 }, { a: '', b: null, c: undefined, d: 'x' }),
    `cpu,d=x v=1 ${T}`,
  ],
  ['unicode everywhere', point('température', { µ: 'ü→😀' }, { ville: 'Zürich' }), `température,ville=Zürich µ="ü→😀" ${T}`],
  ['tab, CR and NUL are carried', point('a\tb', { 'c\rd': 1 }, { t: 'e\u0000f' }), `a\tb,t=e\u0000f c\rd=1 ${T}`],
  ['a backslash inside a name is literal', point('a\\b', { 'c\\d': 1 }, { t: 'e\\f' }), `a\\b,t=e\\f c\\d=1 ${T}`],
  ['a measurement starting with a space', point(' m', { v: 1 }), `\\ m v=1 ${T}`],
];

// [what, point, what the error must say]
const rejections: Array<[string, PointData, RegExp]> = [
  ['NaN', point('cpu', { value: Number.NaN }), /field "value" is NaN/],
  ['Infinity', point('cpu', { value: Number.POSITIVE_INFINITY }), /field "value" is Infinity/],
  ['-Infinity', point('cpu', { value: Number.NEGATIVE_INFINITY }), /field "value" is -Infinity/],
  ['an object field', point('cpu', { value: {} as never }), /field "value" is of type Object/],
  ['an array field', point('cpu', { value: [1] as never }), /field "value" is of type array/],
  ['a function field', point('cpu', { value: (() => 1) as never }), /field "value" is of type function/],
  ['a symbol field', point('cpu', { value: Symbol('x') as never }), /field "value" is of type symbol/],
  ['a Date field', point('cpu', { value: new Date() as never }), /field "value" is of type Date/],
  [
    'a bigint over int64',
    point('cpu', { n: 9_223_372_036_854_775_808n }),
    /field "n" is 9223372036854775808, outside the 64-bit/,
  ],
  ['a bigint under int64', point('cpu', { n: -9_223_372_036_854_775_809n }), /outside the 64-bit/],
  ['no field at all', point('cpu', {}), /has no field to write/],
  ['only null fields', point('cpu', { a: null }), /has no field to write/],
  ['a field named time', point('cpu', { time: 1 }), /field key "time" is reserved.*timestamp/],
  ['a tag named time', point('cpu', { v: 1 }, { time: 'x' }), /tag key "time" is reserved/],
  ['a newline in the measurement', point('cp\nu', { v: 1 }), /measurement name "cp\\nu" contains a line break/],
  ['a newline in a tag key', point('cpu', { v: 1 }, { 'a\nb': 'x' }), /tag key "a\\nb" contains a line break/],
  ['a newline in a tag value', point('cpu', { v: 1 }, { host: 'a\nb' }), /value "a\\nb" of tag "host" contains a line break/],
  ['a newline in a field key', point('cpu', { 'a\nb': 1 }), /field key "a\\nb" contains a line break/],
  ['an empty measurement', point('', { v: 1 }), /measurement name "" is empty/],
  ['an empty field key', point('cpu', { '': 1 }), /field key "" is empty/],
  ['an empty tag key', point('cpu', { v: 1 }, { '': 'x' }), /tag key "" is empty/],
  ['a measurement starting with #', point('#cpu', { v: 1 }), /starts with "#".*comment/],
  ['a measurement starting with a tab', point('\tcpu', { v: 1 }), /starts with "\\t", which InfluxDB 1.x skips as white space/],
  ['a field key starting with NUL', point('cpu', { '\u0000k': 1 }), /field key .* starts with "\\u0000"/],
  ['a measurement ending in a backslash', point('cpu\\', { v: 1 }), /ends in a backslash/],
  [
    'a tag value ending in a backslash',
    point('cpu', { v: 1 }, { path: 'C:\\' }),
    /value "C:\\\\" of tag "path" ends in a backslash/,
  ],
  ['a tag key ending in a backslash', point('cpu', { v: 1 }, { 'k\\': 'x' }), /tag key .* ends in a backslash/],
  ['a field key ending in a backslash', point('cpu', { 'k\\': 1 }), /field key .* ends in a backslash/],
  ['a backslash before a comma in a measurement', point('a\\,b', { v: 1 }), /backslash before ","/],
  // Written `a\\,b`, which InfluxDB's key parser and its line scanner read two ways: a string could then end a line.
  [
    'a backslash before a comma in a tag value',
    point('m', { v: 1 }, { t: 'a\\,b' }),
    /value "a\\\\,b" of tag "t" has a backslash before ","/,
  ],
  ['a backslash before a space in a tag value', point('m', { v: 1 }, { t: 'a\\ b' }), /has a backslash before " "/],
  ['a backslash before = in a tag key', point('m', { v: 1 }, { 'k\\=': 'x' }), /tag key .* has a backslash before "="/],
  ['a backslash before a quote in a field key', point('cpu', { 'a\\"': 1 }), /backslash before "\\""/],
  ['a backslash before = in a field key', point('cpu', { 'a\\=b': 1 }), /backslash before "="/],
  ['a lone surrogate in a tag', point('cpu', { v: 1 }, { t: 'a\ud800' }), /lone UTF-16 surrogate/],
  ['a lone surrogate in a string field', point('cpu', { s: '\udc00' }), /field "s" contains a lone UTF-16 surrogate/],
  ['an object tag', point('cpu', { v: 1 }, { t: {} as never }), /tag "t" is of type Object/],
  ['a NaN tag', point('cpu', { v: 1 }, { t: Number.NaN }), /tag "t" is NaN/],
  ['a tag and a field of one name', point('cpu', { host: 1 }, { host: 'a' }), /"host" is both a tag and a field/],
  ['tags that are not an object', point('cpu', { v: 1 }, 'host=a' as never), /tags of "cpu" are of type string/],
  ['fields that are not an object', { name: 'cpu', fields: 5 as never }, /fields of "cpu" are of type number/],
  ['a name that is not a string', { name: 5 as never, fields: { v: 1 } }, /measurement name is of type number/],
];

describe('serializePoint', () => {
  for (const [what, input, expected] of vectors) {
    it(`writes ${what}`, () => assert.equal(serializePoint(input, 's'), expected));
  }
  for (const [what, input, why] of rejections) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => serializePoint(input, 's'),
        (error: unknown) => {
          assert.ok(error instanceof InvalidMeasurementException, String(error));
          assert.equal(error.code, 'InvalidMeasurementException');
          assert.match(error.message, why);
          return true;
        },
      );
    });
  }

  it('shortens a huge offending value in its error, so a log is not flooded', () => {
    const huge = `${'x'.repeat(100_000)}\n`;
    assert.throws(
      () => serializePoint(point('cpu', { v: 1 }, { t: huge }), 's'),
      (error: Error) => {
        assert.ok(error.message.length < 300, `message is ${error.message.length} characters`);
        return true;
      },
    );
  });

  it('stamps a point without time with now, in the precision', () => {
    const before = Date.now();
    const line = serializePoint({ name: 'cpu', fields: { v: 1 } }, 'ms');
    const stamp = Number(line.split(' ')[2]);
    assert.ok(stamp >= before && stamp <= Date.now());
  });

  it('writes the same tag set whatever order the keys come in', () => {
    const a = serializePoint(point('cpu', { v: 1 }, { b: '2', a: '1', c: '3' }), 's');
    const b = serializePoint(point('cpu', { v: 1 }, { c: '3', a: '1', b: '2' }), 's');
    assert.equal(a, b);
    assert.equal(a, `cpu,a=1,b=2,c=3 v=1 ${T}`);
  });
});
