/** "inflow query": runs the node's query (or msg.query) and sends the reshaped series as msg.payload. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import type { QueryOptions, QueryParam } from '../../client';
import { assertPrecision, InfluxDBException, QueryFailedException } from '../../core';
import { describeType, isPlainObject } from '../../util';
import { clockTime, clientOf, configNodeOf, failMessage, problemStatus, reachabilityStatus, statusText, translatorOf } from '../shared';
import { DEFAULT_EPOCH } from './defaults';


interface QueryDef extends NodeDef {
  server: string;
  query: string;
  epoch: string;
  raw: boolean;
  errorOutput: boolean;
}

interface QueryMessage extends NodeMessage {
  query?: unknown;
  params?: unknown;
  epoch?: unknown;
  database?: unknown;
}

export = function register(RED: NodeAPI): void {
  const text = translatorOf(RED);
  const querying: NodeStatus = { fill: 'blue', shape: 'ring', text: text('inflow-query.status.querying') };
  function InflowQuery(this: Node, def: QueryDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = configNodeOf(RED, node, def.server, text);
    const errorOutput = def.errorOutput ? 1 : undefined;
    const { client, problem } = clientOf(config);
    let running = 0;
    let answered = false;
    node.status(problem ? problemStatus(problem) : reachabilityStatus(undefined, text));
    config?.register(node, (reachability) => {
      if (problem === undefined && running === 0 && !answered) node.status(reachabilityStatus(reachability, text));
    });

    node.on('input', (message, send, done) => {
      const msg = message as QueryMessage;
      if (client === undefined) {
        failMessage(msg, problem, errorOutput, send, done);
        return;
      }
      let query: string;
      let options: QueryOptions;
      try {
        query = queryOf(def.query, msg.query);
        options = optionsOf(msg, def.epoch);
      } catch (error) {
        failMessage(msg, InfluxDBException.from(error), errorOutput, send, done);
        return;
      }
      running++;
      node.status(querying);
      const request = def.raw ? client.queryRaw(query, options) : client.query(query, options);
      request.then(
        (result) => {
          running--;
          answered = true;
          msg.payload = result;
          node.status(
            running > 0 ? querying : { fill: 'green', shape: 'dot', text: text('inflow-query.status.answered', { time: clockTime(new Date()) }) },
          );
          send(msg);
          done();
        },
        (error: unknown) => {
          running--;
          answered = true;
          const exception = InfluxDBException.from(error);
          node.status({ fill: 'red', shape: 'dot', text: statusText(exception) });
          failMessage(msg, exception, errorOutput, send, done);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      config?.deregister(node);
      done();
    });
  }

  RED.nodes.registerType('inflow query', InflowQuery);
};

function queryOf(configured: string | undefined, fromMessage: unknown): string {
  if (configured !== undefined && configured.trim() !== '') return configured;
  if (typeof fromMessage === 'string' && fromMessage.trim() !== '') return fromMessage;
  throw new QueryFailedException(
    fromMessage === undefined ? 'no query: set one in the node, or send msg.query' : `msg.query must be InfluxQL text, not ${describeType(fromMessage)}`,
  );
}

function optionsOf(msg: QueryMessage, configuredEpoch: string | undefined): QueryOptions {
  const options: QueryOptions = {};
  // A node saved without the property (an older flow) has the editor's default, ms; '' is RFC3339 text.
  const epoch = msg.epoch ?? (configuredEpoch === undefined ? DEFAULT_EPOCH : configuredEpoch || undefined);
  if (epoch !== undefined && epoch !== '') options.epoch = assertPrecision(epoch, msg.epoch === undefined ? 'epoch' : 'msg.epoch');
  if (msg.params !== undefined) {
    if (!isPlainObject(msg.params)) throw new QueryFailedException(`msg.params must be an object of bound parameters, not ${describeType(msg.params)}`);
    options.params = msg.params as Record<string, QueryParam>;
  }
  if (msg.database !== undefined && msg.database !== '') {
    if (typeof msg.database !== 'string') throw new QueryFailedException(`msg.database must be a string, not ${describeType(msg.database)}`);
    options.database = msg.database;
  }
  return options;
}
