import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  BatchWriter,
  BufferBudget,
  BufferOverflowException,
  ClientClosedException,
  ConnectionFailedException,
  DatabaseNotFoundException,
  RetryPolicy,
  WriteFailedException,
  type InfluxDBException,
  type LineSink,
  type LineProtocol,
} from '../../src';
import { Spool } from '../../src/delivery';

/** The lines of a request body, as a server reads them. */
function linesOf(body: LineProtocol): string[] {
  if (!(body instanceof Uint8Array)) return [...body];
  return Buffer.from(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}

const pause = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));

/** A sink that records requests and answers after a delay, optionally failing some. */
class RecordingSink implements LineSink {
  readonly precision = 'ns';
  readonly requests: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly fail: (lines: readonly string[]) => boolean = () => false) {}
  async writeLines(body: LineProtocol): Promise<void> {
    const lines = linesOf(body);
    this.requests.push(lines);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await pause(5);
    this.inFlight--;
    if (this.fail(lines)) throw new WriteFailedException('rejected', { status: 400 });
  }
}

/** A sink that answers every write after `delay` ms. */
class SlowSink implements LineSink {
  readonly precision = 'ns';
  readonly requests: string[][] = [];
  /** When each request was made, by performance.now(). */
  readonly sentAt: number[] = [];
  constructor(private readonly delay: number) {}
  async writeLines(body: LineProtocol): Promise<void> {
    this.requests.push(linesOf(body));
    this.sentAt.push(performance.now());
    await pause(this.delay);
  }
}

/** The number of lines of each request a sink took, in order. */
const requestSizes = (sink: RecordingSink): number[] => sink.requests.map((request) => request.length);

/** A writer that commits every 10 entries (its flush timer far off), and the sink it writes to. */
function writerOfTen(): { sink: RecordingSink; writer: BatchWriter } {
  const sink = new RecordingSink();
  return { sink, writer: new BatchWriter(sink, { batchSize: 10, flushInterval: 10_000 }) };
}

