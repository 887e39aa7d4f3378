/**
 * Where inflow out's CPU a message goes at a gateway's pace, layer by layer, without Node-RED: one-point
 * messages sent 25 every 5 ms (5,000 a second, the steady case's `ticks` pacing), each layer adding one
 * part of the node's path to the one before, each run in a process of its own, the layers interleaved in
 * rounds. Beside each paced figure, the same layer's cost in a tight loop: how much more a message costs
 * when the code runs a few times every 5 ms (cold) than when it runs back to back (warm). The requests
 * are measured twice: through the Client's sink, as inflow out sends them, and as bare undici dispatches
 * of the same bodies, the floor a request costs.
 *
 *   npm run bench:layers [-- --rounds 5 --seconds 6]
 */
import { spawnSync } from 'node:child_process';
import { Pool } from 'undici';
import type * as ClientFolder from '../src/client';
import type * as DeliveryFolder from '../src/delivery';
import { InfluxServer } from '../test/support/influxd';
import { numberArg } from './args';

// The built package, as Node-RED runs it (the bench script builds it first), typed by its sources.
const { Client, LineMaker } = require('../dist/client') as typeof ClientFolder;
const { BatchWriter, PendingLines } = require('../dist/delivery') as typeof DeliveryFolder;

const ROUNDS = numberArg('--rounds', 5);
const SECONDS = numberArg('--seconds', 6);
const PER_TICK = 25;
const TICK_MS = 5;
const COMMIT_EVERY = 1000;
const WARMUP_MS = 3000;
const TIGHT_MESSAGES = 200_000;
const BASE_MS = 1_700_000_000_000;
const DATABASE = 'layers';

const LAYERS = [
  { name: 'pacing', label: 'the pacing alone: a message made, done() called' },
  { name: 'serialize', label: '+ the point serialized (as inflow out makes it)' },
  { name: 'queue', label: '+ queued; every 1,000 taken and acknowledged' },
  { name: 'writer', label: '+ the batch writer, to a sink that writes nothing' },
  { name: 'influxd', label: "+ the requests, through the Client's sink, to influxd" },
  { name: 'undici', label: "  or the same bodies by undici's dispatch alone", over: 'writer' },
] as const;
type LayerName = (typeof LAYERS)[number]['name'];
const LABEL_WIDTH = Math.max(...LAYERS.map(({ label }) => label.length)) + 2;
const TIGHT_LAYERS: ReadonlySet<LayerName> = new Set(['pacing', 'serialize', 'queue']);

interface Outcome {
  /** CPU microseconds a message, all threads and the kernel's time on the process's behalf. */
  cpu: number;
  acknowledged: number;
  /** Messages acknowledged with an error: none may be. */
  failed: number;
  sent: number;
}

/** One layer in this process: `paced` for 5,000 messages a second, `tight` for back to back. */
async function runLayer(layer: LayerName, mode: 'paced' | 'tight', port: number): Promise<Outcome> {
  // inflow out's maker at its defaults, called as it is for a payload of fields: { value, timestamp }.
  const maker = new LineMaker({ precision: 'ms', checkTimestampUnits: true, invalidValues: 'refuse' });
  let acknowledged = 0;
  let failed = 0;
  const done = (error?: unknown): void => {
    acknowledged++;
    if (error !== undefined) failed++;
  };
  const queue = new PendingLines<undefined>();
  const nothing: DeliveryFolder.LineSink = { precision: 'ms', writeLines: () => Promise.resolve() };
  const client = layer === 'influxd' ? new Client(`http://127.0.0.1:${port}/${DATABASE}`, { precision: 'ms' }) : undefined;
  const pool = layer === 'undici' ? new Pool(`http://127.0.0.1:${port}`, { connections: 4 }) : undefined;
  // inflow out writes through the Client's sink that matches the server's field types (its default).
  const sink = client?.fieldTypesSink() ?? (pool === undefined ? nothing : bareSink(pool));
  const writer = new BatchWriter(sink, { batchSize: COMMIT_EVERY, flushInterval: 1000 });
  let sent = 0;
  const send = (): void => {
    const msg = { payload: { value: sent, timestamp: new Date(BASE_MS + sent) } };
    sent++;
    if (layer === 'pacing') return done();
    const { payload } = msg;
    const lines = maker.point('msg.payload', 'layers', undefined, payload, 'kwargs', payload.timestamp);
    if (layer === 'serialize') return done();
    if (layer === 'queue') {
      queue.push(lines, done);
      if (queue.entries >= COMMIT_EVERY) {
        const batch = queue.take(5000);
        if (batch.body().length === 0) throw new Error('an empty batch');
        batch.acknowledge(undefined);
      }
      return;
    }
    writer.add(lines, done);
  };
  const tick = (): void => {
    for (let i = 0; i < PER_TICK; i++) send();
  };
  const measure = async (run: () => Promise<void>): Promise<Outcome> => {
    const sentBefore = sent;
    const acknowledgedBefore = acknowledged;
    const failedBefore = failed;
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    const count = sent - sentBefore;
    return {
      cpu: (used.user + used.system) / count,
      acknowledged: acknowledged - acknowledgedBefore,
      failed: failed - failedBefore,
      sent: count,
    };
  };
  const paced = (ms: number) => async (): Promise<void> => {
    const timer = setInterval(tick, TICK_MS);
    await new Promise((resolve) => setTimeout(resolve, ms));
    clearInterval(timer);
    while (queue.entries > 0) queue.take(5000).acknowledge(undefined);
    await writer.flush();
  };
  const tight = async (): Promise<void> => {
    for (let i = 0; i < TIGHT_MESSAGES; i++) send();
  };
  await (mode === 'paced' ? paced(WARMUP_MS)() : tight());
  const outcome = await measure(mode === 'paced' ? paced(SECONDS * 1000) : tight);
  await writer.close();
  await client?.close();
  await pool?.close();
  return outcome;
}

