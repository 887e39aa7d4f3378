/**
 * One side of `npm run bench:outage`, in a process of its own: 20,000 messages at 1,000 messages/s
 * into one node. Prints "sending" when it starts (the parent stops influxd 5 s later, for 5 s), then
 * one JSON line once every message is finished or 60 s after the last was sent.
 *   node --import tsx bench/outage-run.ts <inflow|influxdb> <influx port> <database> <messages>
 */
import { BASE_MS, servers, startRuntime } from './runtime';

const [which = '', port = '', database = '', messagesText = ''] = process.argv.slice(2);
const MESSAGES = Number(messagesText);

async function main(): Promise<void> {
  const { ours, theirs } = servers(Number(port), database);
  const nodes =
    which === 'inflow'
      ? [
          ours,
          {
            id: 'target',
            type: 'inflow out',
            z: 'tab',
            server: 'inflowServer',
            measurement: 'outage_inflow',
            autocommitEvery: 100,
            flushInterval: 1000,
            wires: [],
          },
        ]
      : [
          theirs,
          {
            id: 'target',
            type: 'influxdb out',
            z: 'tab',
            influxdb: 'influxServer',
            measurement: 'outage_influxdb',
            precision: 'ms',
            retentionPolicy: '',
            wires: [],
          },
        ];
  const runtime = await startRuntime(nodes);
  console.log('sending');
  const started = Date.now();
  for (let sent = 0; sent < MESSAGES;) {
    for (let k = 0; k < 10; k++, sent++) {
      const time = new Date(BASE_MS + sent);
      runtime.send({ payload: which === 'inflow' ? { value: sent, timestamp: time } : { value: sent, time } });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + sent - Date.now())));
  }
  const deadline = Date.now() + 60_000;
  while (runtime.finished.ok + runtime.finished.failed < MESSAGES && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { ok, failed } = runtime.finished;
  await runtime.stop();
  console.log(JSON.stringify({ which, ok, failed, seconds: (Date.now() - started) / 1000 }));
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
