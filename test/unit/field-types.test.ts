/** Matching lines to the server's field types: the line scanner, the conflict texts, the schema answers, quoting. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidMeasurementException, WriteFailedException } from '../../src';
import { influxqlIdentifier } from '../../src/core';
import { conflictsOf, matchLine, measurementsOfBody, typesOfAnswer, type FieldType } from '../../src/client/field-types';

const types = (entries: Record<string, FieldType>): Map<string, FieldType> => new Map(Object.entries(entries));

describe("matching a line to the server's field types", () => {
  it('whole numbers of integer and unsigned fields get their suffix; floats, booleans, strings and typed values stay', () => {
    const line = 'm,t=a\\ b n=21,u=3,f=21,b=true,s="n=1,u=2",i=4i,e=1e3 1000';
    assert.equal(
      matchLine(
        line,
        types({ n: 'integer', u: 'unsigned', f: 'float', b: 'integer', s: 'integer', i: 'integer', e: 'integer' }),
        'm',
      ),
      'm,t=a\\ b n=21i,u=3u,f=21,b=true,s="n=1,u=2",i=4i,e=1000i 1000',
    );
  });

  it('escaped field keys are read as the server reads them', () => {
    assert.equal(matchLine('m n\\ "x"\\,y\\=z=21,w=2', types({ 'n "x",y=z': 'integer' }), 'm'), 'm n\\ "x"\\,y\\=z=21i,w=2');
  });

  it('a string holding an escaped quote, a comma and = does not end the field set', () => {
    assert.equal(matchLine('m s="a\\",n=1",n=2 5', types({ n: 'integer' }), 'm'), 'm s="a\\",n=1",n=2i 5');
  });

  it('a line without a change is the same string', () => {
    const line = 'm f=1.5';
    assert.equal(matchLine(line, types({ n: 'integer' }), 'm'), line);
  });

  it('refuses, naming field, measurement, type and value: not whole, beyond 2^53, below 0 for unsigned', () => {
    const cases: Array<[string, Record<string, FieldType>, RegExp]> = [
      [
        'm count=21.5',
        { count: 'integer' },
        /field "count" of measurement "m" is an integer in the database, and 21\.5 is not a whole number/,
      ],
      ['m n=1e+21', { n: 'integer' }, /and 1e\+21 is beyond 2\^53/],
      ['m n=-3', { n: 'unsigned' }, /is an unsigned integer in the database, and -3 is below 0/],
      ['m n=99999999999999999999', { n: 'integer' }, /beyond the 64-bit integer range/],
    ];
    for (const [line, fieldTypes, message] of cases) {
      assert.throws(
        () => matchLine(line, types(fieldTypes), 'm'),
        (error: unknown) => error instanceof InvalidMeasurementException && message.test(error.message),
        line,
      );
    }
  });
});

describe("field type conflicts in the servers' words", () => {
  it('1.x and 2.x: the field, the measurement and the type the server holds', () => {
    const error = new WriteFailedException('x', {
      serverMessage:
        'partial write: field type conflict: input field "count" on measurement "reading" is type float, already exists as type integer dropped=1',
    });
    assert.deepEqual(conflictsOf(error), [{ field: 'count', measurement: 'reading', existing: 'integer' }]);
  });

  it("3.x: each rejected line's column and the type expected, uinteger as unsigned", () => {
    const error = new WriteFailedException('x', {
      rejectedLines: [
        {
          line: 1,
          message:
            "invalid column type for column 'n', expected iox::column_type::field::uinteger, got iox::column_type::field::float",
        },
      ],
    });
    assert.deepEqual(conflictsOf(error), [{ field: 'n', measurement: undefined, existing: 'unsigned' }]);
  });

  it('other refusals name no conflict', () => {
    assert.deepEqual(conflictsOf(new WriteFailedException('unable to parse line')), []);
  });
});

describe('SHOW FIELD KEYS answers', () => {
  it('fields and types, a field of two types (1.x across shards) left out', () => {
    const answer = {
      results: [
        {
          statement_id: 0,
          series: [
            {
              name: 'm',
              columns: ['fieldKey', 'fieldType'],
              values: [
                ['a', 'integer'],
                ['b', 'float'],
                ['b', 'integer'],
                ['c', 'unsigned'],
              ],
            },
          ],
        },
      ],
    };
    assert.deepEqual(
      [...(typesOfAnswer(answer) ?? [])],
      [
        ['a', 'integer'],
        ['c', 'unsigned'],
      ],
    );
  });

  it('no series: a measurement without fields', () => {
    assert.deepEqual([...(typesOfAnswer({ results: [{ statement_id: 0 }] }) ?? [])], []);
  });

  it('garbage is no answer', () => {
    for (const garbage of [
      null,
      'x',
      {},
      { results: 'x' },
      { results: [{ series: [{ columns: ['x'], values: [[1]] }] }] },
      { results: [{ series: [{ columns: ['fieldKey', 'fieldType'], values: [[1, 2]] }] }] },
    ])
      assert.equal(typesOfAnswer(garbage), undefined, JSON.stringify(garbage));
  });
});

describe('InfluxQL identifiers', () => {
  it('quotes, backslashes and line breaks are escaped inside double quotes', () => {
    assert.equal(influxqlIdentifier('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
    assert.equal(influxqlIdentifier('plain'), '"plain"');
  });
});

describe("a batch body's measurements, read from its bytes", () => {
  const body = (lines: string[]): Uint8Array => Buffer.from(lines.map((line) => `${line}\n`).join(''));

  it('names each measurement once, as the server reads it: escapes dropped, UTF-8 kept, one a tag away from another', () => {
    const names = measurementsOfBody(
      body([
        'cpu value=1 1',
        'cpu,host=a value=2 2',
        'cpu2 value=3 3',
        'my\\ m\\,x value=4',
        'température value=5',
        'cpu value=6',
      ]),
    );
    assert.deepEqual([...names], ['cpu', 'cpu2', 'my m,x', 'température']);
  });

  it('a name that starts like the last one is another measurement', () => {
    assert.deepEqual([...measurementsOfBody(body(['m value=1', 'mm value=2', 'm,t=1 value=3']))], ['m', 'mm']);
  });

  it('a line break inside a string field starts no line', () => {
    const names = measurementsOfBody(body(['m s="a\nfake value=1" 1', 'n value=2']));
    assert.deepEqual([...names], ['m', 'n']);
  });

  it('a body that is a view into a larger buffer is read from its own bytes', () => {
    const whole = Buffer.from('x value=0\nm value=1\nn value=2\n');
    assert.deepEqual([...measurementsOfBody(whole.subarray(10))], ['m', 'n']);
  });
});
