/**
 * A durable first-in first-out queue of batches on disk, for points acknowledged while InfluxDB
 * could not be reached. Records are appended to numbered segment files and fsynced before `append`
 * resolves. A record is a 16-byte header (`IFLW`, payload length, payload CRC-32, header CRC-32) and
 * its payload: a line of JSON with the whole target (database, retention policy, bucket, org), the unit of
 * the lines' times, how many lines and bytes the record holds and whether they are gzipped, then the line
 * protocol, gzipped (by default: sensor readings take a tenth of the disk, and are sent so) or as it is sent.
 *
 * What the disk can do to it:
 * - a short write, a full disk (ENOSPC), a read-only disk (EROFS), no file descriptor left (EMFILE):
 *   `append` cuts the partial record back off and rejects with the error, so nothing is acknowledged
 *   that is not on disk; files are open only while a record is written or read;
 * - a short or failed read: a record is read until it is whole, and its length and checksum are checked
 *   again before it is given out, so no byte of a damaged record is ever sent; a record that stays
 *   unreadable, or whose content cannot be decoded, is set aside in a file of its own (and reported), and
 *   the records after it go on;
 * - a record torn by a crash while it was written (never acknowledged) is cut off when the spool is
 *   opened; a damaged stretch elsewhere (a flipped byte) is skipped by finding the next valid record, in
 *   time linear in the segment's size, and reported in `damage`;
 * - a second process on the same directory: a lock file with the owner's process id keeps the
 *   directory to one owner at a time (`SpoolLockedError`);
 * - links: the directory and its files are used only when they are what they seem (no symbolic link is
 *   followed), and everything is made readable by its owner alone.
 *
 * Replaying may write a record again after a crash: harmless, as every point carries its own time.
 * File work is asynchronous, one operation at a time, so an fsync on a slow SD card never blocks the
 * event loop.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32, gunzip as gunzipCallback, gunzipSync, gzip as gzipCallback, constants as zlib } from 'node:zlib';
import { ClientClosedException, InfluxDBException, isPrecision, SPOOL_DEFAULTS, type Precision, type WriteTarget } from '../core';

/**
 * The most bytes of line protocol one record may hold, unpacked: more than any server takes in one request
 * (InfluxDB 1.x and 2.x 25 MB by default, 3.x 10 MiB, VictoriaMetrics 32 MB). A record that says it holds
 * more is not unpacked: what a gzip member says of itself cannot make the process allocate gigabytes.
 */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;
/** Names tried for a set-aside record, its own and numbered copies, before it is dropped. */
const SET_ASIDE_NAMES = 100;

export interface SpoolRecord {
  target: WriteTarget;
  /** The unit of the lines' times: a record is replayed in it, whatever the writer's precision by then. */
  precision?: Precision | undefined;
  /** Line protocol, each line ending in a newline: a request body. */
  body: Uint8Array;
  /**
   * Its points, when the caller knows them; otherwise its line breaks are counted, which is one too many
   * for each string value holding a line break.
   */
  lines?: number | undefined;
}

/** A record as it is kept, read whole and checked: its lines gzipped or as they are. */
export interface StoredRecord {
  /** Which record it is, for `removeFirst`: its segment and offset. */
  readonly id: string;
  readonly target: WriteTarget;
  /** The unit of its lines' times; undefined for a record of an older spool, which did not say. */
  readonly precision: Precision | undefined;
  /** Lines of line protocol it holds. */
  readonly lines: number;
  /** Bytes of its line protocol, unpacked. */
  readonly plainBytes: number;
  readonly gzipped: boolean;
  /** The bytes kept: a gzip member when `gzipped`, else the line protocol. */
  readonly stored: Uint8Array;
}

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/**
 * A stored record's line protocol, unpacked when gzipped; never more bytes than the record says it
 * holds (a record is checked by its checksum, but what it says it holds bounds what is unpacked too).
 */
export async function plainBodyOf(record: StoredRecord): Promise<Uint8Array> {
  if (!record.gzipped) return record.stored;
  const plain = await gunzip(record.stored, { maxOutputLength: Math.max(record.plainBytes, 1) });
  if (plain.length !== record.plainBytes)
    throw new Error(`a spooled record unpacked into ${plain.length} bytes, not the ${record.plainBytes} it holds`);
  return plain;
}

