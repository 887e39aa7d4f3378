/**
 * A durable first-in first-out queue of batches on disk, for points acknowledged while InfluxDB
 * could not be reached. Records are appended to numbered segment files and fsynced before
 * `append` resolves. Each record is `[length u32][crc32 u32][payload]`, the payload a line of JSON
 * with the target, then the line protocol as it is sent (a record written by version 0.1.0 is one
 * line of JSON with the lines in it, and is read as well). A record torn by a crash is
 * found by its length or checksum when the spool is opened, and cut off; the complete ones before
 * it are kept. Replaying may write a record again after a crash: harmless, as every point carries
 * its own time. File work is asynchronous, one operation at a time, so an fsync on a slow SD card
 * never blocks the event loop.
 */
import { mkdirSync, readdirSync, readFileSync, truncateSync, unlinkSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { WriteOptions } from './measurement';

export interface SpoolRecord {
  target: WriteOptions;
  /** Line protocol, each line ending in a newline: a request body. */
  body: Uint8Array;
}

export interface SpoolOptions {
  /** Most bytes on disk; an append past it is refused. Default 100 MiB. */
  maxBytes?: number | undefined;
  /** Segment files are started anew past this size. Default 4 MiB. */
  segmentBytes?: number | undefined;
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

export class Spool {
  private readonly places: RecordPlace[] = [];
  private readonly segments: Segment[] = [];
  private totalBytes = 0;
  private appendHandle: FileHandle | undefined;
  // File operations run one after another, in the order they were asked for.
  private queue: Promise<unknown> = Promise.resolve();
  /** Records cut off as torn when the spool was opened. */
  readonly tornRecords: number;

  private constructor(
    readonly directory: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    torn: number,
  ) {
    this.tornRecords = torn;
  }

  /** Opens (or creates) the spool in a directory, checking every record and cutting off a torn tail. */
  static open(directory: string, options: SpoolOptions = {}): Spool {
    mkdirSync(directory, { recursive: true });
    const files = readdirSync(directory)
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => ({ name, sequence: Number.parseInt(name, 10) }))
      .filter((entry) => Number.isSafeInteger(entry.sequence))
      .sort((a, b) => a.sequence - b.sequence);
    let torn = 0;
    const scanned: Array<{ segment: Segment; places: RecordPlace[] }> = [];
    for (const { name, sequence } of files) {
      const file = path.join(directory, name);
      const data = readFileSync(file);
      const segment: Segment = { sequence, file, bytes: 0, live: 0 };
      const places: RecordPlace[] = [];
      let offset = 0;
      while (offset + HEADER_BYTES <= data.length) {
        const length = data.readUInt32LE(offset);
        const checksum = data.readUInt32LE(offset + 4);
        const end = offset + HEADER_BYTES + length;
        if (end > data.length || crc32(data.subarray(offset + HEADER_BYTES, end)) !== checksum) break;
        places.push({ segment, offset, length });
        offset = end;
      }
      if (offset < data.length) {
        torn++;
        truncateSync(file, offset);
      }
      segment.bytes = offset;
      segment.live = places.length;
      scanned.push({ segment, places });
    }
    const spool = new Spool(directory, options.maxBytes ?? 100 * 1024 * 1024, options.segmentBytes ?? 4 * 1024 * 1024, torn);
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
   * past its size cap.
   */
  append(record: SpoolRecord): Promise<boolean> {
    return this.serially(async () => {
      const target = Buffer.from(`${JSON.stringify({ d: record.target.database, r: record.target.retentionPolicy })}\n`);
      const size = HEADER_BYTES + target.length + record.body.length;
      if (this.totalBytes + size > this.maxBytes) return false;
      let segment = this.segments[this.segments.length - 1];
      if (segment === undefined || this.appendHandle === undefined || segment.bytes + size > this.segmentBytes) {
        segment = await this.startSegment(segment === undefined ? 1 : segment.sequence + 1);
      }
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(size - HEADER_BYTES, 0);
      header.writeUInt32LE(crc32(record.body, crc32(target)), 4);
      const handle = this.appendHandle as FileHandle;
      await handle.writev([header, target, record.body]);
      await handle.sync();
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
      const index = this.segments.indexOf(segment);
      if (index === this.segments.length - 1 && this.appendHandle !== undefined) {
        await this.appendHandle.close();
        this.appendHandle = undefined;
      }
      this.segments.splice(index, 1);
      this.totalBytes -= segment.bytes;
      await unlink(segment.file);
    });
  }

  /** Closes the file being appended to. The spool can be opened again later. */
  close(): Promise<void> {
    return this.serially(async () => {
      await this.appendHandle?.close();
      this.appendHandle = undefined;
    });
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async startSegment(sequence: number): Promise<Segment> {
    await this.appendHandle?.close();
    const file = path.join(this.directory, `${String(sequence).padStart(10, '0')}${SUFFIX}`);
    this.appendHandle = await open(file, 'a');
    const segment: Segment = { sequence, file, bytes: 0, live: 0 };
    this.segments.push(segment);
    return segment;
  }
}

/** A record from its payload: the target's line of JSON, then the body (or, from 0.1.0, the lines in the JSON). */
function recordOf(payload: Buffer): SpoolRecord {
  const newline = payload.indexOf(0x0a);
  const headerEnd = newline === -1 ? payload.length : newline;
  const parsed = JSON.parse(payload.toString('utf8', 0, headerEnd)) as { d?: string; r?: string; l?: string[] };
  const target = { database: parsed.d ?? undefined, retentionPolicy: parsed.r ?? undefined };
  if (parsed.l !== undefined) return { target, body: Buffer.from(parsed.l.map((line) => `${line}\n`).join('')) };
  return { target, body: payload.subarray(headerEnd + 1) };
}