describe('BatchWriter', () => {
  it('acknowledges every entry exactly once, in requests of whole entries of at most 5,000 lines', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { batchSize: 100, flushInterval: 0 });
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
    assert.equal(writer.state().pendingPoints, 0);
  });

  it('writes when batchSize entries are pending, and not before', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { batchSize: 3, flushInterval: 0 });
    writer.add('a', () => undefined);
    writer.add('b', () => undefined);
    await pause(30);
    assert.equal(sink.requests.length, 0);
    writer.add('c', () => undefined);
    await writer.flush();
    assert.deepEqual(sink.requests, [['a', 'b', 'c']]);
  });

  it('writes after flushInterval at the latest', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { batchSize: 1000, flushInterval: 50 });
    writer.add('a', () => undefined);
    await pause(20);
    assert.equal(sink.requests.length, 0);
    await pause(80);
    assert.deepEqual(sink.requests, [['a']]);
    await writer.close();
  });

  it('at a steady pace, makes one request a batch: entries that come during a write wait for their own batch', async () => {
    const { sink, writer } = writerOfTen();
    for (let i = 0; i < 50; i++) {
      writer.add(`m v=${i} ${i}`, () => undefined);
      await pause(2);
    }
    await pause(30);
    assert.deepEqual(requestSizes(sink), [10, 10, 10, 10, 10]);
    await writer.close();
  });

  it('while a request is under way, sends what comes meanwhile in one batch after it, not in a second request beside it', async () => {
    const { sink, writer } = writerOfTen();
    for (let i = 0; i < 35; i++) writer.add(`m v=${i} ${i}`, () => undefined);
    await pause(40);
    assert.deepEqual([requestSizes(sink), sink.maxInFlight], [[10, 25], 1]);
    await writer.close();
  });

  it("sends a second request beside the one under way once a whole request's worth of points waits", async () => {
    const { sink, writer } = writerOfTen();
    for (let i = 0; i < 10; i++) writer.add(`m v=${i} ${i}`, () => undefined);
    for (let i = 0; i < 10; i++)
      writer.add(
        Array.from({ length: 500 }, (_, j) => `m v=${j} ${1000 + i * 500 + j}`),
        () => undefined,
      );
    await pause(40);
    assert.deepEqual([requestSizes(sink), sink.maxInFlight], [[10, 5000], 2]);
    await writer.close();
  });

  it('flushes an entry that came during a write flushInterval after it came, not after the write', async () => {
    const sink = new SlowSink(100);
    const writer = new BatchWriter(sink, { batchSize: 2, flushInterval: 300 });
    const started = performance.now();
    writer.add('a', () => undefined);
    writer.add('b', () => undefined);
    await pause(10);
    writer.add('c', () => undefined);
    await pause(600);
    assert.deepEqual(sink.requests, [['a', 'b'], ['c']]);
    // Due 300 ms after c came (at 10 ms): a timer started when the first write ended would send it at 400 ms.
    const sentAfter = (sink.sentAt[1] ?? 0) - started;
    assert.ok(sentAfter >= 300 && sentAfter < 390, `c sent ${Math.round(sentAfter)} ms after the start`);
    await writer.close();
  });

  it('splits a batch the server rejects until only the entry that owns the rejected point fails', async () => {
    const sink = new RecordingSink((lines) => lines.includes('bad'));
    const writer = new BatchWriter(sink, { batchSize: 1000, flushInterval: 0 });
    const results = new Map<string, string | undefined>();
    for (let i = 0; i < 100; i++) {
      const line = i === 37 ? 'bad' : `m v=${i}`;
      writer.add(i === 60 ? [line, 'n v=1'] : line, (error) => results.set(line, error?.code));
    }
    await writer.flush();
    assert.equal(results.size, 100);
    assert.deepEqual(
      [...results].filter(([, code]) => code !== undefined),
      [['bad', 'WriteFailedException']],
    );
    assert.ok(sink.requests.length <= 2 * Math.ceil(Math.log2(100)) + 1, `${sink.requests.length} requests to isolate one point`);
    assert.ok(writer.state().lastWritten instanceof Date);
  });

  it('retries passing failures with backoff until they pass, acknowledging once', async () => {
    let failures = 3;
    const times: number[] = [];
    const sink: LineSink = {
      precision: 'ns',
      async writeLines() {
        times.push(Date.now());
        if (failures-- > 0) throw new ConnectionFailedException('refused');
      },
    };
    const writer = new BatchWriter(sink, {
      batchSize: 1,
      flushInterval: 0,
      retry: new RetryPolicy({ firstDelay: 20, base: 2, jitter: 0 }),
    });
    const acks: Array<string | undefined> = [];
    writer.add('a', (error) => acks.push(error?.code));
    await writer.flush();
    assert.deepEqual(acks, [undefined]);
    const gaps = times.slice(1).map((time, i) => time - (times[i] as number));
    assert.equal(gaps.length, 3);
    assert.ok(
      (gaps[0] as number) >= 18 && (gaps[1] as number) >= 38 && (gaps[2] as number) >= 78,
      `waited ${gaps.join(', ')} ms`,
    );
    assert.equal(writer.state().retryAt, undefined);
  });

  it('never retries what retrying cannot fix', async () => {
    let calls = 0;
    const sink: LineSink = {
      precision: 'ns',
      async writeLines() {
        calls++;
        throw new DatabaseNotFoundException('database not found', { status: 404 });
      },
    };
    const writer = new BatchWriter(sink, { batchSize: 1, flushInterval: 0, retry: { firstDelay: 1 } });
    let code: string | undefined;
    writer.add('a', (error) => (code = error?.code));
    await writer.flush();
    assert.equal(code, 'DatabaseNotFoundException');
    assert.equal(calls, 1);
  });

  it('on close, retries until the close timeout, then fails what is left with its error', async () => {
    const sink: LineSink = {
      precision: 'ns',
      async writeLines() {
        throw new ConnectionFailedException('refused');
      },
    };
    const writer = new BatchWriter(sink, {
      batchSize: 1000,
      flushInterval: 0,
      retry: { firstDelay: 60_000 },
      closeTimeout: 600,
    });
    let code: string | undefined;
    writer.add('a', (error) => (code = error?.code));
    const started = Date.now();
    await writer.close();
    const took = Date.now() - started;
    assert.equal(code, 'ConnectionFailedException');
    assert.ok(took >= 300 && took < 1500, `close took ${took} ms`);
  });

  it('refuses entries after close with ClientClosedException', async () => {
    const writer = new BatchWriter(new RecordingSink(), { batchSize: 10, flushInterval: 0 });
    await writer.close();
    let refusal: unknown;
    writer.add('late', (error) => (refusal = error));
    assert.ok(refusal instanceof ClientClosedException);
  });
  it('writes once a full request of points waits, however few messages carry them', async () => {
    const sink = new RecordingSink();
    // The node's default: a commit every 1,000 messages, or after a second.
    const writer = new BatchWriter(sink, { batchSize: 1000, flushInterval: 60_000, maxBufferLines: 20_000 });
    const acks: Array<string | undefined> = [];
    for (let i = 0; i < 20; i++) {
      const lines = Array.from({ length: 1000 }, (_, j) => `m v=${j} ${i * 1000 + j}`);
      writer.add(lines, (error) => acks.push(error?.code));
    }
    await pause(200);
    assert.equal(acks.length, 20, `${acks.length} of 20 messages of 1,000 points written without waiting for the timer`);
    assert.ok(
      acks.every((code) => code === undefined),
      'none dropped for want of room',
    );
    assert.equal(sink.requests.flat().length, 20_000);
    await writer.close();
  });
});

