/**
 * What inflow out (and library users who opt in) rely on to lose nothing: batching across messages,
 * retries with backoff, isolating rejected points, the durable spool and its replay.
 */
export { PendingLines } from './pending-lines';
export { BatchWriter, type Acknowledge, type BatchWriterOptions, type EntryLines, type WriterState } from './batch-writer';
export { RetryPolicy, type RetryOptions } from './backoff';
export { BufferBudget } from './buffer-budget';
export type { LineSink, SinkWriteOptions } from './sink';
export type { ReplayOptions } from './replay';
export {
  MAX_RECORD_BYTES,
  Spool,
  SpoolBudget,
  SpoolLockedError,
  type SpoolDamage,
  type SpoolOptions,
  type SpoolRecord,
} from './spool';
