/**
 * A durable first-in first-out queue of batches on disk, for points acknowledged while InfluxDB
 * could not be reached. Records are appended to numbered segment files and fsynced before
 * `append` resolves. Each record is `[length u32][crc32 u32][payload]`, the payload a line of JSON
 * with the target, then the line protocol as it is sent (a record written by version 0.1.0 is one
 * line of JSON with the lines in it, and is read as well).
 *
 * What the disk can do to it:
 * - a short write, a full disk (ENOSPC), a read-only disk (EROFS), no file descriptor left (EMFILE):
 *   `append` cuts the partial record back off and rejects with the error, so nothing is acknowledged
 *   that is not on disk; files are open only while a record is written or read;
 * - a record torn by a crash while it was written (never acknowledged) is cut off when the spool is
 *   opened; a damaged record elsewhere (a flipped byte) is skipped by finding the next valid record,
 *   and reported in `damage`, so one bad record costs that record alone;
 * - a second process on the same directory: a lock file with the owner's process id keeps the
 *   directory to one owner at a time (`SpoolLockedError`).
 *
 * Replaying may write a record again after a crash: harmless, as every point carries its own time.
 * File work is asynchronous, one operation at a time, so an fsync on a slow SD card never blocks the
 * event loop.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, readdirSync, rmdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { WriteTarget } from '../core';

export interface SpoolRecord {
  target: WriteTarget;
  /** Line protocol, each line ending in a newline: a request body. */
  body: Uint8Array;
}

export interface SpoolOptions {
  /** Most bytes on disk; an append past it is refused. Default 100 MiB. */
  maxBytes?: number | undefined;
  /** Segment files are started anew past this size. Default 4 MiB. */
  segmentBytes?: number | undefined;
}

/** A damaged stretch of a segment that was skipped when the spool was opened: its records are lost. */
export interface SpoolDamage {
  file: string;
  offset: number;
  bytes: number;
  /** Lines of line protocol that can be counted in the damaged bytes: about the points lost. */
  points: number;
}

/** The spool directory has another owner: a process that is still running. */
export class SpoolLockedError extends Error {
  constructor(
    readonly directory: string,
    readonly owner: number,
  ) {
    super(`the spool in ${directory} is in use by process ${owner} (another Node-RED on the same user directory?)`);
    this.name = 'SpoolLockedError';
  }
}

interface Segment {
  sequence: number;
  file: string;
  bytes: number;
  /** Records of this segment not yet removed. */
  live: number;
}

interface RecordPlace {
  segment: Segment;
  offset: number;
  length: number;
}

const HEADER_BYTES = 8;
const SUFFIX = '.spool';
const LOCK_FILE = 'owner.lock';
const OPEN_BRACE = 0x7b;
const NEWLINE = 0x0a;

/** Directories locked by spools of this process: a lock file naming this process is stale unless listed here. */
const lockedHere = new Set<string>();

export class Spool {
  private readonly places: RecordPlace[] = [];
  private readonly segments: Segment[] = [];
  private totalBytes = 0;
  /** The segment appended to; segments found when the spool was opened are never appended to. */
  private appendSegment: Segment | undefined;
  // File operations run one after another, in the order they were asked for.
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;
  /** Records cut off as torn when the spool was opened (never acknowledged: a crash came first). */
  readonly tornRecords: number;
  /** Damaged stretches skipped when the spool was opened. */
  readonly damage: readonly SpoolDamage[];

  private constructor(
    readonly directory: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    torn: number,
    damage: SpoolDamage[],
  ) {
    this.tornRecords = torn;
    this.damage = damage;
  }

  /**
   * Opens (or creates) the spool in a directory and locks it to this process, checking every record:
   * a torn tail is cut off, a damaged record skipped. Throws SpoolLockedError when another running
   * process owns the directory, and the file system's error when it cannot be read or created.
   */
  static open(directory: string, options: SpoolOptions = {}): Spool {
    mkdirSync(directory, { recursive: true });
    lock(directory);
    try {
      return Spool.scan(directory, options);
    } catch (error) {
      unlock(directory);
      throw error;
    }
  }

