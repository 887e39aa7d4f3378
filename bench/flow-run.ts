/**
 * One scenario of `npm run bench:flow`, in a process of its own (so its peak memory is its own):
 * a headless Node-RED runtime, one flow, N messages sent through a wire into one node, timed until
 * every message is done.
 *   node --import tsx bench/flow-run.ts <scenario> <influx port> <database> <messages> <points per message> [hold ms] [rate] [commit every] [pacing]
 * Prints one JSON line. The hold is the holding node's: how long it keeps each group of messages once the
 * group is full (or its interval is over), as inflow out waits for its commit's answer. With a
 * rate (messages per second), the messages are sent at that steady pace and the CPU time the process
 * spent meanwhile is measured too: what each message costs a gateway that is not at its limit.
 * Two pacings, as two harnesses send (see docs/performance.md):
 * - `timeouts` (the default): a timer of 2 ms re-armed after each turn sends the messages due by then (ten at 5,000/s),
 *   a burst goes 1,000 messages a turn (setImmediate between), the peak memory and sockets are sampled meanwhile,
 *   and the CPU is read once the promise of the last done() has resolved;
 * - `ticks`: an interval of 5 ms sends the messages due by each tick (25 at 5,000/s), a burst goes in one loop
 *   from one tick, nothing is sampled, and the CPU is read in the runtime's hook at the last done() itself.
 * Each timed run starts after a full collection (global.gc(); BENCH_FORCED_GC=0 leaves it out).
 * With BENCH_PROFILE=<folder>, the main thread's CPU profile of the timed run alone (not the start or the
 * warm-up) is written there as <scenario>.cpuprofile, for Chromium's DevTools or a script.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import {
  constants as performanceConstants,
  PerformanceObserver,
  type NodeGCPerformanceDetail,
  type PerformanceEntry,
} from 'node:perf_hooks';
import path from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { BASE_MS, servers, startRuntime, warmupCount } from './runtime';

const [
  scenario = '',
  portText = '',
  database = '',
  messagesText = '',
  pointsText = '',
  holdText = '0',
  rateText = '0',
  commitText = '1000',
  pacingText = 'timeouts',
] = process.argv.slice(2);
if (pacingText !== 'timeouts' && pacingText !== 'ticks') throw new Error(`unknown pacing ${pacingText}`);
const PACING: 'timeouts' | 'ticks' = pacingText;
const TICK_MS = 5;
/** How long a steady run is warmed up at its own pace before it is timed. */
const STEADY_WARMUP_SECONDS = 5;
const RATE = Number(rateText);
const port = Number(portText);
const MESSAGES = Number(messagesText);
const POINTS = Number(pointsText);
const PER_TURN = 1000;
/** One-point messages per commit, for inflow out and for the holding node alike. */
const AUTOCOMMIT_EVERY = Number(commitText);
/** inflow out's flush interval, and the holding node's longest wait for a group to fill. */
const FLUSH_INTERVAL = 1000;

type Make = (i: number) => Record<string, unknown>;

const { ours: ourServer, theirs: theirServer } = servers(port, database);

/** The one-point message of the cases that share it (influxdb out names its time `time`). */
const onePoint: Make = (i) => ({ payload: { value: i, timestamp: new Date(BASE_MS + i) } });

const rows = (i: number): Array<Record<string, unknown>> =>
  Array.from({ length: POINTS }, (_, j) => ({ value: j, timestamp: new Date(BASE_MS + i * POINTS + j) }));

/** inflow out at its defaults but for the commit size and interval, writing to `measurement`, with `settings` over them. */
const inflowOut = (measurement: string, settings: Record<string, unknown> = {}): Array<Record<string, unknown>> => [
  ourServer,
  {
    id: 'target',
    type: 'inflow out',
    z: 'tab',
    server: 'inflowServer',
    measurement,
    autocommitEvery: AUTOCOMMIT_EVERY,
    flushInterval: FLUSH_INTERVAL,
    wires: [],
    ...settings,
  },
];