/** The bytes of several stored records sent as one request: gzip members one after another, or lines after lines. */
export function joinedBody(records: readonly StoredRecord[]): Uint8Array {
  return records.length === 1 ? (records[0] as StoredRecord).stored : Buffer.concat(records.map((record) => record.stored));
}

/** Bytes on disk shared by several spools (those of one node, across its targets): the cap holds for them together. */
export class SpoolBudget {
  used = 0;
  constructor(readonly maxBytes: number) {}
}

export interface SpoolOptions {
  /** Most bytes on disk; an append past it is refused. Default 100 MiB. Ignored with `budget`. */
  maxBytes?: number | undefined;
  /** A cap shared with other spools, instead of `maxBytes`. */
  budget?: SpoolBudget | undefined;
  /** Segment files are started anew past this size. Default 4 MiB. */
  segmentBytes?: number | undefined;
  /** Told of a record set aside because it could not be read back whole or decoded: the file it is kept in, and why. */
  onSetAside?: ((file: string, why: string) => void) | undefined;
  /** Records are kept gzipped (at the fastest level). Default true; records of either kind are read back. */
  compress?: boolean | undefined;
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
export class SpoolLockedError extends InfluxDBException {
  constructor(
    readonly directory: string,
    readonly owner: number,
  ) {
    super(`the spool in ${directory} is in use by process ${owner} (another Node-RED on the same user directory?)`);
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

const MAGIC = Buffer.from('IFLW', 'latin1');
const HEADER_BYTES = 16;
const SEGMENT_NAME = /^\d{10}\.spool$/;
const LOCK_FILE = 'owner.lock';
const NEWLINE = 0x0a;
/** Reads of a record that came back short or failed its checksum, before it is set aside. */
const READ_ATTEMPTS = 3;
/** Checksum work a resync may do beyond the segment's own size, per byte of it: linear, whatever the segment holds. */
const RESYNC_WORK_PER_BYTE = 4;
/** Bytes a damaged gzipped record is unpacked to at most, to count its points for the report. */
const MAX_COUNTED_BYTES = 64 * 1024 * 1024;
const OWNER_ONLY_FILE = 0o600;
const OWNER_ONLY_DIRECTORY = 0o700;
// O_NOFOLLOW: a segment or lock file that is a symbolic link is refused, never followed to another file.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const UPDATE_FLAGS = constants.O_RDWR | constants.O_NOFOLLOW;
const CREATE_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Directories locked by spools of this process: a lock file naming this process is stale unless listed here. */
const lockedHere = new Set<string>();

export class Spool {
  private readonly places: RecordPlace[] = [];
  /** Where `places` starts: taking the first record moves it rather than shifting the array. */
  private head = 0;
  private readonly segments: Segment[] = [];
  private totalBytes = 0;
  /** The segment appended to; segments found when the spool was opened are never appended to. */
  private appendSegment: Segment | undefined;
  /** The highest segment number of any file in the directory, used or not: a new segment never takes an old name. */
  private lastSequence: number;
  // File operations run one after another, in the order they were asked for.
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;
  private readonly budget: SpoolBudget;
  private readonly onSetAside: SpoolOptions['onSetAside'];
  private readonly compress: boolean;
  /** Records set aside since the spool was opened. */
  setAside = 0;
  /** Records cut off as torn when the spool was opened (never acknowledged: a crash came first). */
  readonly tornRecords: number;
  /** Damaged stretches skipped when the spool was opened. */
  readonly damage: readonly SpoolDamage[];
  /** Files in the directory that were not used: not regular files (a symbolic link), or not readable as segments. */
  readonly skippedFiles: readonly string[];

  private constructor(
    readonly directory: string,
    options: SpoolOptions,
    private readonly segmentBytes: number,
    found: Scanned,
  ) {
    this.budget = options.budget ?? new SpoolBudget(options.maxBytes ?? SPOOL_DEFAULTS.maxBytes);
    this.onSetAside = options.onSetAside;
    this.compress = options.compress ?? SPOOL_DEFAULTS.compress;
    this.tornRecords = found.torn;
    this.damage = found.damage;
    this.skippedFiles = found.skipped;
    this.lastSequence = found.lastSequence;
  }

  /**
   * Opens (or creates) the spool in a directory and locks it to this process, checking every record:
   * a torn tail is cut off, a damaged record skipped. Throws SpoolLockedError when another running
   * process owns the directory, and the file system's error when it cannot be read or created.
   */
  static open(directory: string, options: SpoolOptions = {}): Spool {
    ownDirectory(directory);
    lock(directory);
    try {
      const segmentBytes = options.segmentBytes ?? SPOOL_DEFAULTS.segmentBytes;
      const found = scanDirectory(directory);
      const spool = new Spool(directory, options, segmentBytes, found);
      for (const { segment, places } of found.segments) {
        spool.segments.push(segment);
        for (const place of places) spool.places.push(place);
        spool.totalBytes += segment.bytes;
      }
      spool.budget.used += spool.totalBytes;
      return spool;
    } catch (error) {
      unlock(directory);
      throw error;
    }
  }

  /** Records waiting. */
  get records(): number {
    return this.places.length - this.head;
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.totalBytes;
  }

  get empty(): boolean {
    return this.records === 0;
  }

  /**
   * Appends a record and fsyncs it. Resolves false, writing nothing, when it would take the spool
   * (or the spools sharing its budget) past the cap, or holds more than a record may (MAX_RECORD_BYTES).
   * Rejects with the file system's error when the record could not be made durable; whatever part of it
   * reached the file is cut back off first.
   */
  async append(record: SpoolRecord): Promise<boolean> {
    const plain = record.body;
    if (plain.byteLength > MAX_RECORD_BYTES) return false;
    // Packed while an earlier record is fsynced (in libuv's threads), but written in the order appended: a
    // record whose packing ends first must not go to disk before one appended ahead of it.
    const packing = this.compress ? gzip(plain, { level: zlib.Z_BEST_SPEED }) : Promise.resolve(plain);
    packing.catch(() => undefined);
    return this.serially(async () => {
      const stored = await packing;
      if (this.released) throw new ClientClosedException(`the spool in ${this.directory} is closed`);
      const { database: d, retentionPolicy: r, bucket: b, org: o } = record.target;
      const n = record.lines ?? countLines(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength), 0, plain.byteLength);
      const z = this.compress ? 1 : undefined;
      const meta = Buffer.from(`${JSON.stringify({ d, r, b, o, p: record.precision, n, u: plain.byteLength, z })}\n`);
      const size = HEADER_BYTES + meta.length + stored.length;
      if (this.budget.used + size > this.budget.maxBytes) return false;
      // Taken from the budget before the write: spools sharing it append at the same time.
      this.budget.used += size;
      let segment = this.appendSegment;
      if (segment === undefined || segment.bytes + size > this.segmentBytes) segment = this.startSegment();
      const data = Buffer.allocUnsafe(size);
      writeHeader(data, size - HEADER_BYTES, crc32(stored, crc32(meta)));
      meta.copy(data, HEADER_BYTES);
      Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).copy(data, HEADER_BYTES + meta.length);
      try {
        await writeDurably(segment, data);
      } catch (error) {
        this.budget.used -= size;
        // A new segment's file was removed with its failed record: the next append starts another, by another name.
        if (segment.bytes === 0) this.appendSegment = undefined;
        throw error;
      }
      if (segment.bytes === 0) this.segments.push(segment);
      this.places.push({ segment, offset: segment.bytes, length: size - HEADER_BYTES });
      segment.bytes += size;
      segment.live++;
      this.totalBytes += size;
      return true;
    });
  }

