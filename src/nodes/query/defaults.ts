/** What "inflow query" uses when its node sets nothing (a new node in the editor shows the same). */
export const DEFAULT_EPOCH = 'ms';
export const DEFAULT_LANGUAGE = 'influxql';
export const DEFAULT_OUTPUT = 'message';