const scenarios: Record<string, { nodes: Array<Record<string, unknown>>; make: Make }> = {
  'inflow out': { nodes: inflowOut('single_inflow'), make: onePoint },
  // The same node with matchFieldTypes off (on is its default, above), and on with the field an integer on the server.
  'inflow out (field types off)': { nodes: inflowOut('single_inflow_off', { matchFieldTypes: false }), make: onePoint },
  'inflow out (integer field)': { nodes: inflowOut('single_inflow_int'), make: onePoint },
  'influxdb out': {
    nodes: [
      theirServer,
      {
        id: 'target',
        type: 'influxdb out',
        z: 'tab',
        influxdb: 'influxServer',
        measurement: 'single_influxdb',
        precision: 'ms',
        retentionPolicy: '',
        wires: [],
      },
    ],
    make: (i) => ({ payload: { value: i, time: new Date(BASE_MS + i) } }),
  },
  'do-nothing node': {
    nodes: [{ id: 'target', type: 'bench sink', z: 'tab', wires: [] }],
    make: onePoint,
  },
  'holding node': {
    nodes: [
      {
        id: 'target',
        type: 'bench hold',
        z: 'tab',
        every: AUTOCOMMIT_EVERY,
        interval: FLUSH_INTERVAL,
        holdMs: Number(holdText),
        wires: [],
      },
    ],
    make: onePoint,
  },
  'inflow out (batches)': { nodes: inflowOut('batch_inflow', { autocommitEvery: 5 }), make: (i) => ({ payload: rows(i) }) },
  'influxdb batch': {
    nodes: [
      theirServer,
      {
        id: 'target',
        type: 'influxdb batch',
        z: 'tab',
        influxdb: 'influxServer',
        precision: 'ms',
        retentionPolicy: '',
        wires: [],
      },
    ],
    make: (i) => ({
      payload: rows(i).map((row) => ({ measurement: 'batch_influxdb', fields: { value: row.value }, timestamp: row.timestamp })),
    }),
  },
};

/** Sends `count` messages at `rate` per second: every 2 ms, those due by then. */
async function sendAtRate(send: (msg: Record<string, unknown>) => void, make: Make, rate: number, count: number): Promise<void> {
  const start = performance.now();
  for (let sent = 0; sent < count;) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000));
    for (; sent < due; sent++) send(make(sent));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Sends `count` messages at `rate` per second in ticks of an interval of TICK_MS: each tick, those due by then. */
async function sendInTicks(send: (msg: Record<string, unknown>) => void, make: Make, rate: number, count: number): Promise<void> {
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const ticks = setInterval(() => {
      const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000));
      for (; sent < due; sent++) send(make(sent));
      if (sent < count) return;
      clearInterval(ticks);
      resolve();
    }, TICK_MS);
  });
}

/** Sockets the process has open (its TCP connections, Node-RED's own included), from /proc. */
function openSockets(): number {
  let sockets = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed meanwhile
    }
  }
  return sockets;
}

/** CPU time of each of the process's threads so far (user and kernel, in ms), by thread name, from /proc. */
function threadTimes(): Map<string, { user: number; system: number }> {
  const times = new Map<string, { user: number; system: number }>();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      // Node names every thread `node`: the main thread is told apart by its id, the process's own.
      const name = task === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const kept = times.get(name) ?? { user: 0, system: 0 };
      // utime and stime, in clock ticks of 10 ms.
      kept.user += Number(fields[11]) * 10;
      kept.system += Number(fields[12]) * 10;
      times.set(name, kept);
    } catch {
      // ended meanwhile
    }
  }
  return times;
}

/** Bytes in use in V8's old generation (its old space; code and large objects are counted apart). */
function oldSpaceUsed(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;
}

