/**
 * One vocabulary for the library, the nodes and the editor: which server API the client speaks, the
 * query languages each answers, and every default, each named once. The editor's own lists are held to
 * these by a test.
 */

/** A server HTTP API the client speaks: InfluxDB 1.x, 2.x, 3 (Core, Enterprise), VictoriaMetrics. */
export const API_NAMES = ['1', '2', '3', 'victoriametrics'] as const;
export type ApiName = (typeof API_NAMES)[number];

/** What a client is told to speak: an API, or 'auto' (find out from the server's `/ping`, once). */
export const API_CHOICES = ['auto', ...API_NAMES] as const;
export type ApiChoice = (typeof API_CHOICES)[number];

export function isApiChoice(value: unknown): value is ApiChoice {
  return (API_CHOICES as readonly unknown[]).includes(value);
}

export const QUERY_LANGUAGES = ['influxql', 'sql', 'flux'] as const;
export type QueryLanguage = (typeof QUERY_LANGUAGES)[number];

export function isQueryLanguage(value: unknown): value is QueryLanguage {
  return (QUERY_LANGUAGES as readonly unknown[]).includes(value);
}

/** The query languages each API answers, its own first. VictoriaMetrics answers none (every /query is SHOW DATABASES). */
export const LANGUAGES_OF: Readonly<Record<ApiName, readonly QueryLanguage[]>> = {
  '1': ['influxql'],
  '2': ['influxql', 'flux'],
  '3': ['influxql', 'sql'],
  victoriametrics: [],
};

/** A language's name in words. */
export const LANGUAGE_NAMES: Readonly<Record<QueryLanguage, string>> = { influxql: 'InfluxQL', sql: 'SQL', flux: 'Flux' };

const MiB = 1024 * 1024;

/** A Client's defaults. */
export const CLIENT_DEFAULTS = {
  api: 'auto',
  /** Inflow's default unit. */
  precision: 's',
  timeout: 10_000,
  streamTimeout: 300_000,
  maxAnswerBytes: 32 * MiB,
  /** Bodies from this size on are gzipped (never for a server on this machine). */
  gzipThreshold: 1000,
  maxConnections: 4,
} as const;

/** How long and how often a failed write is tried again. */
export const RETRY_DEFAULTS = {
  firstDelay: 5000,
  base: 2,
  maxDelay: 125_000,
  jitter: 0.2,
  maxRetryTime: 180_000,
} as const;

/** The batch writer's defaults (inflow out runs on it too). */
export const WRITER_DEFAULTS = {
  /** Points waiting in memory, at most. */
  maxBufferLines: 100_000,
  /** Requests under way at once. */
  maxInFlight: 2,
  /** Milliseconds a close keeps trying: Node-RED gives a node 15 s to close. */
  closeTimeout: 10_000,
  /** Points a request carries at most. */
  maxLinesPerRequest: 5000,
  /** Bytes a request carries, about, at most: well under every server's limit (InfluxDB 3's is 10 MiB). */
  maxRequestBytes: 4 * MiB,
} as const;

/** influxdb-client-python's WriteApi defaults, in its names. */
export const WRITE_API_DEFAULTS = {
  batchSize: 1000,
  flushInterval: 1000,
  jitterInterval: 0,
  retryInterval: RETRY_DEFAULTS.firstDelay,
  maxRetries: 5,
  maxRetryDelay: RETRY_DEFAULTS.maxDelay,
  maxRetryTime: RETRY_DEFAULTS.maxRetryTime,
  exponentialBase: RETRY_DEFAULTS.base,
} as const;

export const SPOOL_DEFAULTS = {
  maxBytes: 100 * MiB,
  segmentBytes: 4 * MiB,
  /** Records kept gzipped: a tenth of the bytes for sensor readings, and a tenth of the SD card's wear. */
  compress: true,
} as const;
