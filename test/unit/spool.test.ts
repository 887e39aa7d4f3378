import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { crc32, gzipSync } from 'node:zlib';
import { linesOfBody } from '../../src/core';
import { MAX_RECORD_BYTES, Spool, SpoolBudget, SpoolLockedError, type SpoolRecord } from '../../src/delivery';

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

/** A record as the spool writes one (IFLW, length, payload CRC, header CRC, payload), with the payload CRC given. */
function recordBytes(payload: Buffer, payloadCrc = crc32(payload)): Buffer {
  const header = Buffer.alloc(16);
  header.write('IFLW', 0, 'latin1');
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(payloadCrc, 8);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return Buffer.concat([header, payload]);
}

/**
 * A spool whose one record (`payload`, its target unreadable) is set aside when read, in segment 1 as a spool
 * emptied and started again numbers it; what it was told of goes into `setAside`.
 */
async function setAsideAlone(dir: string, payload: string, setAside: Array<{ file: string; why: string }>): Promise<void> {
  writeFileSync(path.join(dir, '0000000001.spool'), recordBytes(Buffer.from(payload)));
  const spool = Spool.open(dir, { onSetAside: (file, why) => setAside.push({ file, why }) });
  assert.equal(await spool.first(), undefined);
  await spool.close();
}

const segmentOf = (dir: string): string => path.join(dir, readdirSync(dir).find((name) => name.endsWith('.spool')) as string);

