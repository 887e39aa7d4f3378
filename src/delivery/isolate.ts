import { InvalidMeasurementException, type InfluxDBException, type RejectedLine } from '../core';

/**
 * The request was refused for what it carries (a line the server rejects, a body too large, a partial
 * write or a schema limit (422), a point the server's API would store wrongly, refused before sending):
 * splitting finds the culprit.
 */
export function isRejection(error: InfluxDBException): boolean {
  return error.status === 400 || error.status === 413 || error.status === 422 || error instanceof InvalidMeasurementException;
}

/** How to write a part, split it, and end it, for isolateRejected. */
export interface IsolationSteps<P> {
  /** Writes the part; the error that ended it, or undefined once written. */
  write(part: P): Promise<InfluxDBException | undefined>;
  /** The part's two halves, or undefined when it cannot be split further. */
  split(part: P): readonly [P, P] | undefined;
  /** Ends a part that was written, or failed for good; false stops the isolation (the rest is left for later). */
  end(part: P, failure: InfluxDBException | undefined): boolean;
  /**
   * Ends a part of which the server stored every line but those it named (InfluxDB 3 does): only
   * their owners fail, and nothing is written again.
   */
  endPartial(part: P, rejected: readonly RejectedLine[], failure: InfluxDBException): boolean;
}

/**
 * Writes a part (a batch of messages, a spooled record); when the server rejects it, halves it until
 * each rejected point stands alone (or with its own message), so the rest is written and only the
 * owners of rejected points fail. Points the server took before rejecting are written again,
 * harmlessly: every point carries its time. False when `end` stopped it.
 */
export async function isolateRejected<P>(part: P, steps: IsolationSteps<P>): Promise<boolean> {
  const failure = await steps.write(part);
  if (failure?.rejectedLines !== undefined && isRejection(failure)) return steps.endPartial(part, failure.rejectedLines, failure);
  if (failure !== undefined && isRejection(failure)) {
    const halves = steps.split(part);
    if (halves !== undefined) {
      for (const half of halves) if (!(await isolateRejected(half, steps))) return false;
      return true;
    }
  }
  return steps.end(part, failure);
}
