/**
 * Appends records to a spool in a folder, in a process of its own (so that libfiu can make its fsyncs
 * fail), and prints as one line of JSON which appends were acknowledged, and which failed and how.
 * Small segments, so that many appends start a new file (whose folder entry is fsynced too).
 */
import { Spool } from '../../../src';

async function main(folder: string, count: number): Promise<void> {
  const spool = Spool.open(folder, { segmentBytes: 200 });
  const acknowledged: number[] = [];
  const failures: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    try {
      if (await spool.append({ target: {}, body: Buffer.from(`m v=${i} ${i}\n`) })) acknowledged.push(i);
    } catch (error) {
      const code = String((error as NodeJS.ErrnoException).code ?? error);
      failures[code] = (failures[code] ?? 0) + 1;
    }
  }
  await spool.close();
  process.stdout.write(`${JSON.stringify({ acknowledged, failures })}\n`);
}

main(process.argv[2] ?? '', Number(process.argv[3] ?? 100)).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
