/**
 * The promise that matters most: a message acknowledged is never lost. Node-RED is killed with
 * SIGKILL while influxd is down and thousands of acknowledged messages wait on disk; both come
 * back, and every acknowledged message is in InfluxDB.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { ingestFlow, postReading } from '../support/ingest';
import { NodeRedProcess } from '../support/node-red';

let influx: InfluxServer;
let nodeRed: NodeRedProcess;

before(async () => {
  influx = await InfluxServer.start();
  await influx.createDatabase('gateway');
  nodeRed = await NodeRedProcess.start();
  await nodeRed.deploy(ingestFlow({ dsn: influx.dsn('gateway') }));
});
after(async () => {
  await nodeRed?.remove();
  await influx?.stop();
});

const post = async (i: number): Promise<boolean> =>
  (await postReading(nodeRed, { value: i, timestamp: 1_700_000_000_000 + i }, 10_000)) === 200;

describe('a crash during an outage', () => {
  it('Node-RED killed while influxd is down: every acknowledged message is in InfluxDB after both restart', async () => {
    assert.equal(await post(-1), true, 'the flow works before the outage');
    await influx.halt();
    const acknowledged: number[] = [];
    for (let start = 0; start < 3000; start += 100) {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, k) => post(start + k)));
      answers.forEach((ok, k) => ok && acknowledged.push(start + k));
    }
    assert.ok(acknowledged.length >= 2900, `only ${acknowledged.length} of 3000 acknowledged during the outage`);
    await nodeRed.stop('SIGKILL');
    await influx.resume();
    await nodeRed.resume();
    const deadline = Date.now() + 30_000;
    let stored = new Set<number>();
    while (Date.now() < deadline) {
      const rows = await influx.rows('SELECT value FROM readings', 'gateway');
      stored = new Set(rows.map((row) => row.value as number));
      if (acknowledged.every((value) => stored.has(value))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const missing = acknowledged.filter((value) => !stored.has(value));
    assert.deepEqual(missing, [], `${missing.length} acknowledged messages missing`);
  });
});
