/** What a queue under a BufferBudget lets the budget see and do. */
export interface BufferHolder {
  /** The arrival number of its entry `index` places after its oldest; undefined past its newest. */
  arrivalAt(index: number): number | undefined;
  /** The points of that entry. */
  sizeAt(index: number): number;
  /** Drops its oldest `count` entries, each failed as dropped. */
  dropOldest(count: number): void;
}

/**
 * Points waiting in memory, shared by several writers (one node's, across the targets it writes to): the
 * cap holds for them together, and past it the oldest entries of them all are dropped, whichever writer
 * holds them. An entry larger than the whole cap is never taken in, so nothing is dropped for one that
 * could not fit anyway.
 */
export class BufferBudget {
  /** Points waiting now, in every writer under the budget. */
  lines = 0;
  private arrivals = 0;
  private readonly holders = new Set<BufferHolder>();

  constructor(readonly maxLines: number) {}

  join(holder: BufferHolder): void {
    this.holders.add(holder);
  }

  leave(holder: BufferHolder): void {
    this.holders.delete(holder);
  }

  /** The number of the next entry to arrive: a later entry has a larger one. */
  arrival(): number {
    return this.arrivals++;
  }

  /** Drops the oldest entries across every holder until the points waiting are within the cap. */
  reclaim(): void {
    let excess = this.lines - this.maxLines;
    if (excess <= 0) return;
    const taken = new Map<BufferHolder, number>();
    while (excess > 0) {
      let oldest: BufferHolder | undefined;
      let oldestArrival = Infinity;
      for (const holder of this.holders) {
        const arrival = holder.arrivalAt(taken.get(holder) ?? 0);
        if (arrival !== undefined && arrival < oldestArrival) {
          oldest = holder;
          oldestArrival = arrival;
        }
      }
      if (oldest === undefined) break;
      const index = taken.get(oldest) ?? 0;
      excess -= oldest.sizeAt(index);
      taken.set(oldest, index + 1);
    }
    for (const [holder, count] of taken) holder.dropOldest(count);
  }
}
