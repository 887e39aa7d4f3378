/**
 * One log line for a failure many messages share (a commit that failed), not one per message.
 *
 * Each message is still failed through done(error), and Node-RED still decides, by its own rules, which
 * Catch nodes get it (its flow's handleError: scopes, groups, subflows, "uncaught" nodes); every message
 * reaches them, as before. Only what no Catch node takes is summed up: a failed commit of 1,000 messages
 * would be 1,000 identical lines in the log and the debug sidebar, and is one that says how many failed.
 *
 * Node-RED has no public hook between "no Catch node took it" and "log it" (done(error) calls the node's
 * error(), which does both), so this wraps the node's error() for errors of this package alone, and leaves
 * it as it is wherever the runtime's flow cannot be asked (an older or newer runtime without handleError).
 */
import type { Node, NodeMessage } from 'node-red';
import { InfluxDBException } from '../../core';

type ErrorMethod = (logMessage: unknown, msg?: NodeMessage) => void;

/** What a node's flow is asked: whether a Catch node took an error (Node-RED's own Flow.handleError). */
interface CatchingFlow {
  handleError(node: Node, logMessage: unknown, msg: NodeMessage): boolean;
}

export function logSharedFailuresOnce(node: Node): void {
  const flow = (node as Node & { _flow?: Partial<CatchingFlow> })._flow;
  if (typeof flow?.handleError !== 'function') return;
  const catching = flow as CatchingFlow;
  const original = (node.error as ErrorMethod).bind(node);
  const pending = new Map<InfluxDBException, number>();

  const error: ErrorMethod = (logMessage, msg) => {
    if (msg === undefined || !(logMessage instanceof InfluxDBException)) {
      original(logMessage, msg);
      return;
    }
    if (catching.handleError(node, logMessage, msg)) return;
    const seen = pending.get(logMessage);
    pending.set(logMessage, (seen ?? 0) + 1);
    if (seen !== undefined) return;
    // The messages of one commit are failed together, in one turn of the event loop.
    setImmediate(() => {
      const count = pending.get(logMessage) ?? 1;
      pending.delete(logMessage);
      // Words, not the exception object: the debug sidebar shows an object collapsed, with its stack.
      original(
        count === 1
          ? logMessage.message
          : `${logMessage.message} (${count} messages failed with this error; a Catch node gets each of them)`,
      );
    });
  };
  node.error = error;
}
