/**
 * `npm run bench:outage`: influxd stopped for 5 s during a run of 20,000 messages at 1,000
 * messages/s, against inflow out and against node-red-contrib-influxdb's influxdb out, in one run
 * against the same server. Prints the points each lost. Then how a backlog on disk catches up (see
 * catch-up.ts): on loopback beside the raw ceiling, through a proxy adding 300 ms a request after a
 * 60 s outage, and the bytes a point takes on disk.
 *   npm run bench:outage [-- --messages 20000 --outage-after 5000 --outage-for 5000 --only loss,catch-up
 *                           --records 300 --catch-up-outage 60000 --rate 1000 --latency 300]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { InfluxServer } from '../test/support/influxd';
import { listArg, numberArg } from './args';
import { catchUpBench } from './catch-up';

const MESSAGES = numberArg('--messages', 20_000);
const OUTAGE_AFTER = numberArg('--outage-after', 5000);
const OUTAGE_FOR = numberArg('--outage-for', 5000);
const DATABASE = 'outage';
const PARTS = new Set(listArg('--only', ['loss', 'catch-up']));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function side(server: InfluxServer, which: 'inflow' | 'influxdb'): Promise<{ ok: number; failed: number; stored: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'outage-run.ts'), which, String(server.port), DATABASE, String(MESSAGES)],
    {
      cwd: path.resolve(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  let outage: Promise<void> | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (outage === undefined && output.includes('sending')) {
      outage = (async () => {
        await sleep(OUTAGE_AFTER);
        await server.halt();
        await sleep(OUTAGE_FOR);
        await server.resume();
      })();
    }
  });
  await new Promise((resolve) => child.once('exit', resolve));
  await outage;
  const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { ok: number; failed: number };
  const measurement = which === 'inflow' ? 'outage_inflow' : 'outage_influxdb';
  const rows = await server.rows(`SELECT count(value) FROM ${measurement}`, DATABASE);
  return { ...result, stored: (rows[0]?.count as number | undefined) ?? 0 };
}

async function main(): Promise<void> {
  const server = await InfluxServer.start();
  try {
    if (PARTS.has('loss')) {
      await server.createDatabase(DATABASE);
      console.log(
        `${MESSAGES.toLocaleString('en')} messages at 1,000/s; influxd stopped after ${OUTAGE_AFTER / 1000} s for ${OUTAGE_FOR / 1000} s`,
      );
      console.log(
        `${'node'.padEnd(36)} ${'done'.padStart(8)} ${'failed'.padStart(8)} ${'stored'.padStart(8)} ${'points lost'.padStart(12)}`,
      );
      for (const [which, label] of [
        ['inflow', 'inflow out'],
        ['influxdb', 'node-red-contrib-influxdb influxdb out'],
      ] as const) {
        const result = await side(server, which);
        const lost = MESSAGES - result.stored;
        console.log(
          `${label.padEnd(36)} ${String(result.ok).padStart(8)} ${String(result.failed).padStart(8)} ${String(result.stored).padStart(8)} ` +
            `${`${lost} (${((100 * lost) / MESSAGES).toFixed(1)}%)`.padStart(12)}`,
        );
      }
    }
    if (PARTS.has('catch-up'))
      await catchUpBench(server, {
        records: numberArg('--records', 300),
        outageMs: numberArg('--catch-up-outage', 60_000),
        rate: numberArg('--rate', 1000),
        latencyMs: numberArg('--latency', 300),
      });
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