  /**
   * The oldest record, read whole and checked, or undefined when the spool is empty. A record that
   * cannot be read back whole or decoded is set aside, and the next one is given instead. Rejects with
   * the file system's error when reading fails again and again (a disk away): the record stays.
   */
  async first(): Promise<SpoolRecord | undefined> {
    const [record] = await this.oldest({ records: 1, lines: 1, bytes: 1 });
    if (record === undefined) return undefined;
    return { target: record.target, precision: record.precision, body: await plainBodyOf(record) };
  }

  /**
   * The oldest records as they are kept, read whole and checked, in order: as many as fit the limits (of
   * records, lines and unpacked bytes), and at least one. A first record that cannot be read back is set
   * aside, as `first` does; a later one ends the list (it is set aside when it comes first).
   */
  oldest(limits: { records: number; lines: number; bytes: number }): Promise<StoredRecord[]> {
    return this.serially(async () => {
      const records: StoredRecord[] = [];
      let lines = 0;
      let bytes = 0;
      for (let index = this.head; index < this.places.length && records.length < limits.records;) {
        const place = this.places[index] as RecordPlace;
        const read = await readRecord(place);
        if (read.record === undefined) {
          if (records.length > 0) break;
          await this.setRecordAside(place, read.bytes, read.why);
          index = this.head;
          continue;
        }
        const record = read.record;
        if (records.length > 0 && (lines + record.lines > limits.lines || bytes + record.plainBytes > limits.bytes)) break;
        records.push({ ...record, id: idOf(place) });
        lines += record.lines;
        bytes += record.plainBytes;
        index++;
      }
      return records;
    });
  }