describe('BatchWriter buffer limit', () => {
  it('drops the oldest waiting entries past maxBufferLines, failing each with BufferOverflowException', async () => {
    const sink: LineSink = {
      precision: 'ns',
      async writeLines() {
        throw new ConnectionFailedException('refused');
      },
    };
    const writer = new BatchWriter(sink, {
      batchSize: 1_000_000,
      flushInterval: 0,
      maxBufferLines: 10,
      retry: { firstDelay: 60_000 },
      closeTimeout: 1,
    });
    const results: Array<string | undefined> = [];
    let settled = 0;
    for (let i = 0; i < 25; i++) {
      writer.add(i % 5 === 0 ? ['a', 'b'] : `m v=${i}`, (error) => {
        results[i] = error?.code;
        settled++;
      });
    }
    assert.ok(writer.state().pendingPoints <= 10, `${writer.state().pendingPoints} points held`);
    assert.equal(writer.state().dropped + writer.state().pendingPoints, 30);
    const dropped = results.filter((code) => code === 'BufferOverflowException').length;
    assert.ok(dropped >= 15, `${dropped} entries dropped`);
    assert.ok(
      results.slice(0, dropped).every((code) => code === 'BufferOverflowException'),
      'the oldest go first',
    );
    await writer.close();
    assert.equal(settled, 25, 'every entry settled once');
    assert.ok(results.every((code) => code === 'BufferOverflowException' || code === 'ConnectionFailedException'));
  });
});

