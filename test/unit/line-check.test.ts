import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineProblem, timestampStart } from '../../src/core';

describe('line protocol text, checked', () => {
  it('takes what InfluxDB takes, backslashes as it reads them (an escape only before a delimiter)', () => {
    for (const line of [
      'm v=1',
      'm,host=a v=1i,w=2u,x=true,y="a \\" b" 17',
      'my\\ m,t\\ k=a\\ b v="x y" -5',
      'm\\x,k=v\\y f\\z=1',
    ]) {
      assert.equal(lineProblem(line), undefined, line);
    }
    assert.equal(timestampStart('my\\ m,t\\ k=a\\ b v="x y" -5'), 'my\\ m,t\\ k=a\\ b v="x y" '.length);
  });

  it('says what is wrong with the rest', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /no measurement name/],
      [' m v=1', /starts with a space/],
      ['m', /no fields/],
      ['m,host v=1', /tag "host" has no "=" and value/],
      ['m,host= v=1', /tag "host" has no value/],
      ['m v=', /field "v" has value ""/],
      ['m v=12x', /field "v" has value "12x"/],
      ['m v="open', /string without its closing quote/],
      ['m f="t"=1', /field "f" has "=" after its string's closing quote/],
      ['m f="t"x,g=1 5', /field "f" has "x" after its string's closing quote/],
      ['m v=1 soon', /the time "soon" is not a whole number/],
      // Two backslashes before a delimiter: InfluxDB's key parser and its line scanner disagree on where the fields begin.
      ['a,\\\\,=a a=0 0', /a backslash stands before an escaped delimiter .* which InfluxDB reads two ways/],
      ['m,t=a\\\\ b v=1', /reads two ways/],
      ['m v', /field "v" has no "=" and value/],
    ];
    for (const [line, why] of cases) assert.match(lineProblem(line) ?? 'accepted', why, JSON.stringify(line));
  });
});