  private static scan(directory: string, options: SpoolOptions): Spool {
    const files = readdirSync(directory)
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => ({ name, sequence: Number.parseInt(name, 10) }))
      .filter((entry) => Number.isSafeInteger(entry.sequence))
      .sort((a, b) => a.sequence - b.sequence);
    let torn = 0;
    const damage: SpoolDamage[] = [];
    const scanned: Array<{ segment: Segment; places: RecordPlace[] }> = [];
    for (const { name, sequence } of files) {
      const file = path.join(directory, name);
      const data = readFileSync(file);
      const segment: Segment = { sequence, file, bytes: 0, live: 0 };
      const places: RecordPlace[] = [];
      let offset = 0;
      let end = 0;
      while (offset + HEADER_BYTES <= data.length) {
        const length = recordLengthAt(data, offset);
        if (length !== undefined) {
          places.push({ segment, offset, length });
          offset += HEADER_BYTES + length;
          end = offset;
          continue;
        }
        const next = nextRecordAfter(data, offset);
        if (next === undefined) break;
        damage.push({ file, offset, bytes: next - offset, points: Math.max(0, countLines(data, offset, next) - 1) });
        offset = next;
      }
      if (end < data.length) {
        // What follows the last valid record: a record torn by a crash, or one complete but damaged.
        const declared = end + HEADER_BYTES <= data.length ? data.readUInt32LE(end) : undefined;
        if (declared !== undefined && end + HEADER_BYTES + declared === data.length) {
          damage.push({
            file,
            offset: end,
            bytes: data.length - end,
            points: Math.max(0, countLines(data, end, data.length) - 1),
          });
        } else {
          torn++;
        }
        truncateSync(file, end);
      }
      segment.bytes = end;
      segment.live = places.length;
      scanned.push({ segment, places });
    }
    const spool = new Spool(
      directory,
      options.maxBytes ?? 100 * 1024 * 1024,
      options.segmentBytes ?? 4 * 1024 * 1024,
      torn,
      damage,
    );
    for (const { segment, places } of scanned) {
      if (segment.live === 0) {
        unlinkSync(segment.file);
        continue;
      }
      spool.segments.push(segment);
      spool.places.push(...places);
      spool.totalBytes += segment.bytes;
    }
    return spool;
  }

  /** Records waiting. */
  get records(): number {
    return this.places.length;
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.totalBytes;
  }

  get empty(): boolean {
    return this.places.length === 0;
  }

  /**
   * Appends a record and fsyncs it. Resolves false, writing nothing, when it would take the spool
   * past its size cap. Rejects with the file system's error when the record could not be made
   * durable; whatever part of it reached the file is cut back off first.
   */
  append(record: SpoolRecord): Promise<boolean> {
    return this.serially(async () => {
      const target = Buffer.from(`${JSON.stringify({ d: record.target.database, r: record.target.retentionPolicy })}\n`);
      const size = HEADER_BYTES + target.length + record.body.length;
      if (this.totalBytes + size > this.maxBytes) return false;
      let segment = this.appendSegment;
      if (segment === undefined || segment.bytes + size > this.segmentBytes) segment = this.startSegment();
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(size - HEADER_BYTES, 0);
      header.writeUInt32LE(crc32(record.body, crc32(target)), 4);
      await writeDurably(segment, Buffer.concat([header, target, record.body], size));
      if (segment.bytes === 0) this.segments.push(segment);
      this.places.push({ segment, offset: segment.bytes, length: size - HEADER_BYTES });
      segment.bytes += size;
      segment.live++;
      this.totalBytes += size;
      return true;
    });
  }

  /** The oldest record, or undefined when the spool is empty. */
  first(): Promise<SpoolRecord | undefined> {
    return this.serially(async () => {
      const place = this.places[0];
      if (place === undefined) return undefined;
      const handle = await open(place.segment.file, 'r');
      try {
        const payload = Buffer.alloc(place.length);
        await handle.read(payload, 0, place.length, place.offset + HEADER_BYTES);
        return recordOf(payload);
      } finally {
        await handle.close();
      }
    });
  }

  /** Removes the oldest record; a segment is deleted once none of its records is left. */
  removeFirst(): Promise<void> {
    return this.serially(async () => {
      const place = this.places.shift();
      if (place === undefined) return;
      const segment = place.segment;
      segment.live--;
      if (segment.live > 0) return;
      if (segment === this.appendSegment) this.appendSegment = undefined;
      this.segments.splice(this.segments.indexOf(segment), 1);
      this.totalBytes -= segment.bytes;
      await unlink(segment.file).catch(ignoreMissing);
    });
  }

  /**
   * Lets file work under way finish and gives the directory up (its lock file is removed; an empty
   * directory too, with `removeIfEmpty`). The spool can be opened again later.
   */
  close(options: { removeIfEmpty?: boolean } = {}): Promise<void> {
    return this.serially(async () => {
      if (this.released) return;
      this.released = true;
      unlock(this.directory);
      if (options.removeIfEmpty === true && this.empty) removeEmptyDirectory(this.directory);
    });
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A new segment after the last; its file is made by the first record written to it. */
  private startSegment(): Segment {
    const last = this.segments[this.segments.length - 1];
    const sequence = (last?.sequence ?? 0) + 1;
    const file = path.join(this.directory, `${String(sequence).padStart(10, '0')}${SUFFIX}`);
    const segment: Segment = { sequence, file, bytes: 0, live: 0 };
    this.appendSegment = segment;
    return segment;
  }
}

