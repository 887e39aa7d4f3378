/**
 * "inflow out": msg.payload -> points -> a batch writer per target (database, retention policy) that
 * commits every `autocommitEvery` messages, `flushInterval` ms at the latest, and on close.
 * Each message's done() is called once its points are written or on disk, or with the error that ended them.
 */
import type { Node, NodeAPI } from 'node-red';
import { ConfigurationException, InfluxDBException } from '../../core';
import {
  asksForRecheck,
  sharedClientOf,
  configNodeOf,
  failMessage,
  logSharedFailuresOnce,
  StatusThrottle,
  translatorOf,
} from '../shared';
import { offerToAdopt, watchForOrphans } from './orphans';
import { pointsOfMessage } from './payload';
import { optionsOf, tuningOf, userDirOf, type OutDef, type OutOptions, type OutTuning } from './settings';
import { spoolRootOf } from './spool-directory';
import { outStatus, type Refusal } from './status';
import { TargetWriters } from './writers';

export = function register(RED: NodeAPI): void {
  watchForOrphans(RED);
  const text = translatorOf(RED);

  function InflowOut(this: Node, def: OutDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    logSharedFailuresOnce(node);
    const config = configNodeOf(RED, node, def.server, text);
    const { client, problem: configProblem } = sharedClientOf(config);
    let options: OutOptions | undefined;
    let tuning: OutTuning | undefined;
    let settingsProblem: ConfigurationException | undefined;
    try {
      // The server's default tags go under the node's own.
      const serverTags = config?.defaultTags;
      if (serverTags instanceof ConfigurationException) throw serverTags;
      options = optionsOf(def, config?.precision ?? 'ms', serverTags);
      tuning = tuningOf(RED.settings);
    } catch (error) {
      settingsProblem = error instanceof ConfigurationException ? error : new ConfigurationException(String(error));
      node.error(settingsProblem.message);
    }
    const problem = settingsProblem ?? configProblem;
    const errorOutput = options?.errorOutput;

    let writers: TargetWriters | undefined;
    let refused: Refusal | undefined;
    let refusedMessages = 0;
    const status = new StatusThrottle(node, () =>
      outStatus(
        {
          problem,
          writers: writers?.states() ?? [],
          reachability: config?.reachability,
          refused,
          refusedMessages,
          leftOutFields: options?.leftOut.fields,
        },
        text,
      ),
    );
    // A write refused for its credentials or its target has the config node look at the server again.
    const changed = (): void => {
      status.changed();
      if (writers?.states().some((state) => state.lastError !== undefined && asksForRecheck(state.lastError))) config?.recheck();
    };
    if (problem === undefined && client !== undefined && options !== undefined && tuning !== undefined) {
      writers = new TargetWriters({
        // One cache of field types for the node, whatever its targets: the Client is shared with other nodes.
        sink: options.matchFieldTypes ? client.fieldTypesSink({ warn: (text) => node.warn(text) }) : client,
        options,
        tuning,
        spoolRoot: options.spool ? spoolRootOf(userDirOf(RED.settings), node, def.server) : undefined,
        changed,
        warn: (text) => node.warn(text),
        log: (text) => node.log(text),
      });
    }
    status.now();
    config?.register(node, () => status.changed());
    const adopter = writers;
    const withdraw =
      adopter !== undefined && options?.spool === true ? offerToAdopt(def.server, (orphan) => adopter.adopt(orphan)) : undefined;

    node.on('input', (msg, send, done) => {
      if (writers === undefined || options === undefined) {
        failMessage(msg, problem ?? new ConfigurationException('the node settings cannot work'), errorOutput, send, done);
        return;
      }
      let points;
      const leftOut = options.leftOut.fields;
      try {
        points = pointsOfMessage(msg, options.payload);
      } catch (error) {
        // Fields are left out of points that are written, not of a message that fails.
        options.leftOut.fields = leftOut;
        const exception = InfluxDBException.from(error);
        refused = { at: new Date(), error: exception };
        refusedMessages++;
        status.changed();
        failMessage(msg, exception, errorOutput, send, done);
        return;
      }
      // Without an errors output, done itself is the acknowledgement: no closure kept per message.
      const acknowledge =
        errorOutput === undefined
          ? done
          : (error: InfluxDBException | undefined) =>
              error === undefined ? done() : failMessage(msg, error, errorOutput, send, done);
      writers.writerFor(points.target).add(points.lines, acknowledge);
      status.changed();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      withdraw?.();
      void (writers?.close() ?? Promise.resolve()).finally(() => {
        status.stop();
        config?.deregister(node);
        done();
      });
    });
  }

  RED.nodes.registerType('inflow out', InflowOut, {
    // Tuning from settings.js, for the few who need it: { firstDelay, base, maxDelay, jitter, maxRetryTime } and ms.
    settings: {
      inflowOutRetry: { value: undefined, exportable: false },
      inflowOutCloseTimeout: { value: undefined, exportable: false },
      inflowOutIdleRelease: { value: undefined, exportable: false },
    },
  });
};