  /** Removes the oldest record (the one `id` names, when given: another is never removed for it); a segment is deleted once none of its records is left. */
  removeFirst(id?: string): Promise<void> {
    return this.serially(async () => {
      const place = this.places[this.head];
      if (id !== undefined && (place === undefined || idOf(place) !== id))
        throw new Error(`the first spooled record is ${place === undefined ? 'none' : idOf(place)}, not ${id}`);
      await this.dropFirst();
    });
  }

  /** Sets the oldest record aside (its bytes kept in a file of its own, never replayed), saying why. */
  setFirstAside(why: string): Promise<void> {
    return this.serially(async () => {
      const place = this.places[this.head];
      if (place === undefined) return;
      // Its bytes checked out when read (it is set aside for what they hold): kept for a person to look at.
      const bytes = await readWhole(place.segment.file, place.offset, HEADER_BYTES + place.length).catch(() => undefined);
      await this.setRecordAside(place, bytes, why);
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
      this.budget.used -= this.totalBytes;
      unlock(this.directory);
      if (options.removeIfEmpty === true && this.empty) removeEmptyDirectory(this.directory);
    });
  }

  private async dropFirst(): Promise<void> {
    const place = this.places[this.head];
    if (place === undefined) return;
    this.head++;
    if (this.head * 2 >= this.places.length) {
      this.places.splice(0, this.head);
      this.head = 0;
    }
    const segment = place.segment;
    segment.live--;
    if (segment.live > 0) return;
    if (segment === this.appendSegment) this.appendSegment = undefined;
    this.segments.splice(this.segments.indexOf(segment), 1);
    this.totalBytes -= segment.bytes;
    if (!this.released) this.budget.used -= segment.bytes;
    await unlink(segment.file).catch(ignoreMissing);
  }

