/**
 * Where points go instead of the client's defaults. Each server API takes its own kind: 1.x a database
 * and a retention policy, 2.x an org and a bucket, 3.x a database.
 */
export interface WriteTarget {
  /**
   * A retention policy for this write, instead of the client's (or the database default). InfluxDB 1.x.
   * `''` is the database's default policy even where the client names another: what a batch kept on disk
   * says when it went there, so that it is replayed there after the client's settings change.
   */
  retentionPolicy?: string | undefined;
  /** A database for this write, instead of the DSN's. */
  database?: string | undefined;
  /** A bucket (InfluxDB 2.x), instead of the client's; on 1.x it reads as `database/retention-policy`. */
  bucket?: string | undefined;
  /** An organization (InfluxDB 2.x), instead of the client's; 1.x has none and ignores it. */
  org?: string | undefined;
}
