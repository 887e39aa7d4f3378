import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { InvalidMeasurementException, type Precision } from '../../src';
import { formatTimestamp, integerText, nowTimestamp, parseRfc3339 } from '../../src/core';

describe('formatTimestamp', () => {
  it('takes numbers and bigints as already in the precision unit', () => {
    assert.equal(formatTimestamp(1475845863, 's'), '1475845863');
    assert.equal(formatTimestamp(1476191999000, 'ms'), '1476191999000');
    assert.equal(formatTimestamp(1476191999000123456n, 'ns'), '1476191999000123456');
    assert.equal(formatTimestamp(-5, 's'), '-5');
    assert.equal(formatTimestamp(0, 'h'), '0');
  });

  it('writes large whole numbers as digits, never in exponent form', () => {
    assert.equal(formatTimestamp(1476191999000000, 'u'), '1476191999000000');
    assert.equal(formatTimestamp(1_500_000_000_000_000_001n, 'ns'), '1500000000000000001');
  });

  it('takes a string of digits as a whole number of the unit, exactly', () => {
    assert.equal(formatTimestamp('1475845863', 's'), '1475845863');
    assert.equal(formatTimestamp('1500000000000000001', 'ns'), '1500000000000000001');
    assert.equal(formatTimestamp('-5', 'ms'), '-5');
  });

  const date = new Date('2016-10-07T13:11:03.123Z');
  const expected: Record<Precision, string> = {
    h: '409957',
    m: '24597431',
    s: '1475845863',
    ms: '1475845863123',
    u: '1475845863123000',
    ns: '1475845863123000000',
  };
  for (const [precision, text] of Object.entries(expected) as Array<[Precision, string]>) {
    it(`converts a Date exactly to ${precision}`, () => {
      assert.equal(formatTimestamp(date, precision), text);
    });
  }

  it('converts RFC3339 strings exactly, keeping nanosecond fractions', () => {
    assert.equal(formatTimestamp('2016-10-07T13:11:03.123456789Z', 'ns'), '1475845863123456789');
    assert.equal(formatTimestamp('2016-10-07T13:11:03.123456789Z', 'u'), '1475845863123456');
    assert.equal(formatTimestamp('2016-10-07T13:11:03.1Z', 'ms'), '1475845863100');
    assert.equal(formatTimestamp('2016-10-07T15:11:03+02:00', 's'), '1475845863');
    assert.equal(formatTimestamp('2016-10-07t13:11:03z', 's'), '1475845863');
    assert.equal(formatTimestamp('1969-12-31T23:59:59.5Z', 's'), '-1', 'rounds down before 1970');
    assert.equal(formatTimestamp('2016-10-07T13:59:59Z', 'h'), '409957', 'hours are whole hours, exact');
  });

  it("takes a Date made in another realm (a Function node's sandbox) as a Date", () => {
    const foreign = runInNewContext('new Date(1700000000123)') as Date;
    assert.equal(foreign instanceof Date, false);
    assert.equal(formatTimestamp(foreign, 'ms'), '1700000000123');
    assert.equal(formatTimestamp(foreign, 'ns'), '1700000000123000000');
  });

  it('keeps times before 1970 exact', () => {
    assert.equal(parseRfc3339('1969-12-31T23:59:59.999999999Z'), -1n);
    assert.equal(formatTimestamp(new Date(-1), 'ns'), '-1000000');
  });

  const bad: Array<[unknown, Precision, RegExp]> = [
    [1.5, 's', /not a whole number of seconds/],
    [Number.NaN, 's', /not a whole number/],
    [Number.POSITIVE_INFINITY, 'ms', /not a whole number/],
    [9_300_000_000_000_000_000n, 'ns', /outside the range/],
    [10_000_000_000, 's', /outside the range/],
    [new Date(Number.NaN), 's', /Invalid Date/],
    ['1475845863.5', 's', /not an RFC3339 date/],
    ['99999999999999999999', 'ns', /outside the range/],
    [1.5e18, 'ns', /beyond 2\^53.*1500000000000000000n/],
    [2 ** 53, 'u', /beyond 2\^53/],
    ['2016-13-07T13:11:03Z', 's', /not a real date/],
    ['2016-02-30T13:11:03Z', 's', /not a real date/],
    ['2016-10-07T13:11:03.1234567891Z', 's', /not an RFC3339 date/],
    [{}, 's', /type Object/],
  ];
  for (const [value, precision, why] of bad) {
    it(`rejects ${typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))} at ${precision}`, () => {
      assert.throws(
        () => formatTimestamp(value as never, precision),
        (error: unknown) => {
          assert.ok(error instanceof InvalidMeasurementException);
          assert.match(error.message, why);
          return true;
        },
      );
    });
  }
});

describe('nowTimestamp', () => {
  it('is the wall clock in the unit', () => {
    const before = Date.now();
    const ms = Number(nowTimestamp('ms'));
    const s = Number(nowTimestamp('s'));
    const ns = BigInt(nowTimestamp('ns'));
    const after = Date.now();
    assert.ok(ms >= before && ms <= after);
    assert.ok(s >= Math.floor(before / 1000) && s <= Math.floor(after / 1000));
    assert.ok(ns >= BigInt(before - 5) * 1_000_000n && ns <= BigInt(after + 5) * 1_000_000n);
  });

  it('never hands out the same stamp twice at u and ns, however fast it is asked', () => {
    for (const precision of ['u', 'ns'] as const) {
      const stamps = Array.from({ length: 10_000 }, () => BigInt(nowTimestamp(precision)));
      assert.equal(new Set(stamps).size, stamps.length);
      for (let i = 1; i < stamps.length; i++) assert.ok((stamps[i] as bigint) > (stamps[i - 1] as bigint));
    }
  });
});

describe('integerText', () => {
  it('matches String() for every size of safe integer', () => {
    for (const value of [0, 7, 999_999_999, 1e9, 1e9 + 1, 1_476_191_999_000, Number.MAX_SAFE_INTEGER, -1_476_191_999_000]) {
      assert.equal(integerText(value), String(value));
    }
  });
});
