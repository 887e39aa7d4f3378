import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringFieldOf } from '../../src/servers';

describe('finding a string field in a line, for VictoriaMetrics', () => {
  const cases: Array<[string, string | undefined]> = [
    ['m v=1 1', undefined],
    ['m v=1i,b=true 1', undefined],
    ['m s="on" 1', 's'],
    ['m v=1,s="a, b=c" 1', 's'],
    ['m,t=x\\ y v=1,s="x" 1', 's'],
    ['m\\ x,t="q" v=1 1', undefined],
    ['m a\\=b="x" 1', 'a=b'],
    ['m a\\ b=2,c\\,d="x" 1', 'c,d'],
  ];
  for (const [line, key] of cases) {
    it(`${JSON.stringify(line)}: ${key === undefined ? 'none' : JSON.stringify(key)}`, () => {
      assert.equal(stringFieldOf(line), key);
    });
  }
});
