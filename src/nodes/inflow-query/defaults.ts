/** What "inflow query" uses when its node sets nothing (a new node in the editor shows the same). */
import { CLIENT_DEFAULTS, QUERY_LANGUAGES } from '../../core';
import { ANSWER_FORMATS } from '../../shapes';

/** JavaScript's own unit, for times a flow hands to a chart or a Date. */
export const DEFAULT_EPOCH = 'ms';
/** InfluxQL, which InfluxDB 1.x, 2.x and 3 all answer. */
export const DEFAULT_LANGUAGE = QUERY_LANGUAGES[0];
export const DEFAULT_OUTPUT = 'message';
/** The answer's series as the Client gives them, as before formats were chosen. */
export const DEFAULT_FORMAT = ANSWER_FORMATS[0];
/** The largest answer sent in one message, in MiB (also the longest line of an answer sent a chunk at a time): the client's own. */
export const DEFAULT_MAX_ANSWER_MB = CLIENT_DEFAULTS.maxAnswerBytes / (1024 * 1024);
