/** Running flows with node-red-node-test-helper, against the built package as users get it. */
import helper, { type TestNode } from 'node-red-node-test-helper';

helper.init(require.resolve('node-red'));

export const inflowNodes: unknown[] = [
  require('../../dist/nodes/inflow-config.js'),
  require('../../dist/nodes/inflow-out.js'),
  require('../../dist/nodes/inflow-query.js'),
];

export { helper, type TestNode };
export { sleep, waitFor } from './waiting';

export type Message = Record<string, unknown>;

/** Collects what a "helper" node receives. */
export function collect(node: TestNode): Message[] {
  const received: Message[] = [];
  node.on('input', (msg: Message) => received.push(msg));
  return received;
}

/** A Catch node and a Complete node scoped to one node, each wired to a helper node: "caught", "completed". */
export function watchersOf(nodeId: string): Message[] {
  return [
    { id: 'catcher', type: 'catch', z: 'tab', scope: [nodeId], uncaught: false, wires: [['caught']] },
    { id: 'completer', type: 'complete', z: 'tab', scope: [nodeId], wires: [['completed']] },
    { id: 'caught', type: 'helper', z: 'tab' },
    { id: 'completed', type: 'helper', z: 'tab' },
  ];
}

/** The messages the watchers of a loaded flow receive from now on: errors caught, and messages completed. */
export function watched(): { caught: Message[]; completed: Message[] } {
  return { caught: collect(helper.getNode('caught')), completed: collect(helper.getNode('completed')) };
}

/** The status texts a node has shown, in order. */
export function statusTexts(node: TestNode): string[] {
  return node.status.args.map((args) => {
    const text = (args[0] as { text?: unknown } | undefined)?.text;
    return typeof text === 'string' ? text : '';
  });
}

/** The warnings a node has logged (node.warn), as Node-RED's log shows them. */
export function warningsOf(nodeId: string): string[] {
  const log = helper.log();
  return log.args
    .map(([entry]) => entry)
    .filter((entry) => entry.id === nodeId && entry.level === log.WARN)
    .map((entry) => String(entry.msg));
}

export const functionNode: unknown = require('@node-red/nodes/core/function/10-function.js');

/**
 * The most common flow: a Function node ("fn", running `func`) building the payload for inflow out ("out",
 * a commit per message unless `out` says otherwise) on a config node ("cfg" with `config`), with the
 * watchers of inflow out; `more` nodes join the flow (and `modules` their types).
 */
export async function loadFunctionFlow(
  config: Record<string, unknown>,
  func: string,
  options: { out?: Record<string, unknown>; more?: unknown[]; modules?: unknown[]; credentials?: Record<string, unknown> } = {},
): Promise<{ caught: Message[]; completed: Message[] }> {
  await helper.load(
    [...inflowNodes, functionNode, ...(options.modules ?? [])],
    [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', precision: 'ms', timeout: 5000, ...config },
      { id: 'fn', type: 'function', z: 'tab', func, outputs: 1, wires: [['out']] },
      {
        id: 'out',
        type: 'inflow out',
        z: 'tab',
        server: 'cfg',
        measurement: 'reading',
        autocommitEvery: 1,
        flushInterval: 0,
        wires: [],
        ...options.out,
      },
      ...watchersOf('out'),
      ...(options.more ?? []),
    ],
    options.credentials ?? {},
  );
  return watched();
}
