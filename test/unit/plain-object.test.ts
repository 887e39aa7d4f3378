import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { isPlainObject } from '../../src/util';

describe('isPlainObject', () => {
  it('takes object literals, JSON and null-prototype objects of this realm and of a vm context', () => {
    for (const value of [{}, { a: 1 }, JSON.parse('{"a":1}'), Object.create(null)]) assert.equal(isPlainObject(value), true);
    for (const source of ['({ a: 1 })', 'JSON.parse("{}")', 'Object.create(null)', 'new Object()']) {
      assert.equal(isPlainObject(runInNewContext(source)), true, source);
    }
  });

  it('refuses arrays, class instances, Dates, Maps and boxed values, from either realm', () => {
    class Reading {}
    for (const value of [[], new Reading(), new Date(), new Map(), Buffer.from('x'), null, 'text', 1]) {
      assert.equal(isPlainObject(value), false, Object.prototype.toString.call(value));
    }
    for (const source of ['[]', 'new (class Reading {})()', 'new Date()', 'new Map()', 'Object.create(Object.create(null))']) {
      assert.equal(isPlainObject(runInNewContext(source)), false, source);
    }
  });
});
