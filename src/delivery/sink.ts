import type { LineProtocol, Precision, WriteTarget } from '../core';

/**
 * How a sink writes one request: to the target (the sink's defaults where left out), abandoned with the
 * signal, and with the unit of the lines' times when it is not the sink's (a batch kept on disk at an
 * earlier precision, sent as it was kept).
 */
export interface SinkWriteOptions extends WriteTarget {
  signal?: AbortSignal | undefined;
  precision?: Precision | undefined;
}

/** Where delivered points go: the Client is one. Sessions and batch writers write through it. */
export interface LineSink {
  /** The unit of the timestamps in the lines it takes. */
  readonly precision: Precision;
  /** Writes the lines in one request to the target (the sink's defaults where left out), or throws why not. */
  writeLines(lines: LineProtocol, options?: SinkWriteOptions): Promise<void>;
  /**
   * Writes gzipped lines (a spooled record) in one request, as they are where the server takes them so,
   * or else the lines `plain` unpacks. Without it, a writer unpacks them and calls writeLines.
   */
  writeGzipped?(gzipped: Uint8Array, plain: () => Promise<Uint8Array>, options?: SinkWriteOptions): Promise<void>;
  /**
   * Where a target's points go, with the sink's defaults filled in: what a spool keeps with them, so that
   * points on disk are replayed where they were sent even after the sink's defaults change.
   */
  resolveTarget?(target: WriteTarget): WriteTarget;
  /** Whether the server answers now (a ping): a writer waiting for an unreachable server retries as soon as it does. */
  answers?(signal?: AbortSignal): Promise<boolean>;
}
