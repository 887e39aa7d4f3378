import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchWriter, ClientClosedException, WriteFailedException, type BatchSink } from '../../src';

/** A sink that records requests and answers after a delay, optionally failing some. */
class RecordingSink implements BatchSink {
  readonly requests: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly fail: (lines: readonly string[]) => boolean = () => false) {}
  async writeLines(lines: readonly string[]): Promise<void> {
    this.requests.push([...lines]);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    if (this.fail(lines)) throw new WriteFailedException('rejected', { status: 400 });
  }
}

describe('BatchWriter', () => {
  it('acknowledges every entry exactly once, in requests of whole entries of at most 5,000 lines', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { flushEvery: 100, flushInterval: 0 });
    const acks = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const lines = Array.from({ length: (i % 4) + 1 }, (_, j) => `m v=${j} ${i}`);
      writer.add(i % 2 === 0 ? lines : (lines[0] as string), () => acks.set(i, (acks.get(i) ?? 0) + 1));
    }
    await writer.close();
    assert.equal(acks.size, 3000);
    assert.ok([...acks.values()].every((count) => count === 1));
    assert.ok(sink.requests.every((request) => request.length <= 5000));
    const written = sink.requests.flat();
    assert.equal(new Set(written).size, written.length, 'no line written twice');
    assert.ok(sink.maxInFlight <= 2, `${sink.maxInFlight} requests at once`);
    assert.equal(writer.pendingEntries, 0);
    assert.equal(writer.pendingPoints, 0);
  });

  it('writes when flushEvery entries are pending, and not before', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { flushEvery: 3, flushInterval: 0 });
    writer.add('a', () => undefined);
    writer.add('b', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(sink.requests.length, 0);
    writer.add('c', () => undefined);
    await writer.flush();
    assert.deepEqual(sink.requests, [['a', 'b', 'c']]);
  });

  it('writes after flushInterval at the latest', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { flushEvery: 1000, flushInterval: 50 });
    writer.add('a', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sink.requests.length, 0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(sink.requests, [['a']]);
    await writer.close();
  });

  it('gives a failed batch\'s error to exactly its entries, and tells about it', async () => {
    const sink = new RecordingSink((lines) => lines.includes('bad'));
    let changes = 0;
    const writer = new BatchWriter(sink, { flushEvery: 2, flushInterval: 0, onChange: () => changes++ });
    const results: Array<string | undefined> = [];
    writer.add('bad', (error) => results.push(error?.code));
    writer.add('x', (error) => results.push(error?.code));
    await writer.flush();
    writer.add('good', (error) => results.push(error?.code));
    await writer.flush();
    assert.deepEqual(results, ['WriteFailedException', 'WriteFailedException', undefined]);
    assert.equal(writer.lastError, undefined, 'the last write succeeded');
    assert.ok(writer.lastWritten instanceof Date);
    assert.equal(changes, 2);
  });

  it('refuses entries after close with ClientClosedException', async () => {
    const writer = new BatchWriter(new RecordingSink(), { flushEvery: 10, flushInterval: 0 });
    await writer.close();
    let refusal: unknown;
    writer.add('late', (error) => (refusal = error));
    assert.ok(refusal instanceof ClientClosedException);
  });
});
