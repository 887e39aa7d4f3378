/**
 * `npm run bench:flow`: this package's nodes, node-red-contrib-influxdb's nodes and the two limits,
 * in one run against the same influxd, each scenario in a headless Node-RED runtime of its own.
 * Beside the limits, a node that writes nothing but holds each message as long as inflow out held
 * its own in the same round: what acknowledging a message only after its commit costs by itself.
 * Each case runs --repeat times (default 5), in rounds; the median run by throughput is shown, and each
 * share of a ceiling is the median of the shares within a round: a 2-core machine running InfluxDB
 * beside Node-RED gives figures that vary by a third from one run to the next.
 * First, at a steady 5,000 messages/s (a gateway not at its limit), the CPU each message costs Node-RED's
 * process over the do-nothing node's, and what InfluxDB spends meanwhile (read from /proc).
 * Then the same steady rate and a burst sent as a second harness sends them (`ticks`: Node-RED in the benchmark's
 * process, messages sent from an interval of 5 ms, CPU read at the last done()), beside bench:flow's own pacing
 * (`timeouts`: a 2 ms timer), in at least 7 interleaved rounds, each round's figure printed.
 * The batch case is measured against a ceiling that serializes the same points with a bare template string
 * and POSTs them at the same concurrency, on shared cores and then pinned (taskset: Node-RED on one core,
 * influxd on the other).
 *   npm run bench:flow [-- --steady 50000 --rate 5000 --messages 100000 --batches 100 --batch-size 1000 --repeat 5
 *                          --only pacing,long,steady,burst,batches --long-seconds 60]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'undici';
import { WRITER_DEFAULTS } from '../src/core';

const MAX_LINES_PER_REQUEST = WRITER_DEFAULTS.maxLinesPerRequest;
import { InfluxServer } from '../test/support/influxd';
import { listArg, numberArg } from './args';
import { BASE_MS, warmupCount } from './runtime';

const MESSAGES = numberArg('--messages', 100_000);
const BATCHES = numberArg('--batches', 100);
const BATCH_SIZE = numberArg('--batch-size', 1000);
const REPEAT = numberArg('--repeat', 5);
const STEADY = numberArg('--steady', 50_000);
const STEADY_RATE = numberArg('--rate', 5000);
const DATABASE = 'bench';
const PARTS = new Set(listArg('--only', ['pacing', 'long', 'steady', 'burst', 'batches']));
/** Flags for every Node-RED process the benchmark starts, all cases alike (BENCH_NODE_FLAGS, space-separated). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
/** How long the long part's one run of each node lasts: long enough for several full collections of the old generation. */
const LONG_SECONDS = numberArg('--long-seconds', 60);
/** Rounds of the two pacings side by side: their difference is a microsecond or two, and a round moves by more. */
const PACING_ROUNDS = Math.max(REPEAT, 7);
type Pacing = 'timeouts' | 'ticks';
const PACINGS: readonly Pacing[] = ['timeouts', 'ticks'];
const PACING_WORDS: Record<Pacing, string> = {
  timeouts: "bench:flow's own: a 2 ms timer re-armed, CPU once the last done() has resolved, memory and sockets sampled",
  ticks: 'ticks of a 5 ms interval, CPU at the last done() in the runtime hook, nothing sampled; a burst in one loop',
};
/**
 * One-point messages per commit, unless a case says otherwise: what a flow author gets on dropping inflow out
 * into a flow, the editor's default (the runtime's is the same).
 */
