import type { LineProtocol, Precision, WriteTarget } from '../core';

/** Where delivered points go: the Client is one. Sessions and batch writers write through it. */
export interface LineSink {
  /** The unit of the timestamps in the lines it takes. */
  readonly precision: Precision;
  /** Writes the lines in one request to the target (the sink's defaults where left out), or throws why not. */
  writeLines(lines: LineProtocol, options?: WriteTarget & { signal?: AbortSignal | undefined }): Promise<void>;
}

/** Points per request when a commit is large: well under the server's body limit, large enough to be cheap. */
export const MAX_LINES_PER_REQUEST = 5000;

/**
 * Bytes a request carries, about, at most: a message of many points goes out in several requests, each
 * well under every server's limit on a body (InfluxDB 3's is 10 MiB).
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
