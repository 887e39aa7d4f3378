/** What "inflow out" and "inflow query" share: finding their config node, and failing a message. */
import type { Node, NodeAPI, NodeMessage, NodeStatus } from 'node-red';
import type { Client } from '../../client';
import { ConfigurationException, InfluxDBException } from '../../core';
import type { Translate } from './texts';
import type { InflowConfigNode, Reachability } from './types';

/** The config node a user names, or undefined (a missing one is reported on the user's status). */
export function configNodeOf(RED: NodeAPI, node: Node, id: string | undefined, text: Translate): InflowConfigNode | undefined {
  const config = id ? (RED.nodes.getNode(id) as InflowConfigNode | null) : null;
  if (config === null || typeof config.register !== 'function') {
    node.status({ fill: 'red', shape: 'ring', text: text('inflow-config.status.noServer') });
    return undefined;
  }
  return config;
}

/** The config node's client, or why a node cannot work with it, as an exception for its messages. */
export type ClientOrProblem = { client: Client; problem?: undefined } | { client?: undefined; problem: ConfigurationException };

export function clientOf(config: InflowConfigNode | undefined): ClientOrProblem {
  if (config === undefined) return { problem: new ConfigurationException('no InfluxDB server is set in the node') };
  if (config.client === undefined) return { problem: new ConfigurationException(`the InfluxDB server settings cannot work: ${config.problem}`) };
  return { client: config.client };
}

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/**
 * Ends a message with its error: on the node's "errors" output when it has one (output number
 * `errorOutput`; the message carries `error: { message, code, status }`), otherwise to Catch nodes
 * through done(error).
 */
export function failMessage(
  msg: NodeMessage,
  error: InfluxDBException,
  errorOutput: number | undefined,
  send: Send,
  done: (error?: Error) => void,
): void {
  if (errorOutput === undefined) {
    done(error);
    return;
  }
  const failed = msg as NodeMessage & { error?: unknown };
  failed.error = { message: error.message, code: error.code, status: error.status };
  const outputs: Array<NodeMessage | null> = new Array<NodeMessage | null>(errorOutput + 1).fill(null);
  outputs[errorOutput] = failed;
  send(outputs);
  done();
}

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
    return { fill: 'red', shape: 'ring', text: text('inflow-config.status.unreachable', { why: statusText(reachability.error) }) };
  }
  return { fill: 'green', shape: 'ring', text: text('inflow-config.status.connectedTo', { server: reachability.server }) };
}
