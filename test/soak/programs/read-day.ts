/**
 * Reads `SELECT value FROM reading` through queryRows in a process of its own, as an application would,
 * and prints what it saw as one line of JSON: rows, their sum, how many bytes of the answer had come in
 * when the first row was in hand and how many in all, and how far RSS grew above where it started.
 *
 * The answer passes through a byte-counting relay in this process, so "the first row long before the
 * last" is measured in bytes received, which a busy machine does not change, rather than in milliseconds.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Client } from '../../../src';

interface Relay {
  url: URL;
  bytesIn: () => number;
  close: () => void;
}

async function relayTo(target: URL): Promise<Relay> {
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    upstream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    for (const socket of [client, upstream]) socket.on('error', () => (socket === client ? upstream : client).destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    bytesIn: () => bytes,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function main(dsn: string): Promise<void> {
  const relay = await relayTo(new URL(dsn));
  const client = new Client(relay.url.toString(), { precision: 's', timeout: 60_000 });
  const start = process.memoryUsage().rss;
  let peak = start;
  let rows = 0;
  let sum = 0;
  let bytesAtFirstRow = 0;
  for await (const row of client.queryRows('SELECT value FROM reading', { epoch: 's' })) {
    if (rows === 0) bytesAtFirstRow = relay.bytesIn();
    rows++;
    sum += row.value as number;
    if (rows % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const answerBytes = relay.bytesIn();
  await client.close();
  relay.close();
  process.stdout.write(
    `${JSON.stringify({ rows, sum, bytesAtFirstRow, answerBytes, growthMb: (peak - start) / 1024 / 1024 })}\n`,
  );
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
