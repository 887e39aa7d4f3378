import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PendingLines, type EntryLines } from '../../src/delivery/pending-lines';
import { linesOfBody } from '../../src/core';

const text = (body: Buffer): string => body.toString('utf8');

describe('PendingLines', () => {
  it("gives request bodies of the entries' lines in order, each ending in a newline, in UTF-8", () => {
    const pending = new PendingLines<Error>();
    pending.push('wetter,ort=München temp=21.5', () => undefined);
    pending.push(['a v="☀️ 🌧"', 'b v=1i'], () => undefined);
    const batch = pending.take(5000);
    assert.equal(text(batch.body()), 'wetter,ort=München temp=21.5\na v="☀️ 🌧"\nb v=1i\n');
    assert.deepEqual(linesOfBody(batch.body()), ['wetter,ort=München temp=21.5', 'a v="☀️ 🌧"', 'b v=1i']);
    assert.equal(batch.lineCount, 3);
    assert.equal(pending.entries, 0);
    assert.equal(pending.lineCount, 0);
  });

  it('takes whole entries up to the line limit, and at least one however large', () => {
    const pending = new PendingLines<Error>();
    pending.push(['a', 'b', 'c'], () => undefined);
    pending.push('d', () => undefined);
    pending.push('e', () => undefined);
    assert.deepEqual(linesOfBody(pending.take(2).body()), ['a', 'b', 'c']);
    assert.deepEqual(linesOfBody(pending.take(2).body()), ['d', 'e']);
  });

  it('keeps entries written before a new chunk intact, lines larger than a chunk included', () => {
    // The large line is encoded as soon as it comes (with what waited as text before it), the last one on take.
    const pending = new PendingLines<Error>();
    const large = `big v="${'x'.repeat(1_500_000)}"`;
    pending.push('first v=1', () => undefined);
    pending.push(large, () => undefined);
    pending.push('last v=2', () => undefined);
    const batch = pending.take(5000);
    assert.deepEqual(linesOfBody(batch.body()), ['first v=1', large, 'last v=2']);
  });

  it('keeps a long backlog in order while it is taken from and added to, and works on once it is emptied', () => {
    const pending = new PendingLines<Error>();
    const acknowledged: number[] = [];
    let next = 0;
    const pushSome = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const id = next++;
        pending.push(id % 3 === 0 ? [`m v=${id}`, `m w=${id}`] : `m v=${id}`, () => acknowledged.push(id));
      }
    };
    const expected = (ids: number[]): string =>
      ids.map((id) => (id % 3 === 0 ? `m v=${id}\nm w=${id}\n` : `m v=${id}\n`)).join('');
    let taken = 0;
    const takeAll = (maxLines: number): string => {
      let body = '';
      while (pending.entries > 0) {
        const batch = pending.take(maxLines);
        body += text(batch.body());
        batch.acknowledge(undefined);
      }
      return body;
    };
    pushSome(30_000);
    let body = '';
    for (let round = 0; round < 5; round++) {
      const batch = pending.take(5000);
      body += text(batch.body());
      batch.acknowledge(undefined);
      pushSome(3000);
    }
    body += takeAll(5000);
    taken = next;
    assert.equal(body, expected(Array.from({ length: taken }, (_, id) => id)));
    pushSome(10);
    assert.equal(takeAll(4), expected(Array.from({ length: 10 }, (_, i) => taken + i)));
    assert.deepEqual(
      acknowledged,
      Array.from({ length: next }, (_, id) => id),
    );
    assert.equal(pending.lineCount, 0);
  });

  it('takes the oldest entries by count, to drop them, and acknowledges them with the error', () => {
    const pending = new PendingLines<Error>();
    const acknowledged: Array<string | undefined> = [];
    for (let i = 0; i < 5; i++) pending.push(`m v=${i}`, (error) => acknowledged.push(`${i}:${error?.message}`), 10 + i);
    assert.equal(pending.arrivalAt(0), 10);
    assert.equal(pending.arrivalAt(4), 14);
    assert.equal(pending.arrivalAt(5), undefined);
    const dropped = pending.takeOldest(3);
    dropped.acknowledge(new Error('full'));
    assert.deepEqual(acknowledged, ['0:full', '1:full', '2:full']);
    assert.equal(pending.arrivalAt(0), 13, 'the next oldest is now first');
    assert.deepEqual(linesOfBody(pending.take(5000).body()), ['m v=3', 'm v=4']);
  });

  it('takes entries up to a byte budget too, and at least one however large', () => {
    const pending = new PendingLines<Error>();
    pending.push('a'.repeat(100), () => undefined);
    pending.push('b'.repeat(100), () => undefined);
    pending.push('c'.repeat(300), () => undefined);
    assert.equal(pending.take(5000, 250).entries, 2);
    assert.equal(pending.take(5000, 250).entries, 1, 'one entry over the budget goes alone');
  });

  it('cuts halves where the entries end, not at line breaks inside string values', () => {
    const pending = new PendingLines<Error>();
    pending.push('m a="P\nevil,host=x v=777,z=",b=" 1700000000000\nQ" 1', () => undefined);
    pending.push('m v=2 2', () => undefined);
    pending.push(['m s="x\ny" 3', 'm v=4 4'], () => undefined);
    const [first, second] = pending.take(5000).halves();
    assert.equal(text(first.body()), 'm a="P\nevil,host=x v=777,z=",b=" 1700000000000\nQ" 1\n');
    assert.equal(text(second.body()), 'm v=2 2\nm s="x\ny" 3\nm v=4 4\n');
    assert.deepEqual(linesOfBody(first.body()), ['m a="P\nevil,host=x v=777,z=",b=" 1700000000000\nQ" 1']);
    const [two, three] = second.halves();
    assert.equal(text(two.body()), 'm v=2 2\n');
    assert.equal(text(three.body()), 'm s="x\ny" 3\nm v=4 4\n');
  });

  it('splits a batch into halves that together are the batch', () => {
    const pending = new PendingLines<Error>();
    for (let i = 0; i < 5; i++) pending.push(i === 2 ? ['c1', 'c2'] : `l${i}`, () => undefined);
    const [first, second] = pending.take(5000).halves();
    assert.deepEqual(linesOfBody(first.body()), ['l0', 'l1']);
    assert.deepEqual(linesOfBody(second.body()), ['c1', 'c2', 'l3', 'l4']);
    assert.equal(second.entries, 3);
  });

  it("property: whatever the pushes, takes and drops, in any order, and however many entries are encoded together, every line comes out once, in order, byte for byte, with its own acknowledgement, and a batch's halves are its first entries and the rest", () => {
    // Line breaks too: a string value may hold one, and halves must not cut there.
    const line = fc.string({ unit: 'binary', maxLength: 40 });
    const entry: fc.Arbitrary<EntryLines> = fc.oneof(line, fc.array(line, { minLength: 1, maxLength: 5 }));
    const step = fc.oneof(
      { weight: 4, arbitrary: entry.map((lines) => ({ push: lines })) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 10 }).map((lines) => ({ take: lines })) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((count) => ({ drop: count })) },
    );
    const linesOf = (lines: EntryLines): string[] => (typeof lines === 'string' ? [lines] : [...lines]);
    const encoded = (value: string): string => Buffer.from(value, 'utf8').toString('utf8');
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), fc.constantFrom(1, 2, 7, undefined), (steps, groupEntries) => {
        const pending = new PendingLines<Error>(groupEntries);
        const waiting: Array<{ id: number; lines: string[] }> = [];
        const acknowledged: number[] = [];
        let next = 0;
        const expectBatch = (batch: ReturnType<PendingLines<Error>['take']>, taken: typeof waiting): void => {
          assert.equal(
            text(batch.body()),
            taken
              .flatMap((one) => one.lines)
              .map((value) => `${encoded(value)}\n`)
              .join(''),
          );
          if (batch.entries > 1) {
            const [first, second] = batch.halves();
            const middle = batch.entries >> 1;
            const linesOfEntries = (entries: typeof waiting): string =>
              entries
                .flatMap((one) => one.lines)
                .map((value) => `${encoded(value)}\n`)
                .join('');
            assert.equal(text(first.body()), linesOfEntries(taken.slice(0, middle)));
            assert.equal(text(second.body()), linesOfEntries(taken.slice(middle)));
            assert.equal(first.entries + second.entries, batch.entries);
          }
          const before = acknowledged.length;
          batch.acknowledge(undefined);
          assert.deepEqual(
            acknowledged.slice(before),
            taken.map((one) => one.id),
          );
        };
        for (const action of [...steps, { take: Infinity }]) {
          if ('push' in action) {
            const id = next++;
            pending.push(action.push, () => acknowledged.push(id));
            waiting.push({ id, lines: linesOf(action.push) });
          } else if ('take' in action) {
            let count = 0;
            for (let lines = 0; count < waiting.length; count++) {
              const size = (waiting[count] as (typeof waiting)[number]).lines.length;
              if (count > 0 && lines + size > action.take) break;
              lines += size;
            }
            expectBatch(pending.take(action.take), waiting.splice(0, count));
          } else {
            expectBatch(pending.takeOldest(action.drop), waiting.splice(0, action.drop));
          }
          assert.equal(pending.entries, waiting.length);
          assert.equal(
            pending.lineCount,
            waiting.reduce((sum, one) => sum + one.lines.length, 0),
          );
        }
        assert.equal(pending.entries, 0);
      }),
    );
  });
});