/** Starts profiling the main thread when BENCH_PROFILE names a folder; `stop()` writes the profile there. */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const folder = process.env.BENCH_PROFILE;
  if (folder === undefined || folder === '') return undefined;
  // BENCH_PROFILE_KIND=heap: what the timed run allocates, garbage included, by where (a .heapprofile) instead.
  const heap = process.env.BENCH_PROFILE_KIND === 'heap';
  const session = new Session();
  session.connect();
  if (heap) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const name = path.join(folder, `${scenario.replace(/\W+/g, '-')}-${PACING}`);
  return {
    stop: async () => {
      if (heap) {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(`${name}.heapprofile`, JSON.stringify(profile));
      } else {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(`${name}.cpuprofile`, JSON.stringify(profile));
      }
      session.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const chosen = scenarios[scenario];
  if (chosen === undefined) throw new Error(`unknown scenario ${scenario}`);
  const runtime = await startRuntime(chosen.nodes);
  const sendAll = async (from: number, to: number, make: Make): Promise<void> => {
    for (let sent = from; sent < to;) {
      const end = Math.min(to, sent + PER_TURN);
      for (; sent < end; sent++) runtime.send(make(sent));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  // Messages first, untimed, so that every case is measured warm (a Node-RED runs for months; its first
  // seconds of compiling are not what a flow sees). Their points come after the measured ones in time,
  // so the two are counted apart. A burst's are a tenth as many, sent as fast. A steady run's go at its
  // own pace and pacing for STEADY_WARMUP_SECONDS: what runs once a commit (the request, its answer, the
  // acknowledgements) runs 5 times in a tenth of 50,000 messages, too few for V8 to have given it type
  // feedback, let alone compiled it, and the timed run would pay for that warming instead.
  const warmup = RATE > 0 ? Math.max(warmupCount(MESSAGES), RATE * STEADY_WARMUP_SECONDS) : warmupCount(MESSAGES);
  const later: Make = (i) => chosen.make(MESSAGES + i);
  if (RATE === 0) await sendAll(0, warmup, later);
  else if (PACING === 'ticks') await sendInTicks(runtime.send, later, RATE, warmup);
  else await sendAtRate(runtime.send, later, RATE, warmup);
  await runtime.whenFinished(warmup);
  const finished = runtime.whenFinished(warmup + MESSAGES);

  // Messages of many points are built before the clock starts, as the raw ceiling's lines are:
  // building 1,000 rows is the sender's work, not the node's. One-point messages are built as sent.
  const prebuilt = POINTS > 1 ? Array.from({ length: MESSAGES }, (_, i) => chosen.make(i)) : undefined;
  const make = prebuilt === undefined ? chosen.make : (i: number) => prebuilt[i] as Record<string, unknown>;

  // A full collection first, as the process starts every timed run from the same heap. It does not undo V8's
  // pretenuring of the messages' allocation sites, which a start-up collection falling while the first messages
  // are held can set for the life of a process (docs/performance.md, "Pretenuring"); BENCH_FORCED_GC=0 leaves
  // it out, as a harness that forces none runs.
  if (global.gc && process.env.BENCH_FORCED_GC !== '0') global.gc();
  const sampling = PACING === 'timeouts';
  // memoryUsage.rss() alone: the full memoryUsage() walks the heap, which costs more the more a node holds.
  let peakRss = process.memoryUsage.rss();
  // Every 10 ms catches a burst's peak; a steady run samples every 100 ms, so that reading /proc (7 us or more a
  // read, the more the busier the process) is not counted as the node's CPU.
  const sampler = sampling
    ? setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), RATE > 0 ? 100 : 10)
    : undefined;
  let peakSockets = openSockets();
  // Listing the process's descriptors costs about 0.4 ms of CPU a time in a busy Node-RED: in a steady run,
  // once a second, so that the count costs each case 0.1 us a message rather than 0.3.
  const socketSampler = sampling
    ? setInterval(() => (peakSockets = Math.max(peakSockets, openSockets())), RATE > 0 ? 1000 : 250)
    : undefined;
  runtime.lifetimes.length = 0;
  // Full collections of the old generation: one costs this process about 100 ms of CPU, threads included, so a
  // timed run that has one reads 2 us a message higher than one that has none (docs/performance.md).
  // A gc entry's detail says which collection it was (Node's typings leave it out of PerformanceEntry).
  const collections: Array<PerformanceEntry & { detail?: NodeGCPerformanceDetail }> = [];
  // What came into the old generation, read after each collection: the messages of a process that V8 pretenured
  // go there as they are made, 300 bytes a message or more where the others promote about 30 (docs/performance.md).
  let oldGenerationUsed = oldSpaceUsed();
  let oldGenerationGrowth = 0;
  let timing = true;
  const grown = (): void => {
    // After the timed run's last reading, what stopping Node-RED and writing a profile bring in is not the run's.
    if (!timing) return;
    const used = oldSpaceUsed();
    // A full collection shrinks it: only what came in counts.
    oldGenerationGrowth += Math.max(0, used - oldGenerationUsed);
    oldGenerationUsed = used;
  };
  const collector = new PerformanceObserver((list) => {
    collections.push(...list.getEntries());
    grown();
  });
  collector.observe({ entryTypes: ['gc'] });
  const profiler = await startProfile();
  const timedFrom = performance.now();
  const threadsBefore = process.env.BENCH_THREADS === undefined ? undefined : threadTimes();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  if (PACING === 'ticks') {
    if (RATE > 0) await sendInTicks(runtime.send, make, RATE, MESSAGES);
    else for (let sent = 0; sent < MESSAGES; sent++) runtime.send(make(sent));
  } else if (RATE > 0) await sendAtRate(runtime.send, make, RATE, MESSAGES);
  else await sendAll(0, MESSAGES, make);
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 600_000).unref())]);
  let seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let cpu = process.cpuUsage(cpuBefore);
  // Up to the last done() itself, as the harness sending in ticks counts.
  if (PACING === 'ticks' && runtime.reached !== undefined) {
    seconds = Number(runtime.reached.at - started) / 1e9;
    cpu = { user: runtime.reached.cpu.user - cpuBefore.user, system: runtime.reached.cpu.system - cpuBefore.system };
  }
  const cpuMicros = cpu.user + cpu.system;
  if (threadsBefore !== undefined) {
    // With BENCH_THREADS set, where the process's CPU time went, by thread, on stderr.
    for (const [name, after] of threadTimes()) {
      const before = threadsBefore.get(name) ?? { user: 0, system: 0 };
      console.error(
        `${scenario} ${PACING} thread ${name}: user ${after.user - before.user} ms, system ${after.system - before.system} ms`,
      );
    }
  }
  const timedTo = performance.now();
  grown();
  timing = false;
  await profiler?.stop();
  // The observer is told of collections a moment after them.
  await new Promise((resolve) => setImmediate(resolve));
  collector.disconnect();
  const majorCollections = collections.filter(
    (entry) =>
      entry.detail?.kind === performanceConstants.NODE_PERFORMANCE_GC_MAJOR &&
      entry.startTime >= timedFrom &&
      entry.startTime <= timedTo,
  ).length;
  clearInterval(sampler);
  clearInterval(socketSampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const completed = runtime.finished.ok + runtime.finished.failed - warmup;
  const lifetimes = runtime.lifetimes.sort((a, b) => a - b);
  const medianLifetimeMs = lifetimes[lifetimes.length >> 1] ?? 0;
  await runtime.stop();
  console.log(
    JSON.stringify({
      scenario,
      messages: MESSAGES,
      completed,
      seconds,
      peakRss: sampling ? peakRss : undefined,
      medianLifetimeMs,
      cpuMicros,
      peakSockets: sampling ? peakSockets : undefined,
      majorCollections,
      oldGenerationBytesPerMessage: Math.round(oldGenerationGrowth / MESSAGES),
    }),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
