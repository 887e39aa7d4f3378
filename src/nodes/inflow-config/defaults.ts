/** What "inflow-config" uses when its node sets nothing (a new node in the editor shows the same). */
export const DEFAULT_PRECISION = 'ms';
/** The server kind: found from the server's answer to /ping. */
export const DEFAULT_VERSION = 'auto';
