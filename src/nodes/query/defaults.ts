/** What "inflow query" does when its node sets nothing (a new node in the editor shows the same). */
export const DEFAULT_EPOCH = 'ms';
