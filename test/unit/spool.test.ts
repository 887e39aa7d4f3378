import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { linesOfBody } from '../../src/core';
import { Spool, SpoolLockedError, type SpoolRecord } from '../../src/delivery';

const directories: string[] = [];
function directory(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'inflow-spool-test-'));
  directories.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const linesOf = (i: number): string[] => [`m v=${i} ${i}`, `m,t=é\\ x v="a\\"b\\\\" ${i + 1}`];
const record = (i: number, target = {}): SpoolRecord => ({ target, body: Buffer.from(`${linesOf(i).join('\n')}\n`) });
const linesIn = (got: SpoolRecord | undefined): string[] | undefined => (got === undefined ? undefined : linesOfBody(got.body));

describe('Spool', () => {
  it('gives records back first in, first out, with their targets', async () => {
    const spool = Spool.open(directory());
    assert.equal(await spool.first(), undefined);
    for (let i = 0; i < 5; i++)
      assert.equal(await spool.append(record(i, i === 2 ? { database: 'other', retentionPolicy: 'week' } : {})), true);
    assert.equal(spool.records, 5);
    for (let i = 0; i < 5; i++) {
      const got = await spool.first();
      assert.deepEqual(linesIn(got), linesOf(i));
      assert.deepEqual(
        got?.target,
        i === 2 ? { database: 'other', retentionPolicy: 'week' } : { database: undefined, retentionPolicy: undefined },
      );
      await spool.removeFirst();
    }
    assert.equal(spool.empty, true);
    await spool.close();
  });

  it('keeps its records across close and open, as across a restart', async () => {
    const dir = directory();
    const first = Spool.open(dir);
    for (let i = 0; i < 3; i++) await first.append(record(i));
    await first.removeFirst();
    await first.close();
    const again = Spool.open(dir);
    // A record removed but not yet deleted with its segment may come back: replaying it is harmless.
    assert.ok(again.records === 2 || again.records === 3);
    assert.deepEqual(linesIn(await again.first()), linesOf(3 - again.records));
    await again.close();
  });

  it('cuts off a torn last record and keeps every complete one', async () => {
    const dir = directory();
    const spool = Spool.open(dir);
    for (let i = 0; i < 4; i++) await spool.append(record(i));
    await spool.close();
    const [file] = readdirSync(dir);
    const full = path.join(dir, file as string);
    truncateSync(full, statSync(full).size - 7);
    const reopened = Spool.open(dir);
    assert.equal(reopened.records, 3);
    assert.equal(reopened.tornRecords, 1);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(linesIn(await reopened.first()), linesOf(i));
      await reopened.removeFirst();
    }
    assert.equal(await reopened.append(record(9)), true, 'appends again after the cut');
    await reopened.close();
  });

  it('reads records written by version 0.1.0 (the lines inside the JSON) before and among new ones', async () => {
    const dir = directory();
    const payload = Buffer.from(JSON.stringify({ d: 'other', l: linesOf(1) }));
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    writeFileSync(path.join(dir, '0000000001.spool'), Buffer.concat([header, payload]));
    const spool = Spool.open(dir);
    assert.equal(spool.records, 1);
    await spool.append(record(2));
    const old = await spool.first();
    assert.deepEqual(old?.target, { database: 'other', retentionPolicy: undefined });
    assert.equal(Buffer.from(old?.body ?? []).toString(), `${linesOf(1).join('\n')}\n`);
    await spool.removeFirst();
    assert.deepEqual(linesIn(await spool.first()), linesOf(2));
    await spool.close();
  });

  it('detects a corrupted last record by its checksum, cuts it off and reports it as damage (it was complete, not torn)', async () => {
    const dir = directory();
    const spool = Spool.open(dir);
    await spool.append(record(1));
    await spool.close();
    const file = path.join(dir, readdirSync(dir)[0] as string);
    appendFileSync(file, Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 104, 101, 108, 108, 111]));
    const reopened = Spool.open(dir);
    assert.equal(reopened.records, 1);
    assert.equal(reopened.tornRecords, 0);
    assert.deepEqual(
      reopened.damage.map(({ offset, bytes }) => ({ offset, bytes })),
      [{ offset: statSync(file).size, bytes: 13 }],
    );
    await reopened.close();
  });

  it('refuses appends past its size cap, and rotates and deletes segments', async () => {
    const dir = directory();
    const spool = Spool.open(dir, { maxBytes: 2000, segmentBytes: 300 });
    let accepted = 0;
    while (await spool.append(record(accepted))) accepted++;
    assert.ok(accepted > 5 && spool.bytes <= 2000, `${accepted} records in ${spool.bytes} bytes`);
    assert.ok(readdirSync(dir).length > 1, 'several segments');
    while (!spool.empty) await spool.removeFirst();
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith('.spool')),
      [],
    );
    assert.equal(spool.bytes, 0);
    await spool.close();
  });

  it('a flipped byte in the middle of a segment costs that record alone: the records after it are kept, and the damage is told', async () => {
    const dir = directory();
    const spool = Spool.open(dir);
    for (let i = 0; i < 20; i++) await spool.append(record(100 + i));
    await spool.close();
    const file = path.join(dir, readdirSync(dir).find((name) => name.endsWith('.spool')) as string);
    const data = readFileSync(file);
    const recordBytes = data.length / 20;
    data[recordBytes * 5 + 20] = (data[recordBytes * 5 + 20] as number) ^ 0x01;
    writeFileSync(file, data);
    const reopened = Spool.open(dir);
    assert.equal(reopened.records, 19);
    assert.deepEqual(reopened.damage, [{ file, offset: recordBytes * 5, bytes: recordBytes, points: 2 }]);
    const read: string[][] = [];
    while (!reopened.empty) {
      read.push(linesIn(await reopened.first()) as string[]);
      await reopened.removeFirst();
    }
    assert.deepEqual(
      read,
      Array.from({ length: 20 }, (_, i) => linesOf(100 + i)).filter((_, i) => i !== 5),
    );
    await reopened.close();
  });

  it('keeps its directory to one owner: a second open fails while the first holds it, and the lock of an owner that has ended is taken over', async () => {
    const dir = directory();
    const first = Spool.open(dir);
    assert.throws(() => Spool.open(dir), SpoolLockedError);
    await first.close();
    const second = Spool.open(dir);
    await second.close();
    // A lock left by a process that has ended (a crash) does not keep the directory.
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(dir, 'owner.lock'), `${ended}\n`);
    const third = Spool.open(dir);
    await third.close();
    // One held by a running process does.
    writeFileSync(path.join(dir, 'owner.lock'), `${process.ppid}\n`);
    assert.throws(
      () => Spool.open(dir),
      (error: unknown) => error instanceof SpoolLockedError && error.owner === process.ppid,
    );
  });
});
