/**
 * Reads `SELECT value FROM reading` through queryRows in a process of its own, as an application would,
 * and prints what it saw as one line of JSON: rows, their sum, when the first arrived, and how far RSS
 * grew above where it started.
 */
import { Client } from '../../../src';

async function main(dsn: string): Promise<void> {
  const client = new Client(dsn, { precision: 's', timeout: 60_000 });
  const start = process.memoryUsage().rss;
  let peak = start;
  let rows = 0;
  let sum = 0;
  let firstAtMs = 0;
  const started = performance.now();
  for await (const row of client.queryRows('SELECT value FROM reading', { epoch: 's' })) {
    if (rows === 0) firstAtMs = performance.now() - started;
    rows++;
    sum += row.value as number;
    if (rows % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const totalMs = performance.now() - started;
  await client.close();
  process.stdout.write(`${JSON.stringify({ rows, sum, firstAtMs, totalMs, growthMb: (peak - start) / 1024 / 1024 })}\n`);
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