/** The floor of a request: the batch's body POSTed by undici's dispatch, its answer's status read, nothing else. */
function bareSink(pool: Pool): DeliveryFolder.LineSink {
  const post = (body: Uint8Array | string): Promise<void> =>
    new Promise((resolve, reject) => {
      let status = 0;
      pool.dispatch(
        {
          method: 'POST',
          path: `/write?db=${DATABASE}&precision=ms`,
          body,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        },
        {
          // Without onRequestStart, undici takes a handler for one of its older kind.
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseEnd: () => (status === 204 ? resolve() : reject(new Error(`influxd answered ${status}`))),
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  return { precision: 'ms', writeLines: (lines) => post(lines instanceof Uint8Array ? lines : lines.join('\n')) };
}

function child(layer: LayerName, mode: 'paced' | 'tight', port: number): Outcome {
  const result = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--run', layer, mode, String(port)], {
    encoding: 'utf8',
  });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || last === '') throw new Error(`${layer} (${mode}) failed: ${result.stderr}`);
  const outcome = JSON.parse(last) as Outcome;
  if (outcome.acknowledged !== outcome.sent || outcome.failed > 0)
    throw new Error(
      `${layer} (${mode}): ${outcome.acknowledged} of ${outcome.sent} messages acknowledged, ${outcome.failed} with an error`,
    );
  return outcome;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const server = await InfluxServer.start();
  try {
    await server.createDatabase(DATABASE);
    const paced = new Map<LayerName, number[]>(LAYERS.map(({ name }) => [name, []]));
    const tight = new Map<LayerName, number[]>(LAYERS.map(({ name }) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name } of LAYERS) {
        paced.get(name)?.push(child(name, 'paced', server.port).cpu);
        if (TIGHT_LAYERS.has(name)) tight.get(name)?.push(child(name, 'tight', server.port).cpu);
      }
    }
    console.log(
      `inflow out's layers: one-point messages, ${PER_TICK} every ${TICK_MS} ms for ${SECONDS} s (after ${WARMUP_MS / 1000} s of warming up), ` +
        `and ${TIGHT_MESSAGES.toLocaleString('en')} back to back; CPU a message, median of ${ROUNDS} rounds`,
    );
    console.log(
      `${'layer'.padEnd(LABEL_WIDTH)}${'paced'.padStart(9)}${'its own'.padStart(10)}${'back to back'.padStart(15)}   paced rounds`,
    );
    let before: number | undefined;
    let tightBefore: number | undefined;
    for (const layer of LAYERS) {
      const { name, label } = layer;
      const rounds = paced.get(name) ?? [];
      const cost = median(rounds);
      if ('over' in layer) before = median(paced.get(layer.over) ?? []);
      const own = before === undefined ? '' : `${cost - before >= 0 ? '+' : ''}${(cost - before).toFixed(2)} us`;
      const tightRounds = tight.get(name) ?? [];
      let tightText = '';
      if (tightRounds.length > 0) {
        const tightCost = median(tightRounds);
        tightText = tightBefore === undefined ? `${tightCost.toFixed(2)} us` : `+${(tightCost - tightBefore).toFixed(2)} us`;
        tightBefore = tightCost;
      }
      console.log(
        `${label.padEnd(LABEL_WIDTH)}${`${cost.toFixed(2)} us`.padStart(9)}${own.padStart(10)}${tightText.padStart(15)}   ${rounds.map((value) => value.toFixed(2)).join(', ')}`,
      );
      before = cost;
    }
  } finally {
    await server.stop();
  }
}

const runIndex = process.argv.indexOf('--run');
if (runIndex >= 0) {
  const [layer, mode, port] = process.argv.slice(runIndex + 1) as [LayerName, 'paced' | 'tight', string];
  void runLayer(layer, mode, Number(port)).then((outcome) => console.log(JSON.stringify(outcome)));
} else {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
