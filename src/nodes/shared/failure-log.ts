/**
 * One log line for a failure many messages share (a commit that failed), not one per message.
 *
 * Each message is still failed through done(error). Node-RED hands that error to the node's
 * `error(error, msg)`, which gives it to the Catch nodes that cover the node, or else logs it. With a
 * Catch node in place every message reaches it, as before. Without one, a failed commit of 1,000
 * messages would be 1,000 identical lines in the log and the debug sidebar; instead the node logs
 * one line that says how many messages failed.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { InfluxDBException } from '../../core';

type ErrorMethod = (logMessage: unknown, msg?: NodeMessage) => void;

interface FlowNodeDef extends NodeDef {
  scope?: unknown;
  d?: boolean;
  g?: string;
}

export function logSharedFailuresOnce(RED: NodeAPI, node: Node, group: string | undefined): void {
  const logOrCatch = (node.error as ErrorMethod).bind(node);
  const pending = new Map<InfluxDBException, number>();
  let caught: boolean | undefined;

  const error: ErrorMethod = (logMessage, msg) => {
    if (msg === undefined || !(logMessage instanceof InfluxDBException)) {
      logOrCatch(logMessage, msg);
      return;
    }
    if (caught === undefined) {
      // Read once for the messages failed in this turn of the event loop; flows may change by the next.
      caught = coveredByCatchNode(RED, node, group);
      setImmediate(() => (caught = undefined));
    }
    if (caught) {
      logOrCatch(logMessage, msg);
      return;
    }
    const seen = pending.get(logMessage);
    pending.set(logMessage, (seen ?? 0) + 1);
    if (seen !== undefined) return;
    // The messages of one commit are failed together, in one turn of the event loop.
    setImmediate(() => {
      const count = pending.get(logMessage) ?? 1;
      pending.delete(logMessage);
      logOrCatch(
        count === 1
          ? logMessage
          : `${logMessage.message} (${count} messages failed with this error; a Catch node gets each of them)`,
      );
    });
  };
  node.error = error;
}

/**
 * Whether a Catch node would get this node's errors, read from the deployed flows. When unsure (the
 * node is inside a subflow, whose errors may be caught outside it) the answer is yes: every message
 * then goes the usual way.
 */
function coveredByCatchNode(RED: NodeAPI, node: Node, group: string | undefined): boolean {
  let onTab = false;
  let covered = false;
  RED.nodes.eachNode((def: FlowNodeDef) => {
    if (def.id === node.z && def.type === 'tab') onTab = true;
    if (def.type !== 'catch' || def.d === true || def.z !== node.z) return;
    const { scope } = def;
    if (scope === undefined || scope === null || scope === '') covered = true;
    else if (Array.isArray(scope) && scope.includes(node.id)) covered = true;
    else if (scope === 'group' && group !== undefined) covered = true;
  });
  return covered || !onTab;
}
