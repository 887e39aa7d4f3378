/**
 * "inflow query": runs the node's query (or msg.query) in InfluxQL, SQL (InfluxDB 3) or Flux (InfluxDB 2.x),
 * and sends the answer as msg.payload in the node's format (series, flat rows, or a chart for Dashboard 2
 * or 1), thinned to at most so many points a series when asked: in one message, or one message per chunk
 * of the answer as it arrives, with msg.parts, so that a Join node can rebuild the whole.
 */
import type { Node, NodeAPI, NodeMessage, NodeStatus } from 'node-red';
import type { Client, QueryOptions, Series } from '../../client';
import { ConfigurationException, InfluxDBException } from '../../core';
import { joinFieldTables, rowsOf, seriesKeyOf, shapeAnswer, type AnswerFormat } from '../../shapes';
import {
  asksForRecheck,
  clockTime,
  sharedClientOf,
  configNodeOf,
  failMessage,
  problemStatus,
  reachabilityStatus,
  statusText,
  translatorOf,
} from '../shared';
import {
  languageProblem,
  messageShapingOf,
  nodeShapingOf,
  optionsOf,
  outputOf,
  queryOf,
  type QueryDef,
  type QueryMessage,
  type Shaping,
} from './settings';

/** How often a streaming answer's row count is shown, at most. */
const PROGRESS_EVERY = 250;

