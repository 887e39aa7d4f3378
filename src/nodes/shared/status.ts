/** What a node shows under it: set at a bounded rate, with times and errors in a few words. */
import type { Node, NodeStatus } from 'node-red';
import type { InfluxDBException } from '../../core';
import type { Translate } from './texts';
import type { Reachability } from './types';

/**
 * Sets a node's status at most every `interval` ms, however often things change: a status per
 * message would cost more than the write itself.
 */
export class StatusThrottle {
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly node: Node,
    private readonly compute: () => NodeStatus,
    private readonly interval = 250,
  ) {}

  changed(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.now();
    }, this.interval);
  }

  now(): void {
    const status = this.compute();
    const key = `${status.fill}|${status.shape}|${status.text}`;
    if (key === this.last) return;
    this.last = key;
    this.node.status(status);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The local time of day as HH:MM:SS, for a status line. */
export function clockTime(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

/** A short form of an error for a status line. */
export function statusText(error: InfluxDBException): string {
  const text = `${error.code}: ${error.serverMessage ?? error.message}`;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The status of a node whose settings cannot work: red, with why. */
export function problemStatus(problem: InfluxDBException): NodeStatus {
  return { fill: 'red', shape: 'ring', text: problem.message.slice(0, 120) };
}

/** A node's status before its first result: what the config node's ping at start found. */
export function reachabilityStatus(reachability: Reachability | undefined, text: Translate): NodeStatus {
  if (reachability === undefined) return { fill: 'grey', shape: 'ring', text: text('inflow-config.status.connecting') };
  if (reachability.error !== undefined) {
    return {
      fill: 'red',
      shape: 'ring',
      text: text('inflow-config.status.unreachable', { why: statusText(reachability.error) }),
    };
  }
  return { fill: 'green', shape: 'ring', text: text('inflow-config.status.connectedTo', { server: reachability.server }) };
}
