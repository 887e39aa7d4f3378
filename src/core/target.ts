/** Where points go instead of the client's defaults: a database, and a retention policy in it. */
export interface WriteTarget {
  /** A retention policy for this write, instead of the client's (or the database default). */
  retentionPolicy?: string | undefined;
  /** A database for this write, instead of the DSN's. */
  database?: string | undefined;
}