/**
 * Writes a record at the segment's end, every byte of it (a short write is continued), and fsyncs
 * it, a new file's directory entry too. On any failure the file is cut back to where the record began.
 */
async function writeDurably(segment: Segment, data: Buffer): Promise<void> {
  const isNew = segment.bytes === 0;
  const handle: FileHandle = await open(segment.file, isNew ? 'w' : 'r+');
  try {
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, segment.bytes + written);
        if (bytesWritten === 0) throw Object.assign(new Error(`no byte written to ${segment.file}`), { code: 'EIO' });
        written += bytesWritten;
      }
      await handle.sync();
    } catch (error) {
      // What was written of the record must not be read back as one; a torn record would be cut at the next open anyway.
      await handle.truncate(segment.bytes).catch(() => undefined);
      throw error;
    }
  } finally {
    await handle.close();
  }
  if (isNew) await syncDirectory(path.dirname(segment.file));
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The payload length of a valid record at `offset` (length in bounds, a JSON target, checksum right), or undefined. */
function recordLengthAt(data: Buffer, offset: number): number | undefined {
  if (offset + HEADER_BYTES >= data.length) return undefined;
  const length = data.readUInt32LE(offset);
  const end = offset + HEADER_BYTES + length;
  if (length < 2 || end > data.length || data[offset + HEADER_BYTES] !== OPEN_BRACE) return undefined;
  return crc32(data.subarray(offset + HEADER_BYTES, end)) === data.readUInt32LE(offset + 4) ? length : undefined;
}

/** The offset of the next valid record after a damaged one at `offset`: every payload starts with "{". */
function nextRecordAfter(data: Buffer, offset: number): number | undefined {
  for (
    let brace = data.indexOf(OPEN_BRACE, offset + 1 + HEADER_BYTES);
    brace !== -1;
    brace = data.indexOf(OPEN_BRACE, brace + 1)
  ) {
    const candidate = brace - HEADER_BYTES;
    if (recordLengthAt(data, candidate) !== undefined) return candidate;
  }
  return undefined;
}

function countLines(data: Buffer, from: number, to: number): number {
  let lines = 0;
  for (let at = data.indexOf(NEWLINE, from); at !== -1 && at < to; at = data.indexOf(NEWLINE, at + 1)) lines++;
  return lines;
}

/**
 * Takes the directory's lock file for this process, or throws SpoolLockedError when a running process
 * holds it. The lock file appears whole (written under another name, then linked into place), so
 * another process never reads it empty.
 */
function lock(directory: string): void {
  const file = path.join(directory, LOCK_FILE);
  if (lockedHere.has(directory)) throw new SpoolLockedError(directory, process.pid);
  const mine = path.join(directory, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, file);
        lockedHere.add(directory);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      // This process's own id with no spool of this process holding it: left by an earlier run (a container restarts with the same id).
      if (Number.isSafeInteger(owner) && owner !== process.pid && isRunning(owner)) throw new SpoolLockedError(directory, owner);
      unlinkQuietly(file);
    }
    throw new SpoolLockedError(directory, Number.NaN);
  } finally {
    unlinkQuietly(mine);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    ignoreMissing(error);
  }
}

function unlock(directory: string): void {
  if (lockedHere.delete(directory)) unlinkQuietly(path.join(directory, LOCK_FILE));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeEmptyDirectory(directory: string): void {
  try {
    rmdirSync(directory);
  } catch {
    // not empty (a file of another version, a lock taken meanwhile), or already gone: kept
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** A record from its payload: the target's line of JSON, then the body (or, from 0.1.0, the lines in the JSON). */
function recordOf(payload: Buffer): SpoolRecord {
  const newline = payload.indexOf(NEWLINE);
  const headerEnd = newline === -1 ? payload.length : newline;
  const parsed = JSON.parse(payload.toString('utf8', 0, headerEnd)) as { d?: string; r?: string; l?: string[] };
  const target = { database: parsed.d ?? undefined, retentionPolicy: parsed.r ?? undefined };
  if (parsed.l !== undefined) return { target, body: Buffer.from(parsed.l.map((line) => `${line}\n`).join('')) };
  return { target, body: payload.subarray(headerEnd + 1) };
}
