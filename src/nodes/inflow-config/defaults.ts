/** What "inflow-config" uses when its node sets nothing (a new node in the editor shows the same). */
import { CLIENT_DEFAULTS } from '../../core';

/** JavaScript's own unit, where the library's (Inflow's) is seconds. */
export const DEFAULT_PRECISION = 'ms';
/** The server's API: found from its answer to /ping. */
export const DEFAULT_API = CLIENT_DEFAULTS.api;