describe('BatchWriter caps that mean what they say', () => {
  const refusing: LineSink = {
    precision: 'ns',
    async writeLines() {
      throw new ConnectionFailedException('refused');
    },
  };
  const holding = { batchSize: 1_000_000, flushInterval: 0, retry: { firstDelay: 60_000 }, closeTimeout: 1 };

  it('a message of more points than may wait fails alone, naming the cap, and evicts nothing older', async () => {
    const writer = new BatchWriter(refusing, { ...holding, maxBufferLines: 100 });
    const results: Array<InfluxDBException | undefined> = [];
    for (let i = 0; i < 50; i++) writer.add(`m v=${i}`, (error) => (results[i] = error));
    let giant: InfluxDBException | undefined;
    writer.add(
      Array.from({ length: 101 }, (_, i) => `big v=${i}`),
      (error) => (giant = error),
    );
    assert.ok(giant instanceof BufferOverflowException);
    assert.match(giant.message, /101 points in one go are more than may wait for InfluxDB at once \(100, the buffer limit\)/);
    assert.equal(results.filter((error) => error !== undefined).length, 0, 'none of the 50 before it was dropped');
    assert.equal(writer.state().pendingPoints, 50);
    assert.equal(writer.state().dropped, 0);
    await writer.close();
  });

  it('writers sharing a budget hold at most its points together, and past it drop the oldest of them all, whichever writer holds them', async () => {
    const budget = new BufferBudget(10);
    const a = new BatchWriter(refusing, { ...holding, buffer: budget });
    const b = new BatchWriter(refusing, { ...holding, buffer: budget });
    const order: string[] = [];
    const dropped: string[] = [];
    const add = (writer: BatchWriter, name: string, lines: string | string[]): void => {
      order.push(name);
      writer.add(lines, (error) => error instanceof BufferOverflowException && dropped.push(name));
    };
    for (let i = 0; i < 6; i++) add(a, `a${i}`, `a v=${i}`);
    for (let i = 0; i < 3; i++) add(b, `b${i}`, `b v=${i}`);
    add(b, 'b3', ['b v=3', 'b v=4', 'b v=5']);
    assert.equal(budget.lines, 10, 'ten points held, six of a and four of b');
    assert.deepEqual(dropped, ['a0', 'a1'], "the two oldest, both a's, made room for b3's three points");
    add(a, 'a6', 'a v=6');
    assert.deepEqual(dropped, ['a0', 'a1', 'a2']);
    assert.equal(a.state().pendingPoints + b.state().pendingPoints, 10);
    await a.close();
    await b.close();
  });

  it('a message of many points goes out in requests of at most 5,000 points, and is acknowledged once all are written', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { batchSize: 1, flushInterval: 0 });
    let acknowledgements = 0;
    let outcome: InfluxDBException | undefined;
    writer.add(
      Array.from({ length: 12_001 }, (_, i) => `m v=${i}`),
      (error) => {
        acknowledgements++;
        outcome = error;
      },
    );
    await writer.flush();
    assert.deepEqual(requestSizes(sink), [5000, 5000, 2001]);
    assert.deepEqual(
      sink.requests.flat(),
      Array.from({ length: 12_001 }, (_, i) => `m v=${i}`),
    );
    assert.equal(acknowledgements, 1);
    assert.equal(outcome, undefined);
    await writer.close();
  });

  it('a message of long lines goes out in requests of about 4 MiB at most', async () => {
    const sink = new RecordingSink();
    const writer = new BatchWriter(sink, { batchSize: 1, flushInterval: 0 });
    const line = `m s="${'x'.repeat(1024 * 1024)}"`;
    writer.add([line, line, line, line, line, line], () => undefined);
    await writer.flush();
    assert.deepEqual(requestSizes(sink), [3, 3]);
    await writer.close();
  });

  it('when one request of a message in parts fails, the message fails, saying which of its points', async () => {
    const sink = new RecordingSink((lines) => lines.includes('m v=7000'));
    const writer = new BatchWriter(sink, { batchSize: 1, flushInterval: 0 });
    let outcome: InfluxDBException | undefined;
    writer.add(
      Array.from({ length: 12_000 }, (_, i) => `m v=${i}`),
      (error) => (outcome = error),
    );
    await writer.flush();
    assert.ok(outcome instanceof WriteFailedException);
    assert.match(
      outcome.message,
      /5000 of the 12000 points of this message were not written \(it went out in 3 requests; points 5001 to 10000: rejected\)/,
    );
    await writer.close();
  });
});

/**
 * A sink that rejects (400) every request holding a line with "bad" and keeps the lines of the others; the
 * first of those fails with `once` instead, when given.
 */
function badLineSink(once?: InfluxDBException): { sink: LineSink; written: string[] } {
  const written: string[] = [];
  let failure = once;
  const sink: LineSink = {
    precision: 'ns',
    async writeLines(lines) {
      const each = linesOf(lines);
      if (each.some((line) => line.includes('bad'))) throw new WriteFailedException('bad line', { status: 400 });
      if (failure !== undefined) {
        const thrown = failure;
        failure = undefined;
        throw thrown;
      }
      written.push(...each);
    },
  };
  return { sink, written };
}