describe('Spool', () => {
  it('gives records back first in, first out, each with its whole target (database, retention policy, bucket, org)', async () => {
    const spool = Spool.open(directory());
    assert.equal(await spool.first(), undefined);
    const targets = [
      {},
      { database: 'other', retentionPolicy: 'week' },
      { bucket: 'tenant-b', org: 'acme' },
      { database: 'x', bucket: 'y/z', org: 'o' },
      {},
    ];
    for (let i = 0; i < 5; i++) assert.equal(await spool.append(record(i, targets[i])), true);
    assert.equal(spool.records, 5);
    for (let i = 0; i < 5; i++) {
      const got = await spool.first();
      assert.deepEqual(linesIn(got), linesOf(i));
      assert.deepEqual(got?.target, targets[i]);
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

  it('a record cut short in an older segment is damage (it was acknowledged), not a torn record', async () => {
    const dir = directory();
    const spool = Spool.open(dir, { segmentBytes: 64 });
    for (let i = 0; i < 3; i++) await spool.append(record(i));
    await spool.close();
    const [oldest] = readdirSync(dir)
      .filter((name) => name.endsWith('.spool'))
      .sort();
    const file = path.join(dir, oldest as string);
    truncateSync(file, statSync(file).size - 5);
    const reopened = Spool.open(dir);
    assert.equal(reopened.tornRecords, 0);
    assert.deepEqual(
      reopened.damage.map((damage) => damage.file),
      [file],
    );
    assert.equal(reopened.records, 2);
    assert.deepEqual(linesIn(await reopened.first()), linesOf(1));
    await reopened.close();
  });

  it('detects a corrupted last record by its checksum, cuts it off and reports it as damage (it was complete, not torn)', async () => {
    const dir = directory();
    const spool = Spool.open(dir);
    await spool.append(record(1));
    await spool.close();
    const file = path.join(dir, readdirSync(dir).find((name) => name.endsWith('.spool')) as string);
    const size = statSync(file).size;
    // A whole record, header and all, whose content does not match its checksum.
    const damaged = recordBytes(Buffer.from('{}\nm v=1 1\n'), 12345);
    appendFileSync(file, damaged);
    const reopened = Spool.open(dir);
    assert.equal(reopened.records, 1);
    assert.equal(reopened.tornRecords, 0);
    assert.deepEqual(
      reopened.damage.map(({ offset, bytes }) => ({ offset, bytes })),
      [{ offset: size, bytes: damaged.length }],
    );
    assert.equal(statSync(file).size, size, 'cut off');
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

  it('sets aside a record whose checksum is right but whose target cannot be read, and gives the next one: replay is never blocked', async () => {
    const dir = directory();
    writeFileSync(
      path.join(dir, '0000000001.spool'),
      Buffer.concat([recordBytes(Buffer.from('not json\nm v=1 1\n')), recordBytes(Buffer.from('{"d":"db"}\nm v=2 2\n'))]),
    );
    const setAside: Array<{ file: string; why: string }> = [];
    const spool = Spool.open(dir, { onSetAside: (file, why) => setAside.push({ file, why }) });
    assert.equal(spool.records, 2);
    const got = await spool.first();
    assert.deepEqual(got?.target, { database: 'db' });
    assert.deepEqual(linesIn(got), ['m v=2 2']);
    assert.equal(spool.records, 1);
    assert.equal(spool.setAside, 1);
    assert.equal(setAside.length, 1);
    assert.match(setAside[0]?.why ?? '', /target .* cannot be read/);
    assert.equal(
      readFileSync(setAside[0]?.file ?? '')
        .subarray(16)
        .toString(),
      'not json\nm v=1 1\n',
      'its bytes are kept, for a person to look at',
    );
    assert.equal(statSync(setAside[0]?.file ?? '').mode & 0o777, 0o600);
    await spool.close();
  });

  it('sets aside a gzipped record that says it holds more than a record may, without unpacking it; the next is given', async () => {
    const dir = directory();
    // A gzip bomb: a small member that would unpack to a gigabyte, its checksum right.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x61), { level: 9 });
    const says = 1024 * 1024 * 1024;
    writeFileSync(
      path.join(dir, '0000000001.spool'),
      Buffer.concat([
        recordBytes(Buffer.concat([Buffer.from(`{"d":"db","n":1,"u":${says},"z":1}\n`), bomb])),
        recordBytes(Buffer.from('{"d":"db"}\nm v=2 2\n')),
      ]),
    );
    const setAside: string[] = [];
    const spool = Spool.open(dir, { onSetAside: (_file, why) => setAside.push(why) });
    const got = await spool.first();
    assert.deepEqual(linesIn(got), ['m v=2 2']);
    assert.deepEqual(setAside, [`it says it holds ${says} bytes of line protocol, more than a record may (${MAX_RECORD_BYTES})`]);
    await spool.close();
  });

  it('refuses to keep a record of more than a record may hold, writing nothing', async () => {
    const spool = Spool.open(directory());
    const body = Buffer.alloc(MAX_RECORD_BYTES + 1, 0x0a);
    assert.equal(await spool.append({ target: {}, body }), false);
    assert.equal(spool.records, 0);
    await spool.close();
  });

  it("keeps the unit of a record's times with it, across close and open", async () => {
    const dir = directory();
    const spool = Spool.open(dir);
    await spool.append({ ...record(1), precision: 's' });
    await spool.append(record(2));
    await spool.close();
    const again = Spool.open(dir);
    const [first, second] = await again.oldest({ records: 2, lines: 10, bytes: 1024 });
    assert.equal(first?.precision, 's');
    assert.equal(second?.precision, undefined);
    await again.close();
  });

  it('a record set aside where an earlier one of the same place was kept gets a name of its own: neither is dropped', async () => {
    const dir = directory();
    const setAside: Array<{ file: string; why: string }> = [];
    for (const content of ['first\nm v=1 1\n', 'second\nm v=2 2\n']) await setAsideAlone(dir, content, setAside);
    assert.deepEqual(
      setAside.map(({ file }) => path.basename(file)),
      ['set-aside-0000000001-0.record', 'set-aside-0000000001-0-2.record'],
    );
    assert.deepEqual(
      setAside.map(({ file }) => readFileSync(file).subarray(16).toString()),
      ['first\nm v=1 1\n', 'second\nm v=2 2\n'],
    );
    assert.ok(setAside.every(({ why }) => !why.includes('dropped')));
  });

  it('a record set aside is kept under any of 100 names, and dropped only when all are taken, naming the last one tried', async () => {
    const dir = directory();
    for (let copy = 1; copy < 100; copy++)
      writeFileSync(path.join(dir, copy === 1 ? 'set-aside-0000000001-0.record' : `set-aside-0000000001-0-${copy}.record`), '');
    const setAside: Array<{ file: string; why: string }> = [];
    for (let round = 0; round < 2; round++) await setAsideAlone(dir, 'not json\nm v=1 1\n', setAside);
    assert.deepEqual(
      setAside.map(({ file }) => path.basename(file)),
      ['set-aside-0000000001-0-100.record', 'set-aside-0000000001-0-100.record'],
    );
    assert.ok(!(setAside[0]?.why ?? '').includes('dropped'));
    assert.match(setAside[1]?.why ?? '', /could not be kept in .*set-aside-0000000001-0-100\.record either, and is dropped/);
  });

  it('a record set aside for what its lines hold keeps its bytes in the set-aside file', async () => {
    const dir = directory();
    const setAside: string[] = [];
    const spool = Spool.open(dir, { onSetAside: (file) => setAside.push(file) });
    await spool.append(record(1, { database: 'db' }));
    await spool.setFirstAside('its gzipped lines cannot be unpacked');
    assert.equal(spool.records, 0);
    const kept = readFileSync(setAside[0] as string);
    assert.ok(kept.length > 16, 'not an empty file');
    assert.equal(kept.readUInt32LE(4), kept.length - 16, 'the whole record, its header first');
    await spool.close();
  });

  it('checks every record again when it is read: a record damaged on disk after the spool was opened is set aside, never given out', async () => {
    const dir = directory();
    const spool = Spool.open(dir, { onSetAside: () => undefined });
    for (let i = 0; i < 3; i++) await spool.append(record(i));
    const file = segmentOf(dir);
    const data = readFileSync(file);
    // The first record's body: a point's value changed, as a failing card might.
    const at = data.indexOf('m v=0');
    data[at + 4] = 0x39;
    writeFileSync(file, data);
    const got = await spool.first();
    assert.deepEqual(linesIn(got), linesOf(1));
    assert.equal(spool.setAside, 1);
    assert.equal(spool.records, 2);
    await spool.close();
  });

  it('follows no symbolic link: a segment that is one is neither read nor cut, and its target is left as it was', async () => {
    const dir = directory();
    const outside = path.join(directory(), 'precious.txt');
    writeFileSync(outside, 'do not truncate me');
    symlinkSync(outside, path.join(dir, '0000000001.spool'));
    const spool = Spool.open(dir);
    assert.equal(spool.records, 0);
    assert.deepEqual(spool.skippedFiles, [path.join(dir, '0000000001.spool')]);
    assert.equal(await spool.append(record(1)), true);
    assert.equal(readFileSync(outside, 'utf8'), 'do not truncate me');
    assert.ok(lstatSync(path.join(dir, '0000000001.spool')).isSymbolicLink(), 'the link is left alone');
    assert.ok(readdirSync(dir).includes('0000000002.spool'), 'a new segment takes a name no file has');
    await spool.close();
    const linked = path.join(directory(), 'linked');
    symlinkSync(dir, linked);
    assert.throws(() => Spool.open(linked), /not a directory of its own/);
  });

  it('keeps its folder and files to their owner: 0700 and 0600, a folder made 0755 before included', async () => {
    const dir = path.join(directory(), 'spool');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const spool = Spool.open(dir);
    await spool.append(record(1));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(segmentOf(dir)).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(dir, 'owner.lock')).mode & 0o777, 0o600);
    await spool.close();
  });

  it('spools sharing a budget hold at most its bytes together', async () => {
    const budget = new SpoolBudget(3000);
    const a = Spool.open(directory(), { budget });
    const b = Spool.open(directory(), { budget });
    // At the same time, as the spools of one node's targets append.
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).append(record(i))));
    const accepted = results.filter(Boolean).length;
    assert.ok(accepted > 5 && a.bytes + b.bytes <= 3000, `${accepted} records, ${a.bytes} + ${b.bytes} bytes`);
    assert.equal(budget.used, a.bytes + b.bytes);
    while (!a.empty) await a.removeFirst();
    assert.equal(budget.used, b.bytes, 'what one spool gives back the other may use');
    assert.equal(await b.append(record(1)), true);
    await a.close();
    await b.close();
    assert.equal(budget.used, 0);
  });

  it('skips a crafted stretch of record headers that each claim the rest of the segment, and opens', async () => {
    const dir = directory();
    const good = recordBytes(Buffer.from('{}\nm v=1 1\n'));
    // A damaged start, then 60,000 headers whose checksums are right but whose records run to the end: a resync that checked each would read 60,000 x 1 MB.
    const fake = Buffer.alloc(16);
    fake.write('IFLW', 0, 'latin1');
    const headers: Buffer[] = [];
    const count = 60_000;
    for (let i = 0; i < count; i++) {
      const header = Buffer.from(fake);
      header.writeUInt32LE((count - i - 1) * 16, 4);
      header.writeUInt32LE(i, 8);
      header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
      headers.push(header);
    }
    writeFileSync(path.join(dir, '0000000001.spool'), Buffer.concat([good, Buffer.from('garbage!'), ...headers]));
    const spool = Spool.open(dir);
    assert.equal(spool.records, 1, 'the record before the damage is kept');
    assert.equal(spool.damage.length, 1);
    assert.equal(spool.damage[0]?.offset, good.length);
    await spool.close();
  });
  it('keeps the point count a record is given: a string value holding a line break is one point, not two', async () => {
    const spool = Spool.open(directory());
    const body = Buffer.from('m note="first line\nsecond line" 1\n');
    assert.equal(await spool.append({ target: {}, body, lines: 1 }), true);
    const [stored] = await spool.oldest({ records: 10, lines: 5000, bytes: 1 << 20 });
    assert.equal(stored?.lines, 1);
    await spool.close();
  });
  it('writes records in the order they were appended, when a later one is packed sooner', async () => {
    const spool = Spool.open(directory());
    const large = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `m,host=h${i % 97} v=${i * 7919} ${i}\n`).join(''));
    const small = Buffer.from('m v=1 1\n');
    const appended = [
      spool.append({ target: { database: 'first' }, body: large }),
      spool.append({ target: { database: 'second' }, body: small }),
    ];
    assert.deepEqual(await Promise.all(appended), [true, true]);
    const stored = await spool.oldest({ records: 10, lines: 1_000_000, bytes: 1 << 30 });
    assert.deepEqual(
      stored.map((record) => record.target.database),
      ['first', 'second'],
    );
    await spool.close();
  });
});
