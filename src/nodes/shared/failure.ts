/** Ending a message with its error: to Catch nodes, or to the node's errors output. */
import type { NodeMessage } from 'node-red';
import type { InfluxDBException } from '../../core';

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
