/**
 * The batch writer's queue: entries (the lines of one message each) kept as UTF-8 line protocol in
 * shared chunks of bytes, with their acknowledgements. Pending points then cost no string of their own
 * for the garbage collector to copy while they wait, and a request body is a slice of a chunk: no join,
 * no encoding on the way out. The newest entries wait as text for a moment, and are encoded a group at a
 * time: one write of a group's joined text costs less than a write per entry.
 */

/** Called once per entry: with nothing when its points are written, or with the error that ended them. */
export type Acknowledge<E> = (error: E | undefined) => void;

/** An entry's points: one line, or several. */
export type EntryLines = string | readonly string[];

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
/**
 * Entries kept as text before they are encoded together, and the most text kept so (large messages are
 * encoded a few at a time): few enough to be gone before a collection moves them.
 */
const DEFAULT_GROUP_ENTRIES = 256;
const GROUP_UNITS = 64 * 1024;

/** Entries taken together: their bytes, where each ends, their line counts and their acknowledgements, oldest first. */
export class Batch<E> {
  constructor(
    private readonly bytes: Buffer,
    /** Where each entry's bytes end in the body: cuts are made there, never by looking for line breaks. */
    private readonly ends: number[],
    readonly sizes: number[],
    readonly acknowledgements: Array<Acknowledge<E>>,
  ) {}

  get entries(): number {
    return this.acknowledgements.length;
  }

  get lineCount(): number {
    let count = 0;
    for (const size of this.sizes) count += size;
    return count;
  }

  /** The request body: every line, each ending in a newline. A view of the chunk when the entries share one. */
  body(): Buffer {
    return this.bytes;
  }

  /**
   * The first half of the entries and the second (a batch of one entry cannot be split), cut where the
   * serializer ended an entry: a string value may hold a line break, so counting line breaks could cut a point.
   */
  halves(): [Batch<E>, Batch<E>] {
    const middle = this.entries >> 1;
    const split = this.ends[middle - 1] as number;
    return [
      new Batch(
        this.bytes.subarray(0, split),
        this.ends.slice(0, middle),
        this.sizes.slice(0, middle),
        this.acknowledgements.slice(0, middle),
      ),
      new Batch(
        this.bytes.subarray(split),
        this.ends.slice(middle).map((end) => end - split),
        this.sizes.slice(middle),
        this.acknowledgements.slice(middle),
      ),
    ];
  }

  acknowledge(error: E | undefined): void {
    for (const acknowledge of this.acknowledgements) acknowledge(error);
  }

  /**
   * Acknowledges each entry as written, or, when it owns some of the `rejected` lines (numbered from 1
   * in the body), with the error `errorFor` makes of them (numbered from 1 in the entry).
   */
  acknowledgeLines(rejected: readonly NumberedLine[], errorFor: (own: NumberedLine[]) => E): void {
    const byLine = [...rejected].sort((a, b) => a.line - b.line);
    let next = 0;
    let first = 1;
    for (let entry = 0; entry < this.entries; entry++) {
      const size = this.sizes[entry] as number;
      // Numbers before this entry's first line name no line of the body: passed over.
      while (next < byLine.length && (byLine[next] as NumberedLine).line < first) next++;
      const own: NumberedLine[] = [];
      for (; next < byLine.length && (byLine[next] as NumberedLine).line < first + size; next++) {
        const rejection = byLine[next] as NumberedLine;
        own.push({ ...rejection, line: rejection.line - first + 1 });
      }
      (this.acknowledgements[entry] as Acknowledge<E>)(own.length === 0 ? undefined : errorFor(own));
      first += size;
    }
  }
}

/** A line named by its number, and why. */
export interface NumberedLine {
  line: number;
  message: string;
}

/**
 * Entries waiting to be written, oldest first. One slot per entry in each array: an entry costs no
 * object of its own. Taking reads from a moving head rather than shifting the arrays, so taking from a
 * long backlog (an outage, a burst) costs what is taken, not what is left. The arrays keep their length
 * once grown and are written in place from `tail`: emptied by every commit, they would otherwise be grown
 * again from nothing for the next one (a thousand entries cost about 3,000 slots of garbage per array).
 */
export class PendingLines<E> {
  private chunk = Buffer.alloc(0);
  private used = 0;
  private head = 0;
  /**
   * Entries in the arrays, from 0: slots from `head` to `tail` are waiting. The last `texts.length` of them
   * wait as text, their `chunks`, `starts` and `ends` not set yet.
   */
  private tail = 0;
  private readonly chunks: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly sizes: number[] = [];
  private readonly acknowledgements: Array<Acknowledge<E>> = [];
  /** Each entry's arrival number, to tell the oldest among several queues. */
  private readonly arrivals: number[] = [];
  /** The text of the newest entries, not yet encoded: they follow those of `chunks`. */
  private readonly texts: string[] = [];
  /** UTF-16 units in `texts`. */
  private textUnits = 0;
  /** Lines of every entry waiting. */
  lineCount = 0;

  /** `groupEntries`: how many entries wait as text before they are encoded together. */
  constructor(private readonly groupEntries = DEFAULT_GROUP_ENTRIES) {}

  get entries(): number {
    return this.tail - this.head;
  }

  /** The arrival number and point count of the entry `index` places after the oldest; undefined past the newest. */
  arrivalAt(index: number): number | undefined {
    return this.head + index < this.tail ? this.arrivals[this.head + index] : undefined;
  }

  sizeAt(index: number): number {
    return this.head + index < this.tail ? (this.sizes[this.head + index] as number) : 0;
  }

