/**
 * inflow out's caps as the editor states them: "Hold at most" points and "Disk at most" megabytes for the
 * node as a whole, whatever number of targets its messages route to; a message larger than the cap fails
 * alone and evicts nothing; a message of many points goes out in requests of a bounded size.
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { helper, waitFor } from '../support/flows';
import { rows, server, setup, useOutServer } from '../support/out-flows';

useOutServer();

const away = 'http://127.0.0.1:9/db';
const codeOf = (msg: Record<string, unknown>): string => String((msg.error as { code?: unknown }).code);

/** Bytes of every file under a folder. */
function bytesUnder(folder: string): number {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

describe('inflow out: caps per node', () => {
  it('"Hold at most" holds for the node: 4,040 messages to 40 databases with a cap of 100 points keep 100 waiting, and fail the oldest', async () => {
    helper.settings({ inflowOutRetry: { firstDelay: 60_000 }, inflowOutCloseTimeout: 100 });
    try {
      const { caught, send } = await setup(
        { bufferLimit: 100, autocommitEvery: 1_000_000, flushInterval: 0, spool: false },
        { dsn: away },
      );
      for (let i = 0; i < 4040; i++) send({ seq: i, database: `db_${i % 40}`, payload: i });
      await waitFor(() => caught.length >= 3940, '3,940 dropped');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(caught.length, 3940, 'exactly the points over the cap');
      assert.ok(caught.every((msg) => codeOf(msg) === 'BufferOverflowException'));
      assert.deepEqual(
        caught.map((msg) => msg.seq),
        Array.from({ length: 3940 }, (_, i) => i),
        'the oldest of every database first',
      );
    } finally {
      helper.settings({ inflowOutRetry: undefined, inflowOutCloseTimeout: undefined });
    }
  });

  it('"Disk at most" holds for the node: 40 databases with a backlog on disk stay within 1 MB together', async () => {
    const userDir = mkdtempSync(path.join(tmpdir(), 'inflow-caps-'));
    helper.settings({ userDir, inflowOutRetry: { firstDelay: 60_000 }, inflowOutCloseTimeout: 100 });
    try {
      const { caught, completed, send } = await setup(
        { spool: true, spoolLimit: 1, autocommitEvery: 20, flushInterval: 0, bufferLimit: 1_000_000 },
        { dsn: away, timeout: 500 },
      );
      // 40 databases x 100 messages of 500 bytes each: 2 MB, twice the cap, of random text, which gzip
      // (the spool's packing) shrinks by a quarter at most.
      for (let i = 0; i < 4000; i++) {
        const note = randomBytes(360).toString('base64');
        send({ seq: i, database: `db_${i % 40}`, payload: { note, timestamp: 1_700_000_000_000 + i } });
      }
      await waitFor(() => completed.length > 1000, 'a first part acknowledged on disk', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const onDisk = bytesUnder(path.join(userDir, 'inflow-spool'));
      assert.ok(onDisk <= 1024 * 1024 + 4096, `${onDisk} bytes on disk for a cap of 1 MiB`);
      assert.ok(onDisk > 512 * 1024, `${onDisk} bytes on disk: the cap was used`);
      assert.equal(caught.length, 0, 'what the disk cannot take waits in memory, unacknowledged');
    } finally {
      await helper.unload();
      helper.settings({ userDir: undefined, inflowOutRetry: undefined, inflowOutCloseTimeout: undefined });
      rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('a message of a million rows among ordinary ones, InfluxDB healthy: it fails alone, naming the cap, and every other message is written', async () => {
    const { db, caught, completed, send } = await setup({ autocommitEvery: 10, flushInterval: 50 });
    for (let i = 0; i < 25; i++) send({ seq: i, payload: { value: i, timestamp: 1_700_000_000_000 + i } });
    const million = Array.from({ length: 1_000_000 }, (_, i) => ({ value: i, timestamp: 1_600_000_000_000 + i }));
    send({ seq: 'giant', payload: million });
    for (let i = 25; i < 50; i++) send({ seq: i, payload: { value: i, timestamp: 1_700_000_000_000 + i } });
    await waitFor(() => caught.length + completed.length === 51, 'every message done', 20_000);
    assert.deepEqual(
      caught.map((msg) => msg.seq),
      ['giant'],
    );
    assert.equal(codeOf(caught[0] ?? {}), 'BufferOverflowException');
    assert.match(
      String((caught[0]?.error as { message?: unknown }).message),
      /msg.payload has 1000000 rows, more than this node may hold waiting for InfluxDB \(Hold at most: 100000 points\)/,
    );
    assert.equal((await rows(db, 'SELECT count(value) FROM temperature'))[0]?.count, 50);
  });

  it('a message of 250,000 points goes out in requests of at most 5,000, and is done once all are stored', async () => {
    const { db, caught, completed, send } = await setup({ autocommitEvery: 1, flushInterval: 0, bufferLimit: 300_000 });
    const before = await server.writeRequests();
    send({ payload: Array.from({ length: 250_000 }, (_, i) => ({ value: i, timestamp: 1_600_000_000_000 + i })) });
    await waitFor(() => caught.length + completed.length === 1, 'the message done', 60_000);
    assert.equal(caught.length, 0, String((caught[0]?.error as { message?: unknown } | undefined)?.message));
    assert.equal((await rows(db, 'SELECT count(value) FROM temperature'))[0]?.count, 250_000);
    const requests = (await server.writeRequests()) - before;
    assert.ok(requests >= 50, `${requests} requests for 250,000 points`);
  });
});
