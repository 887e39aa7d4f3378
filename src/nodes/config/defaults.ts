/** What "inflow-config" uses when its node sets nothing (a new node in the editor shows the same). */
export const DEFAULT_PRECISION = 'ms';
