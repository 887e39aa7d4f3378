/**
 * The promise that matters most: a message acknowledged is never lost. Node-RED is killed with
 * SIGKILL while influxd is down and thousands of acknowledged messages wait on disk; both come
 * back, and every acknowledged message is in InfluxDB.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { NodeRedProcess } from '../support/node-red';

let influx: InfluxServer;
let nodeRed: NodeRedProcess;

before(async () => {
  influx = await InfluxServer.start();
  await influx.createDatabase('gateway');
  nodeRed = await NodeRedProcess.start();
  await nodeRed.deploy([
    { id: 'tab1', type: 'tab', label: 'ingest' },
    { id: 'server1', type: 'inflow-config', dsn: influx.dsn('gateway'), precision: 'ms', retentionPolicy: '', timeout: 1000 },
    { id: 'httpIn', type: 'http in', z: 'tab1', url: '/reading', method: 'post', upload: false, wires: [['writer']] },
    {
      id: 'writer',
      type: 'inflow out',
      z: 'tab1',
      server: 'server1',
      measurement: 'readings',
      autocommitEvery: 50,
      flushInterval: 200,
      spool: true,
      wires: [],
    },
    { id: 'whenWritten', type: 'complete', z: 'tab1', scope: ['writer'], uncaught: false, wires: [['respond']] },
    { id: 'respond', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] },
  ]);
});
after(async () => {
  await nodeRed?.remove();
  await influx?.stop();
});

async function post(i: number): Promise<boolean> {
  try {
    const response = await fetch(`${nodeRed.url}/reading`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: i, timestamp: 1_700_000_000_000 + i }),
      signal: AbortSignal.timeout(10_000),
    });
    await response.text();
    return response.status === 200;
  } catch {
    return false;
  }
}

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