const NODE_COMMIT_EVERY = Number(
  /autocommitEvery: \{ value: (\d+)/.exec(
    readFileSync(path.join(__dirname, '..', 'src', 'nodes', 'inflow-out', 'inflow-out.html'), 'utf8'),
  )?.[1],
);
/** Commit sizes of the steady case: the node's default, and a tenth of it (the default until it was measured here). */
const STEADY_COMMITS = [...new Set([NODE_COMMIT_EVERY, Math.max(1, Math.round(NODE_COMMIT_EVERY / 10))])];
// The raw ceiling is POSTed as inflow out sends its batches: as many lines a request, as many at once.
const IN_FLIGHT = WRITER_DEFAULTS.maxInFlight;

interface Result {
  scenario: string;
  messages: number;
  completed: number;
  seconds: number;
  peakRss?: number;
  /** Median time from a message's send to its done, in ms. */
  medianLifetimeMs?: number;
  points: number;
  stored: number;
  /** CPU time Node-RED's process spent in the timed run, in microseconds. */
  cpuMicros?: number;
  /** CPU time influxd spent meanwhile, in microseconds. */
  influxMicros?: number;
  /** Most sockets Node-RED's process had open at once during the timed run. */
  peakSockets?: number;
  /** Full collections of the old generation during the timed run. */
  majorCollections?: number;
  /** What came into the old generation during the timed run, in bytes a message. */
  oldGenerationBytesPerMessage?: number;
}

/**
 * More than this many bytes a message into the old generation in a steady run: V8 pretenured the messages (about
 * 30 otherwise). A burst puts about 900 there either way: every message is still held at every scavenge.
 */
const PRETENURED_BYTES_PER_MESSAGE = 200;

/**
 * A round's figure, marked `*` when inflow out's run of it had a full collection of the old generation, and, for a
 * steady run, `p` when V8 had pretenured that run's messages.
 */
function marked(figure: string, run: Result, steady = false): string {
  return `${figure}${steady && pretenured(run) ? 'p' : ''}${(run.majorCollections ?? 0) > 0 ? '*' : ''}`;
}

/** Whether V8 had pretenured the messages of a steady run. */
function pretenured(run: Result): boolean {
  return (run.oldGenerationBytesPerMessage ?? 0) > PRETENURED_BYTES_PER_MESSAGE;
}

const MARK_WORDS =
  '  *: a full collection of the old generation (mark-compact) fell in the timed run of inflow out: about 100 ms of CPU, ' +
  'every few seconds in a process whose messages V8 pretenured';
const PRETENURED_WORDS =
  `  p: V8 had pretenured the messages of inflow out's run (more than ${PRETENURED_BYTES_PER_MESSAGE} bytes a message came into ` +
  'the old generation, about 30 otherwise), a state a process takes on at its start and keeps (docs/performance.md, "Pretenuring")';

/** While set, Node-RED (and the ceiling, in this process) run on one core and influxd on the other. */
let pinnedCores: { node: string; influx: string } | undefined;

/** Both on the machine's two cores; then Node-RED (and the ceiling, in this process) on one, influxd on the other. */
const CORE_LAYOUTS = [undefined, { node: '0', influx: '1' }] as const;

type CoreLayout = (typeof CORE_LAYOUTS)[number];

function whereOf(cores: CoreLayout): string {
  return cores === undefined
    ? 'both on the same 2 cores'
    : `Node-RED and the ceiling on core ${cores.node}, influxd on core ${cores.influx}`;
}

/** Runs a part with Node-RED and influxd placed on cores as `cores` says, then gives both the whole machine again. */
async function onCores(server: InfluxServer, cores: CoreLayout, run: () => Promise<void>): Promise<void> {
  pinnedCores = cores;
  pin(server.pid, cores?.influx ?? '0,1');
  pin(process.pid, cores?.node ?? '0,1');
  try {
    await run();
  } finally {
    pinnedCores = undefined;
    pin(server.pid, '0,1');
    pin(process.pid, '0,1');
  }
}

/** Pins every thread of a process to cores (`0`, `1`, `0,1`). */
function pin(pid: number | undefined, cores: string): void {
  if (pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** The CPU time (user and system) a process has spent so far, in microseconds, from /proc. */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks of 1/100 s (Linux's USER_HZ).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface RunOptions {
  /** The holding node's hold, in ms. */
  holdMs?: number | undefined;
  /** Messages per second; 0 for as fast as the runtime takes them. */
  rate?: number | undefined;
  /** Messages per commit, for inflow out and the holding node. */
  commitEvery?: number | undefined;
  /** How the messages are sent and the CPU counted (flow-run.ts says how). */
  pacing?: Pacing | undefined;
}

function runScenario(
  scenario: string,
  port: number,
  messages: number,
  points: number,
  { holdMs = 0, rate = 0, commitEvery = NODE_COMMIT_EVERY, pacing = 'timeouts' }: RunOptions = {},
): Omit<Result, 'points' | 'stored'> {
  const command = [
    process.execPath,
    '--expose-gc',
    ...NODE_FLAGS,
    '--import',
    'tsx',
    path.join(__dirname, 'flow-run.ts'),
    scenario,
    String(port),
    DATABASE,
    String(messages),
    String(points),
    String(holdMs),
    String(rate),
    String(commitEvery),
    pacing,
  ];
  // Pinned: Node-RED on its core, InfluxDB on the other, so neither's share of the machine is the other's.
  const [program, ...args] = pinnedCores === undefined ? command : ['taskset', '-c', pinnedCores.node, ...command];
  const output = execFileSync(program as string, args, {
    cwd: path.resolve(__dirname, '..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as Omit<Result, 'points' | 'stored'>;
}

/** Points of the measured messages stored (warm-up points come after them in time). */
async function count(server: InfluxServer, measurement: string, points: number): Promise<number> {
  const rows = await server.rows(
    `SELECT count(value) FROM ${measurement} WHERE time >= ${BASE_MS}ms AND time < ${BASE_MS + points}ms`,
    DATABASE,
  );
  return (rows[0]?.count as number | undefined) ?? 0;
}

/** The run of median throughput among several. */
function median(results: Result[]): Result {
  return [...results].sort((a, b) => a.stored / a.seconds - b.stored / b.seconds)[results.length >> 1] as Result;
}

const middle = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] as number;

interface Case {
  /** Emptied before each run; undefined for a case that stores nothing. */
  measurement: string | undefined;
  /** Runs the case once; `earlier` holds this round's runs of the cases listed before it. */
  run: (earlier: Result[]) => Promise<Result>;
  /** Sets the server up after the measurement is emptied, before each run. */
  prepare?: () => Promise<void>;
}

/**
 * Runs the cases in rounds, each case once a round (A B C, A B C, ...) rather than each case
 * REPEAT times in a row, so that a machine slowing down or speeding up meanwhile touches every case
 * alike. Each case's runs, in round order.
 */
async function rounds(server: InfluxServer, cases: Case[], repeat = REPEAT): Promise<Result[][]> {
  const runs: Result[][] = cases.map(() => []);
  for (let round = 0; round < repeat; round++) {
    const earlier: Result[] = [];
    for (const [i, { measurement, run, prepare }] of cases.entries()) {
      if (measurement !== undefined) await server.rawQuery(`DROP MEASUREMENT ${measurement}`, { db: DATABASE });
      await prepare?.();
      const result = await run(earlier);
      earlier.push(result);
      runs[i]?.push(result);
    }
  }
  return runs;
}

/**
 * The ceiling of the batch case: the same points, as the messages carry them (rows of a value and a Date),
 * serialized with a bare template string inside the timed region, and POSTed at inflow out's concurrency.
 * Everything inflow out must do but the checks, the escaping and the bookkeeping.
 */
async function rawCeiling(server: InfluxServer): Promise<Result> {
  const measured = BATCHES * BATCH_SIZE;
  const rowsOf = (from: number, to: number): Array<{ value: number; timestamp: Date }> =>
    Array.from({ length: to - from }, (_, k) => ({ value: (from + k) % BATCH_SIZE, timestamp: new Date(BASE_MS + from + k) }));
  // Lines joined and encoded once a request, as a minimal serializer would hand bytes to the socket.
  const serialize = (rows: Array<{ value: number; timestamp: Date }>): Buffer[] => {
    const bodies: Buffer[] = [];
    for (let i = 0; i < rows.length; i += MAX_LINES_PER_REQUEST) {
      const lines = rows
        .slice(i, i + MAX_LINES_PER_REQUEST)
        .map((row) => `batch_raw value=${row.value} ${row.timestamp.getTime()}`);
      bodies.push(Buffer.from(lines.join('\n')));
    }
    return bodies;
  };
  const pool = new Pool(server.url, { connections: IN_FLIGHT });
  const postAll = async (rows: Array<{ value: number; timestamp: Date }>): Promise<void> => {
    const bodies = serialize(rows);
    let next = 0;
    const post = async (): Promise<void> => {
      while (next < bodies.length) {
        const body = bodies[next++] as Buffer;
        const response = await pool.request({ method: 'POST', path: `/write?db=${DATABASE}&precision=ms`, body });
        await response.body.dump();
        if (response.statusCode !== 204) throw new Error(`raw write answered ${response.statusCode}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, post));
  };
  await postAll(rowsOf(measured, measured + warmupCount(BATCHES) * BATCH_SIZE));
  // The rows exist before the clock starts, as the messages do; their serializing is timed.
  const rows = rowsOf(0, measured);
  const started = process.hrtime.bigint();
  await postAll(rows);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return {
    scenario: 'serializing POST (ceiling)',
    messages: BATCHES,
    completed: BATCHES,
    seconds,
    points: measured,
    stored: await count(server, 'batch_raw', measured),
  };
}

const rate = (result: Result): number => result.completed / result.seconds;
const pointRate = (result: Result): number => result.stored / result.seconds;
const percent = (part: number, whole: number): string => `${Math.round((100 * part) / whole)}%`;
const megabytes = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;
const aboveOrBelow = (bytes: number): string => `${megabytes(Math.abs(bytes))} ${bytes < 0 ? 'below' : 'above'}`;
// Ratios are taken within a round, then their median: each compares runs made minutes apart at most.
const shareOf = (runs: Result[], ceiling: Result[]): number =>
  middle(runs.map((run, i) => rate(run) / rate(ceiling[i] as Result)));
const extraRssOf = (runs: Result[], ceiling: Result[]): number =>
  middle(runs.map((run, i) => (run.peakRss ?? 0) - ((ceiling[i] as Result).peakRss ?? 0)));

/** The run whose `key` is the median of several. */
function medianBy(results: Result[], key: (result: Result) => number): Result {
  return [...results].sort((a, b) => key(a) - key(b))[results.length >> 1] as Result;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(header[i]?.length ?? 0, ...rows.map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...rows])
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}

function table(results: Result[]): void {
  const header = ['scenario', 'messages/s', 'points/s', 'peak RSS', 'held (median)', 'points lost', 'done'];
  const rows = results.map((result) => [
    result.scenario,
    Math.round(result.completed / result.seconds).toLocaleString('en'),
    Math.round(result.stored / result.seconds).toLocaleString('en'),
    result.peakRss === undefined ? '-' : `${(result.peakRss / 1048576).toFixed(0)} MB`,
    result.medianLifetimeMs === undefined ? '-' : `${result.medianLifetimeMs.toFixed(1)} ms`,
    (result.points - result.stored).toLocaleString('en'),
    `${result.completed}/${result.messages}`,
  ]);
  printTable(header, rows);
}

/** A case of a part: one scenario's run in a Node-RED of its own, with what InfluxDB spent and stored meanwhile. */
function scenario(
  server: InfluxServer,
  name: string,
  measurement: string | undefined,
  messages: number,
  points: number,
  options: Omit<RunOptions, 'holdMs'> & { holdMs?: (earlier: Result[]) => number; label?: string } = {},
): Case {
  return {
    measurement,
    run: async (earlier) => {
      const influxBefore = processCpuMicros(server.pid);
      const run = runScenario(name, server.port, messages, points, { ...options, holdMs: options.holdMs?.(earlier) });
      const influxMicros = processCpuMicros(server.pid) - influxBefore;
      const stored = measurement === undefined ? messages * points : await count(server, measurement, messages * points);
      return { ...run, scenario: options.label ?? run.scenario, points: messages * points, stored, influxMicros };
    },
  };
}

/** At a steady rate: the CPU each message costs Node-RED and InfluxDB, against the do-nothing, holding and peer nodes. */
async function steadyPart(server: InfluxServer): Promise<void> {
  console.log(
    `Steady ${STEADY_RATE.toLocaleString('en')} messages/s: ${STEADY.toLocaleString('en')} one-point messages, median of ${REPEAT} rounds`,
  );
  const steadyCases = [
    ...STEADY_COMMITS.map((commitEvery) =>
      scenario(server, 'inflow out', 'single_inflow', STEADY, 1, {
        rate: STEADY_RATE,
        commitEvery,
        label: `inflow out, commit every ${commitEvery.toLocaleString('en')}`,
      }),
    ),
    scenario(server, 'influxdb out', 'single_influxdb', STEADY, 1, { rate: STEADY_RATE }),
    scenario(server, 'do-nothing node', undefined, STEADY, 1, { rate: STEADY_RATE }),
    // Holds each message as long as inflow out did at the node's default commit size, in the same round:
    // a group fills in commitEvery / rate seconds (its median message waits half of that), then waits
    // as long as inflow out's commit did beyond that.
    scenario(server, 'holding node', undefined, STEADY, 1, {
      rate: STEADY_RATE,
      commitEvery: NODE_COMMIT_EVERY,
      holdMs: (earlier) =>
        Math.max(
          0,
          Math.round(
            (earlier[STEADY_COMMITS.indexOf(NODE_COMMIT_EVERY)]?.medianLifetimeMs ?? 0) - (500 * NODE_COMMIT_EVERY) / STEADY_RATE,
          ),
        ),
      label: 'holding node',
    }),
    // matchFieldTypes (on above, inflow out's default) off; and on with the field an integer on the server, as a
    // script made it: every line rewritten (value=1 -> value=1i).
    scenario(server, 'inflow out (field types off)', 'single_inflow_off', STEADY, 1, {
      rate: STEADY_RATE,
      commitEvery: NODE_COMMIT_EVERY,
      label: `inflow out, commit every ${NODE_COMMIT_EVERY.toLocaleString('en')}, matchFieldTypes off`,
    }),
    {
      ...scenario(server, 'inflow out (integer field)', 'single_inflow_int', STEADY, 1, {
        rate: STEADY_RATE,
        commitEvery: NODE_COMMIT_EVERY,
        label: `inflow out, commit every ${NODE_COMMIT_EVERY.toLocaleString('en')}, integer field on the server`,
      }),
      // An hour before the measured points: made an integer field, as Telegraf or a script would.
      prepare: () => server.rawWrite(DATABASE, `single_inflow_int value=0i ${BASE_MS - 3_600_000}`, 'ms'),
    },
  ];
  const steadyRuns = await rounds(server, steadyCases);
  const steadyOurs = steadyRuns.slice(0, STEADY_COMMITS.length);
  const [steadyPeer, steadyIdle, steadyHolding, typesOff, integerField] = steadyRuns.slice(STEADY_COMMITS.length) as [
    Result[],
    Result[],
    Result[],
    Result[],
    Result[],
  ];
  const steadyDefault = steadyOurs[STEADY_COMMITS.indexOf(NODE_COMMIT_EVERY)] as Result[];
  const perMessage = (micros: number | undefined, result: Result): number => (micros ?? 0) / result.messages;
  // Each round's difference, then their median: rounds minutes apart see the machine in different moods.
  const extras = (runs: Result[]): number[] =>
    runs.map(
      (run, i) => perMessage(run.cpuMicros, run) - perMessage((steadyIdle[i] as Result).cpuMicros, steadyIdle[i] as Result),
    );
  const extra = (runs: Result[]): number => middle(extras(runs));
  const spread = (runs: Result[]): string =>
    extras(runs)
      .map((value) => value.toFixed(1))
      .join(', ');
  const both = (runs: Result[]): number =>
    middle(runs.map((run) => perMessage((run.cpuMicros ?? 0) + (run.influxMicros ?? 0), run)));
  const steadyHeader = [
    'scenario',
    'Node-RED CPU/msg',
    'above do-nothing',
    'influxd CPU/msg',
    'both',
    'held (median)',
    'sockets (most)',
    'points lost',
    'done',
  ];
  const steadyRows = steadyRuns.map((runs) => {
    const run = medianBy(runs, (one) => one.cpuMicros ?? 0);
    return [
      run.scenario,
      `${perMessage(run.cpuMicros, run).toFixed(1)} us`,
      runs === steadyIdle ? '-' : `${extra(runs).toFixed(1)} us`,
      `${perMessage(run.influxMicros, run).toFixed(1)} us`,
      `${both(runs).toFixed(1)} us`,
      run.medianLifetimeMs === undefined ? '-' : `${run.medianLifetimeMs.toFixed(1)} ms`,
      String(Math.max(...runs.map((one) => one.peakSockets ?? 0))),
      (run.points - run.stored).toLocaleString('en'),
      `${run.completed}/${run.messages}`,
    ];
  });
  printTable(steadyHeader, steadyRows);
  console.log(
    `inflow out at its default (commit every ${NODE_COMMIT_EVERY}) adds ${extra(steadyDefault).toFixed(1)} us of CPU per message ` +
      `over the do-nothing node (target at most 2 us; rounds: ${spread(steadyDefault)}), of which holding each message until its commit, ` +
      `as the holding node does, costs ${extra(steadyHolding).toFixed(1)} us (rounds: ${spread(steadyHolding)}); ` +
      `Node-RED and InfluxDB spend ${(both(steadyDefault) / both(steadyPeer)).toFixed(3)} of what they spend with influxdb out ` +
      '(target at most 1/20 = 0.050)',
  );
  console.log(
    `matchFieldTypes, side by side in these rounds: on (the default) ${extra(steadyDefault).toFixed(1)} us of CPU per message above ` +
      `the do-nothing node, off ${extra(typesOff).toFixed(1)} us (rounds: ${spread(typesOff)}), on with an integer field ` +
      `(every line rewritten) ${extra(integerField).toFixed(1)} us (rounds: ${spread(integerField)}); the types are read once ` +
      'per measurement and target, in the warm-up, not in the timed run\n',
  );
}

/**
 * inflow out at its defaults and the do-nothing node under both pacings, rounds interleaved (timeouts, ticks,
 * timeouts, ...): the CPU a message above the do-nothing node, each round's and the median, side by side.
 */
async function pacingPart(server: InfluxServer): Promise<void> {
  console.log(
    `Steady ${STEADY_RATE.toLocaleString('en')} messages/s under two pacings: ${STEADY.toLocaleString('en')} one-point messages, ` +
      `${PACING_ROUNDS} rounds, each pacing's runs interleaved with the other's`,
  );
  const cases = PACINGS.flatMap((pacing) => [
    scenario(server, 'inflow out', 'single_inflow', STEADY, 1, {
      rate: STEADY_RATE,
      pacing,
      label: `inflow out, commit every ${NODE_COMMIT_EVERY.toLocaleString('en')} (${pacing})`,
    }),
    scenario(server, 'do-nothing node', undefined, STEADY, 1, {
      rate: STEADY_RATE,
      pacing,
      label: `do-nothing node (${pacing})`,
    }),
  ]);
  const runs = await rounds(server, cases, PACING_ROUNDS);
  const perMessage = (run: Result): number => (run.cpuMicros ?? 0) / run.messages;
  const measured = PACINGS.map((pacing, p) => {
    const ours = runs[2 * p] as Result[];
    const idle = runs[2 * p + 1] as Result[];
    return { pacing, ours, idle, extras: ours.map((run, i) => perMessage(run) - perMessage(idle[i] as Result)) };
  });
  const rows = measured.map(({ pacing, ours, idle, extras }) => [
    pacing,
    `${middle(ours.map(perMessage)).toFixed(1)} us`,
    `${middle(idle.map(perMessage)).toFixed(1)} us`,
    `${middle(extras).toFixed(1)} us`,
    extras.map((value, i) => marked(value.toFixed(1), ours[i] as Result, true)).join(', '),
    `${ours.reduce((n, run) => n + (run.stored === run.points ? 0 : 1), 0)}`,
  ]);
  printTable(
    ['pacing', 'inflow out CPU/msg', 'do-nothing CPU/msg', 'above do-nothing', 'rounds (above do-nothing)', 'runs losing points'],
    rows,
  );
  for (const { pacing, ours, extras } of measured) {
    const plain = extras.filter((_, i) => !pretenured(ours[i] as Result));
    const figure = plain.length === 0 ? 'none' : `${middle(plain).toFixed(1)} us above the do-nothing node`;
    console.log(`  ${pacing}, the rounds without p (${plain.length} of ${extras.length}): ${figure}`);
  }
  for (const pacing of PACINGS) console.log(`  ${pacing}: ${PACING_WORDS[pacing]}`);
  console.log(PRETENURED_WORDS);
  console.log(MARK_WORDS);
  console.log('target: at most 3 us above the do-nothing node under both pacings (the median of the rounds)\n');
}

/**
 * One long run of inflow out, the do-nothing node and the holding node at the steady rate (`ticks`): a timed run
 * of 10 s has a full collection of the old generation or not, a gateway has one every so often, all day long.
 */
async function longPart(server: InfluxServer): Promise<void> {
  const long = STEADY_RATE * LONG_SECONDS;
  const perMessage = (run: Result): number => (run.cpuMicros ?? 0) / run.messages;
  const [[oursLong], [idleLong], [holdingLong]] = (await rounds(
    server,
    [
      scenario(server, 'inflow out', 'single_inflow', long, 1, { rate: STEADY_RATE, pacing: 'ticks' }),
      scenario(server, 'do-nothing node', undefined, long, 1, { rate: STEADY_RATE, pacing: 'ticks' }),
      scenario(server, 'holding node', undefined, long, 1, {
        rate: STEADY_RATE,
        pacing: 'ticks',
        holdMs: ([inflowOut]) =>
          Math.round(Math.max(0, (inflowOut?.medianLifetimeMs ?? 0) - (500 * NODE_COMMIT_EVERY) / STEADY_RATE)),
      }),
    ],
    1,
  )) as [[Result], [Result], [Result]];
  const collectionsOf = (run: Result): string =>
    `${run.majorCollections ?? 0} full collection${run.majorCollections === 1 ? '' : 's'}`;
  console.log(
    `Steady ${STEADY_RATE.toLocaleString('en')} messages/s for ${LONG_SECONDS} s (ticks, one run each): inflow out ` +
      `${(perMessage(oursLong) - perMessage(idleLong)).toFixed(1)} us a message above the do-nothing node ` +
      `(${collectionsOf(oursLong)} against ${collectionsOf(idleLong)}; messages held ${(oursLong.medianLifetimeMs ?? 0).toFixed(0)} ms, ` +
      `the median), of which holding each message as long ${(perMessage(holdingLong) - perMessage(idleLong)).toFixed(1)} us ` +
      `(${collectionsOf(holdingLong)})\n`,
  );
}

/** One-point messages as fast as the runtime takes them, on shared and on pinned cores. */
async function burstPart(server: InfluxServer): Promise<void> {
  for (const cores of CORE_LAYOUTS) {
    await onCores(server, cores, async () => {
      console.log(
        `One point per message: ${MESSAGES.toLocaleString('en')} messages, median of ${cores === undefined ? PACING_ROUNDS : REPEAT} rounds, ${whereOf(cores)}`,
      );
      // Pinned, the peer and the second pacing are left out: a request's round trip, and the pacing, whatever the cores.
      const shared = cores === undefined;
      const cases = [
        scenario(server, 'inflow out', 'single_inflow', MESSAGES, 1),
        scenario(server, 'do-nothing node', undefined, MESSAGES, 1),
        scenario(server, 'holding node', undefined, MESSAGES, 1, {
          holdMs: ([inflowOut]) => Math.round(inflowOut?.medianLifetimeMs ?? 0),
        }),
        ...(shared
          ? [
              scenario(server, 'influxdb out', 'single_influxdb', MESSAGES, 1),
              scenario(server, 'inflow out', 'single_inflow', MESSAGES, 1, { pacing: 'ticks', label: 'inflow out (ticks)' }),
              scenario(server, 'do-nothing node', undefined, MESSAGES, 1, { pacing: 'ticks', label: 'do-nothing node (ticks)' }),
            ]
          : []),
      ];
      const [ours, ceiling, holding, peer, oursTicks, ceilingTicks] = (await rounds(
        server,
        cases,
        shared ? PACING_ROUNDS : REPEAT,
      )) as [Result[], Result[], Result[], Result[] | undefined, Result[] | undefined, Result[] | undefined];
      table([ours, ...(peer === undefined ? [] : [peer]), ceiling, holding].map(median));
      const shares = (runs: Result[], idle: Result[]): string =>
        runs.map((run, i) => marked(percent(rate(run) / rate(idle[i] as Result), 1), run)).join(', ');
      console.log(
        `inflow out: ${percent(shareOf(ours, ceiling), 1)} of the runtime's ceiling${shared ? ' (target at least 50% in every round)' : ''}` +
          ` (rounds: ${shares(ours, ceiling)})` +
          (peer === undefined ? '' : `, ${(rate(median(ours)) / rate(median(peer))).toFixed(0)}x influxdb out`) +
          `; peak RSS ${aboveOrBelow(extraRssOf(ours, holding))} the holding node's (target within 10 MB)`,
      );
      if (oursTicks !== undefined && ceilingTicks !== undefined)
        console.log(
          `sent in one loop from a tick (the second pacing): inflow out ${Math.round(rate(median(oursTicks))).toLocaleString('en')}/s, ` +
            `${percent(shareOf(oursTicks, ceilingTicks), 1)} of the do-nothing node's ${Math.round(rate(median(ceilingTicks))).toLocaleString('en')}/s ` +
            `(rounds: ${shares(oursTicks, ceilingTicks)})`,
        );
      console.log(
        `holding node (writes nothing; holds each message as long as inflow out did in its round): ${percent(shareOf(holding, ceiling), 1)} ` +
          `of the ceiling, peak RSS ${aboveOrBelow(extraRssOf(holding, ceiling))} the do-nothing node's`,
      );
      console.log(`${MARK_WORDS}\n`);
    });
  }
}

/** Messages of many points, against the serializing ceiling, on shared and on pinned cores. */
async function batchesPart(server: InfluxServer): Promise<void> {
  for (const cores of CORE_LAYOUTS) {
    await onCores(server, cores, async () => {
      console.log(
        `Batches: ${BATCHES} messages of ${BATCH_SIZE.toLocaleString('en')} points, median of ${REPEAT} rounds, ${whereOf(cores)}`,
      );
      const [batches, peerBatches, raw] = (await rounds(server, [
        scenario(server, 'inflow out (batches)', 'batch_inflow', BATCHES, BATCH_SIZE),
        scenario(server, 'influxdb batch', 'batch_influxdb', BATCHES, BATCH_SIZE),
        { measurement: 'batch_raw', run: () => rawCeiling(server) },
      ])) as [Result[], Result[], Result[]];
      table([median(batches), median(peerBatches), median(raw)]);
      const batchShare = middle(batches.map((run, i) => pointRate(run) / pointRate(raw[i] as Result)));
      console.log(
        `inflow out batches: ${percent(batchShare, 1)} of the serializing ceiling at the same concurrency (target 80%)\n`,
      );
    });
  }
}

async function main(): Promise<void> {
  const server = await InfluxServer.start();
  try {
    await server.createDatabase(DATABASE);
    if (NODE_FLAGS.length > 0) console.log(`Every Node-RED process started with ${NODE_FLAGS.join(' ')}\n`);
    if (PARTS.has('pacing')) await pacingPart(server);
    if (PARTS.has('long')) await longPart(server);
    if (PARTS.has('steady')) await steadyPart(server);
    if (PARTS.has('burst')) await burstPart(server);
    if (PARTS.has('batches')) await batchesPart(server);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
