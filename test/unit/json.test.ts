import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJson } from '../../src/core';

describe('parseJson', () => {
  it('keeps integers beyond 2^53 exact as bigints, and leaves safe numbers as numbers', () => {
    const text = '{"a":[1475845863123456789,-9223372036854775808,9007199254740991,1.5,1e300,-0.25,"12345678901234567890"]}';
    assert.deepEqual(parseJson(text), {
      a: [1475845863123456789n, -9223372036854775808n, 9007199254740991, 1.5, 1e300, -0.25, '12345678901234567890'],
    });
  });

  it('parses what JSON.parse parses, identically, when no big integer is present', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!/(^|[^\d.eE+-])-?\d{16,}(?![\d.eE])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""')));
        // Force the exact parser by adding a long digit run inside a string.
        const wrapped = `{"pad":"0000000000000000","v":${text}}`;
        assert.deepEqual(parseJson(wrapped), JSON.parse(wrapped));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps integers of up to 20 digits exact (uint64 and int64 at their ends); longer ones are floats, as JSON.parse reads them', () => {
    assert.deepEqual(parseJson('[18446744073709551615,-9223372036854775808]'), [18446744073709551615n, -9223372036854775808n]);
    assert.deepEqual(parseJson('[100000000000000000000,12345678901234567890123]'), [1e20, Number('12345678901234567890123')]);
    // A million digits: not a bigint (making one takes seconds of the event loop), the float JSON.parse makes.
    assert.deepEqual(parseJson(`[1${'0'.repeat(1_000_000)}]`), [Infinity]);
  });

  it('rejects malformed JSON on the exact path too', () => {
    assert.throws(() => parseJson('{"a":12345678901234567890'), SyntaxError);
    assert.throws(() => parseJson('[12345678901234567890]x'), SyntaxError);
  });

  it('does not let a "__proto__" key change the prototype', () => {
    const value = parseJson('{"__proto__":{"polluted":1},"n":12345678901234567890}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__', 'n']);
  });
});
