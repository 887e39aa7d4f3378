/**
 * A wall-clock step (NTP correcting a Raspberry Pi without a real-time clock, a person setting the
 * time) must neither stall nor hurry delivery: retries are timed on the monotonic clock. A real
 * Node-RED runs with its wall clock stepped back one hour while InfluxDB refuses writes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SteppableClock } from '../support/faketime';
import { InfluxServer } from '../support/influxd';
import { ingestFlow, postReading } from '../support/ingest';
import { NodeRedProcess } from '../support/node-red';
import { FaultProxy } from '../support/proxy';

let influx: InfluxServer;
let proxy: FaultProxy;
let nodeRed: NodeRedProcess;
const clock = new SteppableClock();

before(async () => {
  influx = await InfluxServer.start();
  await influx.createDatabase('gateway');
  proxy = await FaultProxy.start({ host: influx.host, port: influx.port });
  nodeRed = await NodeRedProcess.start({
    env: clock.env,
    settings: 'inflowOutRetry: { firstDelay: 300, maxDelay: 1000, jitter: 0 }',
  });
  await nodeRed.deploy(
    ingestFlow({ dsn: proxy.dsn('gateway'), timeout: 2000, writer: { autocommitEvery: 10, flushInterval: 100, spool: false } }),
  );
});
after(async () => {
  await nodeRed?.remove();
  await proxy?.close();
  await influx?.stop();
  clock.remove();
});

const post = (i: number): Promise<number> => postReading(nodeRed, { value: i, timestamp: 1_700_000_000_000 + i }, 20_000);

describe('a wall-clock step during an outage', () => {
  it('the clock stepped back an hour while writes fail: once InfluxDB takes writes again, every message lands within seconds', async () => {
    proxy.inject({ respond: { status: 503, body: '{"error":"starting up"}' }, path: '/write' });
    const answers = Promise.all(Array.from({ length: 20 }, (_, i) => post(i)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    clock.set('-1h');
    // Let at least one more try fail on the stepped clock, then let writes through.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const failedTries = proxy.requests.length;
    proxy.clearFaults();
    const recovered = performance.now();
    assert.deepEqual(
      await answers,
      Array.from({ length: 20 }, () => 200),
    );
    const took = performance.now() - recovered;
    assert.ok(took < 5000, `the messages were written ${Math.round(took)} ms after InfluxDB came back`);
    assert.ok(failedTries >= 3, `${failedTries} tries while writes failed`);
    const rows = await influx.rows('SELECT value FROM readings', 'gateway');
    assert.equal(rows.length, 20);
  });
});