export = function register(RED: NodeAPI): void {
  const text = translatorOf(RED);
  const querying: NodeStatus = { fill: 'blue', shape: 'ring', text: text('inflow-query.status.querying') };
  function InflowQuery(this: Node, def: QueryDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = configNodeOf(RED, node, def.server, text);
    const errorOutput = def.errorOutput ? 1 : undefined;
    const shared = sharedClientOf(config);
    const { client, problem: serverProblem } = shared;
    const nodeShaping = nodeShapingOf(def);
    // Settings of this node that cannot work together are said when the flows start.
    const shapingProblem = nodeShaping instanceof ConfigurationException ? nodeShaping : undefined;
    if (serverProblem === undefined && shapingProblem !== undefined) node.error(shapingProblem.message);
    const problem = serverProblem ?? shapingProblem;
    let running = 0;
    let answered = false;
    let stopped = false;
    const controllers = new Set<AbortController>();
    node.status(problem ? problemStatus(problem) : reachabilityStatus(undefined, text));
    config?.register(node, (reachability) => {
      if (problem !== undefined || running > 0 || answered) return;
      // Once the server is known: a language it does not answer is said at deploy, not at the first message.
      const wrong = client === undefined || !reachability.ok ? undefined : languageProblem(client, def.language);
      if (wrong !== undefined) {
        node.status(problemStatus(wrong));
        node.error(wrong.message);
      } else node.status(reachabilityStatus(reachability, text));
    });

    const finished = (): void => {
      running--;
      answered = true;
    };
    const succeeded = (): void => {
      finished();
      node.status(
        running > 0
          ? querying
          : { fill: 'green', shape: 'dot', text: text('inflow-query.status.answered', { time: clockTime(new Date()) }) },
      );
    };
    // Answers leave in the order their messages came, whichever query ends first: a chart fed by two quick
    // queries shows the later one's answer, and the parts of two streamed answers never interleave.
    let lastTurn: Promise<void> = Promise.resolve();
    const nextTurn = (): { before: Promise<void>; end: () => void } => {
      const before = lastTurn;
      let end = (): void => undefined;
      lastTurn = new Promise<void>((resolve) => (end = resolve));
      return { before, end };
    };
    const failed = (msg: NodeMessage, error: unknown, send: Send, done: Done): void => {
      finished();
      const exception = InfluxDBException.from(error);
      node.status({ fill: 'red', shape: 'dot', text: statusText(exception, text) });
      if (asksForRecheck(exception)) config?.recheck();
      failMessage(msg, exception, errorOutput, send, done);
    };

    node.on('input', (message, send, done) => {
      const msg = message as QueryMessage;
      if (shared.problem !== undefined) {
        failMessage(msg, shared.problem, errorOutput, send, done);
        return;
      }
      if (nodeShaping instanceof ConfigurationException) {
        failMessage(msg, nodeShaping, errorOutput, send, done);
        return;
      }
      const { client } = shared;
      const turn = nextTurn();
      let query: string;
      let options: QueryOptions;
      let shaping: Shaping;
      try {
        query = queryOf(def.query, msg.query);
        shaping = messageShapingOf(msg, def, nodeShaping);
        options = optionsOf(msg, def, shaping);
      } catch (error) {
        // Refused here, it still leaves in its turn.
        inTurn(turn, done, () => failMessage(msg, InfluxDBException.from(error), errorOutput, send, done));
        return;
      }
      running++;
      node.status(querying);
      if (outputOf(def) === 'parts' && !def.raw) {
        // A streamed answer is sent as it comes: the next query starts once this one has sent its last part.
        inTurn(
          turn,
          done,
          async () => {
            const controller = new AbortController();
            controllers.add(controller);
            try {
              await sendParts(client, query, { ...options, signal: controller.signal }, shaping.format, msg, send, (rows) => {
                node.status({
                  fill: 'blue',
                  shape: 'ring',
                  text: text('inflow-query.status.rows', { rows: rows.toLocaleString('en-US') }),
                });
              });
              succeeded();
              done();
            } catch (error) {
              if (stopped) {
                finished();
                done();
              } else failed(msg, error, send, done);
            } finally {
              controllers.delete(controller);
            }
          },
          finished,
        );
        return;
      }
      // Closing the node abandons the query: its connection and answer are not held for a flow that stopped.
      const controller = new AbortController();
      controllers.add(controller);
      const abandonable = { ...options, signal: controller.signal };
      const request = def.raw
        ? client.queryRaw(query, abandonable)
        : client.query(query, abandonable).then((series) => {
            // Flux's field tables joined here, for the chart's series name too; shapeAnswer finds nothing left to join.
            const joined = shaping.format === 'series' ? series : joinFieldTables(series);
            if (shaping.format === 'chart') {
              msg.action = 'replace';
              const names = new Set(joined.map(seriesKeyOf));
              if (names.size === 1) msg.topic = [...names][0];
            }
            return shapeAnswer(joined, shaping.format, shaping.maxPoints);
          });
      // Under way at once; answered in turn.
      const outcome = request
        .then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        )
        .finally(() => controllers.delete(controller));
      inTurn(
        turn,
        done,
        async () => {
          const ended = await outcome;
          if (stopped) {
            finished();
            done();
          } else if (!ended.ok) failed(msg, ended.error, send, done);
          else {
            msg.payload = ended.result;
            succeeded();
            send(msg);
            done();
          }
        },
        finished,
      );
    });

    /**
     * Runs `act` in a message's turn, then gives the turn to the next. Once the node is closed, the message
     * is only ended (`abandon`, then done): its answer would feed a flow that is stopping, or the next one.
     */
    function inTurn(
      turn: { before: Promise<void>; end: () => void },
      done: Done,
      act: () => void | Promise<void>,
      abandon?: () => void,
    ): void {
      void turn.before
        .then(async () => {
          if (stopped) {
            abandon?.();
            done();
            return;
          }
          await act();
        })
        .finally(turn.end)
        .catch((error: unknown) => node.error(String(error)));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      // Answers still streaming are abandoned: the flows they would feed are stopping.
      stopped = true;
      for (const controller of controllers) controller.abort();
      config?.deregister(node);
      done();
    });
  }

  type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
  type Done = (error?: Error) => void;
  type Part = NodeMessage & { parts: { count?: number }; action?: string };

  /**
   * One message per chunk of the answer, as it arrives, each a copy of the input with `msg.payload` the
   * chunk (a series, or part of one; or its rows) and `msg.parts` for a Join node; the last holds `count`.
   * Each is sent once the next is in, so that the last can say it is the last. An answer without rows is
   * one message with an empty array. For a chart, the first part replaces what the chart shows and the
   * others add to it, each with its series' name as msg.topic.
   */
  async function sendParts(
    client: Client,
    query: string,
    options: QueryOptions,
    format: AnswerFormat,
    msg: QueryMessage,
    send: Send,
    progress: (rows: number) => void,
  ): Promise<void> {
    const id = RED.util.generateId();
    let index = 0;
    // Each part a copy of the input but for its payload, which is not copied only to be replaced.
    const input = { ...msg, payload: undefined };
    const part = (payload: unknown, topic?: string): Part => {
      const made = { ...RED.util.cloneMessage(input), payload, parts: { id, index, type: 'array', len: 1 } } as Part;
      if (format === 'chart') {
        made.action = index === 0 ? 'replace' : 'append';
        if (topic !== undefined) made.topic = topic;
      }
      index++;
      return made;
    };
    let held: Part | undefined;
    let rows = 0;
    let shown = 0;
    for await (const chunk of client.querySeries(query, options)) {
      if (held !== undefined) send(held);
      if (format === 'series') held = part(chunk);
      else {
        // A chunk is one table: Flux's fields of one time come in tables of their own, so each row holds one.
        const joined = joinFieldTables([chunk]);
        held = part(rowsOf(joined), joined.length === 1 ? seriesKeyOf(joined[0] as Series) : undefined);
      }
      rows += chunk.values.length;
      if (performance.now() - shown >= PROGRESS_EVERY) {
        shown = performance.now();
        progress(rows);
      }
    }
    const last = held ?? part([]);
    last.parts.count = index;
    send(last);
  }

  RED.nodes.registerType('inflow query', InflowQuery);
};