  /**
   * Keeps what could be read of a record in a file of its own beside the segments (for a person to look
   * at; never replayed), and goes on without it. When even that cannot be written, the record is dropped:
   * either way it is reported.
   */
  private async setRecordAside(place: RecordPlace, bytes: Buffer | undefined, why: string): Promise<void> {
    const name = `set-aside-${String(place.segment.sequence).padStart(10, '0')}-${place.offset}`;
    let file = '';
    let kept = false;
    // Segment numbers start again once the folder is empty: a record set aside earlier may hold the name.
    for (let copy = 1; !kept && copy <= SET_ASIDE_NAMES; copy++) {
      file = path.join(this.directory, copy === 1 ? `${name}.record` : `${name}-${copy}.record`);
      try {
        await writeFile(file, bytes ?? Buffer.alloc(0), { mode: OWNER_ONLY_FILE, flag: 'wx' });
        kept = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') break;
      }
    }
    await this.dropFirst();
    this.setAside++;
    this.onSetAside?.(file, kept ? why : `${why}; it could not be kept in ${file} either, and is dropped`);
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A new segment after the last; its file is made by the first record written to it. */
  private startSegment(): Segment {
    const sequence = ++this.lastSequence;
    const file = path.join(this.directory, `${String(sequence).padStart(10, '0')}.spool`);
    const segment: Segment = { sequence, file, bytes: 0, live: 0 };
    this.appendSegment = segment;
    return segment;
  }
}

function writeHeader(data: Buffer, length: number, checksum: number): void {
  MAGIC.copy(data, 0);
  data.writeUInt32LE(length, 4);
  data.writeUInt32LE(checksum, 8);
  data.writeUInt32LE(crc32(data.subarray(0, 12)), 12);
}

/** The payload length a header at `offset` declares, when the header is whole and checks out; undefined otherwise. */
function headerAt(data: Buffer, offset: number): number | undefined {
  if (offset + HEADER_BYTES > data.length || data.compare(MAGIC, 0, 4, offset, offset + 4) !== 0) return undefined;
  if (crc32(data.subarray(offset, offset + 12)) !== data.readUInt32LE(offset + 12)) return undefined;
  return data.readUInt32LE(offset + 4);
}

function payloadChecksOut(data: Buffer, offset: number, length: number): boolean {
  const end = offset + HEADER_BYTES + length;
  return end <= data.length && crc32(data.subarray(offset + HEADER_BYTES, end)) === data.readUInt32LE(offset + 8);
}

interface Scanned {
  segments: Array<{ segment: Segment; places: RecordPlace[] }>;
  lastSequence: number;
  torn: number;
  damage: SpoolDamage[];
  skipped: string[];
}

/** Reads every segment of a directory in order, cutting torn tails and skipping damaged stretches; empty segments are deleted. */
function scanDirectory(directory: string): Scanned {
  const found: Scanned = { segments: [], lastSequence: 0, torn: 0, damage: [], skipped: [] };
  const names = readdirSync(directory)
    .filter((name) => name.endsWith('.spool'))
    .sort();
  const newest = names.filter((name) => SEGMENT_NAME.test(name)).at(-1);
  for (const name of names) {
    const file = path.join(directory, name);
    const sequence = Number.parseInt(name, 10);
    if (Number.isSafeInteger(sequence)) found.lastSequence = Math.max(found.lastSequence, sequence);
    if (!SEGMENT_NAME.test(name) || !lstatSync(file).isFile()) {
      found.skipped.push(file);
      continue;
    }
    const scanned = scanSegment(file, sequence, found, name === newest);
    if (scanned === undefined) found.skipped.push(file);
    else if (scanned.places.length === 0) unlinkSync(file);
    else found.segments.push(scanned);
  }
  return found;
}

/** `newest`: the segment appended to last, the only one a crash can leave a record torn in. */
function scanSegment(
  file: string,
  sequence: number,
  found: Scanned,
  newest: boolean,
): { segment: Segment; places: RecordPlace[] } | undefined {
  let fd: number;
  try {
    fd = openSync(file, UPDATE_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const data = readFileSync(fd);
    const segment: Segment = { sequence, file, bytes: 0, live: 0 };
    const places: RecordPlace[] = [];
    let work = data.length * RESYNC_WORK_PER_BYTE;
    let offset = 0;
    let end = 0;
    while (offset + HEADER_BYTES <= data.length) {
      const length = headerAt(data, offset);
      if (length !== undefined && payloadChecksOut(data, offset, length)) {
        places.push({ segment, offset, length });
        offset += HEADER_BYTES + length;
        end = offset;
        continue;
      }
      // A damaged stretch: the next place whose header checks out and whose payload does too, within the work left.
      let next: number | undefined;
      for (let candidate = data.indexOf(MAGIC, offset + 1); candidate !== -1; candidate = data.indexOf(MAGIC, candidate + 1)) {
        const declared = headerAt(data, candidate);
        if (declared === undefined || candidate + HEADER_BYTES + declared > data.length) continue;
        work -= declared;
        if (work < 0) break;
        if (payloadChecksOut(data, candidate, declared)) {
          next = candidate;
          break;
        }
      }
      if (next === undefined) break;
      found.damage.push({ file, offset, bytes: next - offset, points: pointsIn(data, offset, next, 0) });
      offset = next;
    }
    if (end < data.length) {
      // What follows the last valid record: a record torn by a crash while it was written (a header whose
      // record runs past the end, or less than a header), or damaged bytes. An older segment was whole when
      // the next was started: a short tail there is a record cut after it was acknowledged, damage.
      const declared = headerAt(data, end);
      const torn =
        newest && (data.length - end < HEADER_BYTES || (declared !== undefined && end + HEADER_BYTES + declared > data.length));
      if (torn) found.torn++;
      else
        found.damage.push({
          file,
          offset: end,
          bytes: data.length - end,
          points: pointsIn(data, end, data.length, 1),
        });
      ftruncateSync(fd, end);
    }
    segment.bytes = end;
    segment.live = places.length;
    return { segment, places };
  } finally {
    closeSync(fd);
  }
}

type Kept = Omit<StoredRecord, 'id'>;

/** A record read back whole and checked: its content, or the bytes that could be read and why they cannot be used. */
type ReadRecord =
  { record: Kept; bytes?: undefined; why?: undefined } | { record?: undefined; bytes: Buffer | undefined; why: string };

function idOf(place: RecordPlace): string {
  return `${place.segment.sequence}:${place.offset}`;
}

async function readRecord(place: RecordPlace): Promise<ReadRecord> {
  const size = HEADER_BYTES + place.length;
  let why = '';
  let data: Buffer | undefined;
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    try {
      data = await readWhole(place.segment.file, place.offset, size);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Its file is gone, or was replaced by a link: the record cannot come back.
      if (code === 'ENOENT' || code === 'ELOOP')
        return { bytes: undefined, why: `its file ${place.segment.file} is gone (${code})` };
      if (attempt === READ_ATTEMPTS) throw error;
      continue;
    }
    if (headerAt(data, 0) !== place.length) why = 'its header no longer checks out';
    else if (!payloadChecksOut(data, 0, place.length)) why = 'its checksum no longer matches its content';
    else return recordOf(data);
  }
  return { bytes: data, why: `a record of ${place.segment.file} at offset ${place.offset} could not be read back whole: ${why}` };
}

/** `size` bytes from `position`, read until whole (a read may return fewer bytes than asked for). */
async function readWhole(file: string, position: number, size: number): Promise<Buffer> {
  const handle = await open(file, READ_FLAGS);
  try {
    const data = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await handle.read(data, got, size - got, position + got);
      if (bytesRead === 0) return data.subarray(0, got);
      got += bytesRead;
    }
    return data;
  } finally {
    await handle.close();
  }
}

/** A record from its checked bytes: the target's line of JSON, then the body. */
function recordOf(data: Buffer): ReadRecord {
  const payload = data.subarray(HEADER_BYTES);
  const newline = payload.indexOf(NEWLINE);
  let meta: unknown;
  try {
    meta = newline < 0 ? undefined : JSON.parse(payload.toString('utf8', 0, newline));
  } catch {
    meta = undefined;
  }
  const target = targetOf(meta);
  if (target === undefined) return { bytes: data, why: 'its target (database, retention policy, bucket, org) cannot be read' };
  const stored = payload.subarray(newline + 1);
  const { p, n, u, z } = meta as { p?: unknown; n?: unknown; u?: unknown; z?: unknown };
  if (p !== undefined && !isPrecision(p)) return { bytes: data, why: 'the unit of its times cannot be read' };
  const precision = p;
  // A record of an older spool says none of them: its lines are as they are sent.
  if (n === undefined && u === undefined && z === undefined) {
    const lines = countLines(stored, 0, stored.length);
    return { record: { target, precision, stored, gzipped: false, lines, plainBytes: stored.length } };
  }
  const whole = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (!whole(n) || !whole(u) || (z !== undefined && z !== 1) || (z === undefined && u !== stored.length))
    return { bytes: data, why: 'what it says it holds (lines, bytes, packing) cannot be read' };
  if (u > MAX_RECORD_BYTES)
    return { bytes: data, why: `it says it holds ${u} bytes of line protocol, more than a record may (${MAX_RECORD_BYTES})` };
  return { record: { target, precision, stored, gzipped: z === 1, lines: n, plainBytes: u } };
}

function targetOf(meta: unknown): WriteTarget | undefined {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  const { d, r, b, o } = meta as Record<string, unknown>;
  const target: WriteTarget = {};
  for (const [key, value] of [
    ['database', d],
    ['retentionPolicy', r],
    ['bucket', b],
    ['org', o],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    target[key] = value;
  }
  return target;
}

/**
 * Writes a record at the segment's end, every byte of it (a short write is continued), and fsyncs
 * it, a new file's directory entry too. On any failure the file is cut back to where the record began.
 */
async function writeDurably(segment: Segment, data: Buffer): Promise<void> {
  const isNew = segment.bytes === 0;
  const handle: FileHandle = await open(segment.file, isNew ? CREATE_FLAGS : UPDATE_FLAGS, OWNER_ONLY_FILE);
  try {
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, segment.bytes + written);
        if (bytesWritten === 0) throw Object.assign(new Error(`no byte written to ${segment.file}`), { code: 'EIO' });
        written += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    // A new file is durable only once the folder's entry for it is.
    if (isNew) await syncDirectory(path.dirname(segment.file));
  } catch (error) {
    // What was written of the record must not be read back as one (a torn record would be cut at the next open
    // anyway); a new file goes whole, so that its name is free and no record stays in it unacknowledged.
    if (isNew) await unlink(segment.file).catch(() => undefined);
    else await truncateTo(segment.file, segment.bytes);
    throw error;
  }
}

async function truncateTo(file: string, bytes: number): Promise<void> {
  try {
    const handle = await open(file, UPDATE_FLAGS);
    try {
      await handle.truncate(bytes);
    } finally {
      await handle.close();
    }
  } catch {
    // cut at the next open, as a torn record
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * About how many points a damaged stretch held: what its record's line of JSON says, when it can still be
 * read, or else its lines (a gzipped record's bytes hold no lines to count); at least `least`.
 */
function pointsIn(data: Buffer, from: number, to: number, least: number): number {
  const metaEnd = data.indexOf(NEWLINE, from + HEADER_BYTES);
  if (metaEnd !== -1 && metaEnd < to) {
    try {
      const { n } = JSON.parse(data.toString('utf8', from + HEADER_BYTES, metaEnd)) as { n?: unknown };
      if (Number.isSafeInteger(n)) return Math.max(least, n as number);
    } catch {
      // Not readable: counted below.
    }
    const body = data.subarray(metaEnd + 1, to);
    if (body[0] === 0x1f && body[1] === 0x8b) {
      try {
        const plain = gunzipSync(body, { maxOutputLength: MAX_COUNTED_BYTES });
        return Math.max(least, countLines(plain, 0, plain.length));
      } catch {
        // Damaged too: its lines are not known.
        return least;
      }
    }
  }
  return Math.max(least, countLines(data, from, to) - 1);
}

function countLines(data: Buffer, from: number, to: number): number {
  let lines = 0;
  for (let at = data.indexOf(NEWLINE, from); at !== -1 && at < to; at = data.indexOf(NEWLINE, at + 1)) lines++;
  return lines;
}

/** Makes the directory (readable by its owner alone) or checks the one there: a real directory, not a link to one. */
function ownDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: OWNER_ONLY_DIRECTORY });
  const stats = lstatSync(directory);
  if (!stats.isDirectory()) {
    throw Object.assign(new Error(`${directory} is not a directory of its own (a symbolic link?): the spool is not kept there`), {
      code: 'ENOTDIR',
    });
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(directory, OWNER_ONLY_DIRECTORY);
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
  writeFileSync(mine, `${process.pid}\n`, { flag: 'wx', mode: OWNER_ONLY_FILE });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, file);
        lockedHere.add(directory);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = lockOwner(file);
      // This process's own id with no spool of this process holding it: left by an earlier run (a container restarts with the same id).
      if (Number.isSafeInteger(owner) && owner !== process.pid && isRunning(owner)) throw new SpoolLockedError(directory, owner);
      unlinkQuietly(file);
    }
    throw new SpoolLockedError(directory, Number.NaN);
  } finally {
    unlinkQuietly(mine);
  }
}

/** The process id a lock file names; NaN for one that names none (or is not a file of its own). */
function lockOwner(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch {
    return Number.NaN;
  }
  try {
    return Number.parseInt(readFileSync(fd, 'utf8').slice(0, 32), 10);
  } finally {
    closeSync(fd);
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
    // not empty (a record set aside, a lock taken meanwhile), or already gone: kept
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
