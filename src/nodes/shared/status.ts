/** What a node shows under it: set at a bounded rate, with times and errors in a few words. */
import type { Node, NodeStatus } from 'node-red';
import type { InfluxDBException } from '../../core';
import { reasonOf } from './reason';
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

/** A short form of an error for a status line: what happened, in words, never the class name. */
export function statusText(error: InfluxDBException, text: Translate): string {
  const { reason, why, status } = reasonOf(error);
  const words =
    reason === 'http' || reason === 'other'
      ? errorWords(error, text)
      : text(`inflow-config.reason.${reason}`, { why, status: status ?? '' });
  return shorten(words);
}

/** The status of a node whose settings cannot work: red, with why. */
export function problemStatus(problem: InfluxDBException): NodeStatus {
  return { fill: 'red', shape: 'ring', text: shorten(problem.message) };
}

/** A node's status before its first result: what the config node's check of its server found. */
export function reachabilityStatus(reachability: Reachability | undefined, text: Translate): NodeStatus {
  if (reachability === undefined) return { fill: 'grey', shape: 'ring', text: text('inflow-config.status.connecting') };
  const values = { ...reachability.values };
  // A server kind is named in the user's language.
  if (typeof values.chosen === 'string') values.chosen = text(`inflow-config.version.${values.chosen}`);
  const words = shorten(text(`inflow-config.status.${reachability.key}`, values));
  return { fill: reachability.ok ? 'green' : 'red', shape: 'ring', text: words };
}

/** What an exception from a server (or from the input) says, in a flow author's words. */
function errorWords(error: InfluxDBException, text: Translate): string {
  const server = error.serverMessage ?? '';
  const conflict = FIELD_CONFLICT.exec(server);
  if (conflict !== null) {
    const [, field = '', type = '', existing = ''] = conflict;
    return text('inflow-config.reason.fieldType', { field, type, existing });
  }
  if (error.code === 'UnauthorizedException') return text('inflow-config.reason.unauthorized', { why: server });
  if (error.code === 'ForbiddenException') return text('inflow-config.reason.forbidden', { why: server || error.message });
  if (error.code === 'DatabaseNotFoundException' && server !== '') return server;
  if (error.status !== undefined)
    return text('inflow-config.reason.refusedBy', { why: server || error.message, status: error.status });
  return error.message;
}

/** InfluxDB's words for a field type conflict (1.x, 2.x: `input field "a" on measurement "m" is type float, already exists as type string`). */
const FIELD_CONFLICT = /input field "([^"]*)" on measurement "[^"]*" is type (\w+), already exists as type (\w+)/;

const MOST = 120;

/** Text for a status line: whole up to MOST characters, else cut at a word with an ellipsis. */
function shorten(words: string): string {
  if (words.length <= MOST) return words;
  const cut = words.slice(0, MOST - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > MOST / 2 ? cut.slice(0, space) : cut}…`;
}
