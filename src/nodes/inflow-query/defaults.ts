/** What "inflow query" uses when its node sets nothing (a new node in the editor shows the same). */
export const DEFAULT_EPOCH = 'ms';
export const DEFAULT_LANGUAGE = 'influxql';
export const DEFAULT_OUTPUT = 'message';
/** The largest answer sent in one message, in MiB (also the longest line of an answer sent a chunk at a time). */
export const DEFAULT_MAX_ANSWER_MB = 32;