/** What a replay of one record did. */
interface Replayed {
  written: string[];
  reported: string[];
  refusedPoints: number;
  emptied: boolean;
}

/**
 * A spool of one record (`body`) replayed to a badLineSink (failing once with `once`): the lines written,
 * those reported as rejected, the writer's count of refused points, and whether the spool emptied.
 */
async function replayOneRecord(body: string, once?: InfluxDBException): Promise<Replayed> {
  const reported: string[] = [];
  let result: Replayed | undefined;
  await inSpoolFolder(async (dir) => {
    const spool = Spool.open(dir);
    await spool.append({ target: {}, body: Buffer.from(body) });
    const { sink, written } = badLineSink(once);
    const writer = new BatchWriter(sink, {
      batchSize: 10,
      flushInterval: 0,
      spool,
      retry: { firstDelay: 20, jitter: 0 },
      onRejectedFromSpool: (_error, lines) => reported.push(...lines),
    });
    writer.startReplay();
    await writer.replayed();
    result = { written, reported, refusedPoints: writer.state().refusedPoints, emptied: spool.empty };
    await writer.close();
    await spool.close();
  });
  return result as Replayed;
}

/** Runs `use` with a temporary folder for a spool, removed after. */
async function inSpoolFolder(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'inflow-writer-spool-'));
  try {
    await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('BatchWriter with a spool', () => {
  it('acknowledges batches once spooled while the server is away, then replays them in order', async () => {
    await inSpoolFolder(async (dir) => {
      let up = false;
      const written: string[] = [];
      const sink: LineSink = {
        precision: 'ns',
        async writeLines(lines) {
          if (!up) throw new ConnectionFailedException('refused');
          written.push(...linesOf(lines));
        },
      };
      const spool = Spool.open(dir);
      const writer = new BatchWriter(sink, { batchSize: 2, flushInterval: 0, spool, retry: { firstDelay: 30, jitter: 0 } });
      const acks: Array<string | undefined> = [];
      for (let i = 0; i < 10; i++) writer.add(`m v=${i}`, (error) => acks.push(error?.code));
      await writer.flush();
      assert.deepEqual(acks, new Array(10).fill(undefined), 'acknowledged once on disk');
      assert.ok(spool.records > 0);
      assert.deepEqual(written, []);
      up = true;
      const deadline = Date.now() + 3000;
      while (!spool.empty && Date.now() < deadline) await pause(20);
      assert.equal(spool.empty, true);
      assert.deepEqual(
        written,
        Array.from({ length: 10 }, (_, i) => `m v=${i}`),
        'replayed in order',
      );
      await writer.close();
      await spool.close();
    });
  });

  it('a replay ended by an unexpected error starts again after a pause, and empties the spool', async () => {
    await inSpoolFolder(async (dir) => {
      const spool = Spool.open(dir);
      await spool.append({ target: {}, body: Buffer.from('m v="bad" 1\nm v=2 2\n') });
      const { sink, written } = badLineSink();
      const spoolErrors: string[] = [];
      let reports = 0;
      const writer = new BatchWriter(sink, {
        batchSize: 10,
        flushInterval: 0,
        spool,
        retry: { firstDelay: 50, jitter: 0 },
        onSpoolError: (error) => spoolErrors.push(error.message),
        onRejectedFromSpool: () => {
          // The first report fails, as a handler of the flow's could: the run ends there.
          if (++reports === 1) throw new Error('the handler failed');
        },
      });
      writer.startReplay();
      const deadline = Date.now() + 3000;
      while (!spool.empty && Date.now() < deadline) await pause(20);
      assert.equal(spool.empty, true);
      assert.deepEqual(written, ['m v=2 2']);
      assert.deepEqual(spoolErrors, ['the handler failed']);
      await writer.close();
      await spool.close();
    });
  });

  it('a replay that keeps ending on an error waits at least a second between runs, though the retry policy says 0', async () => {
    await inSpoolFolder(async (dir) => {
      const spool = Spool.open(dir);
      await spool.append({ target: {}, body: Buffer.from('m v="bad" 1\nm v=2 2\n') });
      const { sink } = badLineSink();
      let requests = 0;
      const counting: LineSink = {
        precision: sink.precision,
        writeLines: (lines, options) => {
          requests++;
          return sink.writeLines(lines, options);
        },
      };
      const writer = new BatchWriter(counting, {
        batchSize: 10,
        flushInterval: 0,
        spool,
        retry: { firstDelay: 0, jitter: 0 },
        onRejectedFromSpool: () => {
          throw new Error('the handler fails every time');
        },
      });
      writer.startReplay();
      await pause(1500);
      // Two runs at most in 1.5 s, each of three requests (the whole record, then its two halves).
      assert.ok(requests <= 6, `${requests} requests in 1.5 s`);
      const closing = performance.now();
      await writer.close();
      assert.ok(performance.now() - closing < 500, 'close does not wait out the pause');
      await spool.close();
    });
  });

  it('a point rejected on replay while the rest of its request must wait for a retry is reported and counted once', async () => {
    // The first request of good points alone meets a busy server, once.
    const replayed = await replayOneRecord(
      'm v="bad" 1\nm v=1 2\nm v=2 3\nm v=3 4\n',
      new WriteFailedException('overloaded', { status: 503 }),
    );
    assert.equal(replayed.emptied, true);
    assert.deepEqual(replayed.reported, ['m v="bad" 1']);
    assert.equal(replayed.refusedPoints, 1);
    assert.deepEqual([...new Set(replayed.written)].sort(), ['m v=1 2', 'm v=2 3', 'm v=3 4']);
  });

  it('two identical points rejected on replay are reported and counted as two', async () => {
    const replayed = await replayOneRecord('m v="bad" 1\nm v=1 2\nm v="bad" 1\nm v=3 4\n');
    assert.equal(replayed.emptied, true);
    assert.deepEqual(replayed.reported, ['m v="bad" 1', 'm v="bad" 1']);
    assert.equal(replayed.refusedPoints, 2);
    assert.deepEqual(replayed.written.sort(), ['m v=1 2', 'm v=3 4']);
  });

  it('spools two requests that fail together in the order their messages came, whichever failure arrives first', async () => {
    await inSpoolFolder(async (dir) => {
      let up = false;
      let requests = 0;
      let inFlight = 0;
      let mostInFlight = 0;
      const written: string[] = [];
      const sink: LineSink = {
        precision: 'ns',
        async writeLines(lines) {
          const request = ++requests;
          if (up) {
            written.push(...linesOf(lines));
            return;
          }
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          // The first request's failure comes last: a slow timeout beside a quick refusal.
          await pause(request === 1 ? 150 : 5);
          inFlight--;
          throw new ConnectionFailedException('refused');
        },
      };
      const spool = Spool.open(dir);
      // The backlog replayed a request at a time, so that what the server gets is the order on disk.
      const writer = new BatchWriter(sink, {
        batchSize: 1,
        flushInterval: 0,
        spool,
        retry: { firstDelay: 30, jitter: 0 },
        replay: { inFlight: 1 },
      });
      const message = (first: number): string[] => Array.from({ length: 5000 }, (_, i) => `m v=${first + i}`);
      const acks: Array<string | undefined> = [];
      // A whole request's worth each: the second goes out beside the first.
      writer.add(message(0), (error) => acks.push(error?.code));
      writer.add(message(5000), (error) => acks.push(error?.code));
      await writer.flush();
      assert.deepEqual(
        [acks, mostInFlight],
        [[undefined, undefined], 2],
        'both acknowledged once on disk, from two requests at once',
      );
      up = true;
      const deadline = Date.now() + 5000;
      while (!spool.empty && Date.now() < deadline) await pause(20);
      assert.equal(spool.empty, true);
      assert.deepEqual(written.slice(0, 5000), message(0), "the first message's points first");
      assert.deepEqual(written.slice(5000), message(5000));
      await writer.close();
      await spool.close();
    });
  });
});