  /** Queues an entry. */
  push(lines: EntryLines, acknowledge: Acknowledge<E>, arrival = 0): void {
    const size = typeof lines === 'string' ? 1 : lines.length;
    const text = typeof lines === 'string' ? lines : lines.join('\n');
    const slot = this.tail++;
    setSlot(this.arrivals, slot, arrival);
    setSlot(this.sizes, slot, size);
    setSlot(this.acknowledgements, slot, acknowledge);
    this.texts.push(text);
    this.textUnits += text.length;
    this.lineCount += size;
    if (this.texts.length >= this.groupEntries || this.textUnits >= GROUP_UNITS) this.encode();
  }

  /** Encodes the entries waiting as text into the chunk, in one write when they are ASCII (as most line protocol is). */
  private encode(): void {
    const texts = this.texts;
    if (texts.length === 0) return;
    const joined = `${texts.join('\n')}\n`;
    // UTF-8 takes at most 3 bytes a UTF-16 unit.
    this.reserve(joined.length * 3);
    // One byte a unit: every unit is ASCII, and each entry's bytes are where its text was; otherwise each is written again.
    const ascii = this.chunk.write(joined, this.used) === joined.length;
    let at = this.used;
    let slot = this.tail - texts.length;
    for (const text of texts) {
      setSlot(this.chunks, slot, this.chunk);
      setSlot(this.starts, slot, at);
      if (ascii) {
        at += text.length + 1;
      } else {
        at += this.chunk.write(text, at);
        this.chunk[at++] = NEWLINE;
      }
      setSlot(this.ends, slot++, at);
    }
    this.used = at;
    texts.length = 0;
    this.textUnits = 0;
  }

  /** A chunk with room for `bytes` more. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.chunk.length) return;
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    this.used = 0;
  }

  /**
   * Takes the oldest whole entries, up to `maxLines` lines and about `maxBytes` bytes (at least one entry,
   * however large).
   */
  take(maxLines: number, maxBytes = Infinity): Batch<E> {
    this.encode();
    let lines = 0;
    let bytes = 0;
    let end = this.head;
    while (end < this.tail) {
      const size = this.sizes[end] as number;
      const entryBytes = (this.ends[end] as number) - (this.starts[end] as number);
      if (end > this.head && (lines + size > maxLines || bytes + entryBytes > maxBytes)) break;
      lines += size;
      bytes += entryBytes;
      end++;
    }
    return this.takeUntil(end, lines);
  }

  /** Takes the oldest `count` entries. */
  takeOldest(count: number): Batch<E> {
    const end = Math.min(this.tail, this.head + count);
    let lines = 0;
    for (let i = this.head; i < end; i++) lines += this.sizes[i] as number;
    return this.takeUntil(end, lines);
  }

  private takeUntil(end: number, lines: number): Batch<E> {
    this.encode();
    const from = this.head;
    const ends = new Array<number>(end - from);
    let offset = 0;
    for (let i = from; i < end; i++) {
      offset += (this.ends[i] as number) - (this.starts[i] as number);
      ends[i - from] = offset;
    }
    const batch = new Batch(this.bytesOf(from, end), ends, this.sizes.slice(from, end), this.acknowledgements.slice(from, end));
    // Taken slots hold neither the acknowledgements (and with them the messages) nor the chunks alive.
    this.acknowledgements.fill(TAKEN, from, end);
    this.chunks.fill(EMPTY, from, end);
    this.head = end;
    this.lineCount -= lines;
    // Once the gap is half the entries, shifting what is left costs no more than what was taken.
    if (this.head * 2 >= this.tail) this.compact();
    return batch;
  }

  /** The bytes of entries `from` to `end`: a view of their chunk when they share one (entries of a chunk follow each other). */
  private bytesOf(from: number, end: number): Buffer {
    const parts: Buffer[] = [];
    for (let i = from; i < end;) {
      const chunk = this.chunks[i] as Buffer;
      let last = i;
      while (last + 1 < end && this.chunks[last + 1] === chunk) last++;
      parts.push(chunk.subarray(this.starts[i], this.ends[last]));
      i = last + 1;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** Moves the waiting entries (all encoded: taking encodes first) to the front of the arrays, in place. */
  private compact(): void {
    const { head, tail } = this;
    const arrays = [this.sizes, this.acknowledgements, this.arrivals, this.chunks, this.starts, this.ends];
    if (head < tail) {
      for (const slots of arrays) slots.copyWithin(0, head, tail);
      // The slots left behind would keep what was moved alive after it is taken.
      this.acknowledgements.fill(TAKEN, tail - head, tail);
      this.chunks.fill(EMPTY, tail - head, tail);
    }
    this.head = 0;
    this.tail = tail - head;
    // After a burst or an outage, slots far beyond what waits are given back rather than kept for good.
    const kept = Math.max(this.tail, KEPT_SLOTS);
    if (this.sizes.length > KEPT_SLOTS && this.tail * 4 < this.sizes.length)
      for (const slots of arrays) if (slots.length > kept) slots.length = kept;
  }
}

/** Slots each array keeps however few entries wait: a commit's worth at the largest default sizes. */
const KEPT_SLOTS = 16_384;

/** Writes a slot of an array that is only ever grown: in place, or at its end. */
function setSlot<T>(slots: T[], index: number, value: T): void {
  if (index < slots.length) slots[index] = value;
  else slots.push(value);
}

/** What a taken slot holds until the arrays are compacted. */
const TAKEN = (): void => undefined;
const EMPTY = Buffer.alloc(0);
