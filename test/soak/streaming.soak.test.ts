/**
 * A day of 1 Hz readings from 50 sensors, near enough (2,000,000 rows), asked of a real InfluxDB 1.6 in one
 * query: read through queryRows as it arrives (chunked), the process grows by less than 50 MB, and the
 * first row is in hand long before the answer ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src';
import { InfluxServer } from '../support/influxd';

const SENSORS = 50;
const ROWS = 2_000_000;
const T0 = 1_700_000_000;
let server: InfluxServer;

before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase('day');
  const perSensor = ROWS / SENSORS;
  for (let start = 0; start < perSensor; start += 2000) {
    const lines: string[] = [];
    for (let sensor = 0; sensor < SENSORS; sensor++) {
      for (let second = start; second < start + 2000; second++)
        lines.push(`reading,sensor=s${sensor} value=${(second % 100) + 0.5} ${T0 + second}`);
    }
    await server.rawWrite('day', lines.join('\n'), 's');
  }
});
after(() => server?.stop());

describe('a 2,000,000-row answer, streamed', () => {
  it('queryRows reads it with bounded memory, the first row long before the last', { timeout: 300_000 }, async () => {
    const client = new Client(server.dsn('day'), { precision: 's', timeout: 60_000 });
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let rows = 0;
    let sum = 0;
    const started = performance.now();
    let firstAt = 0;
    for await (const row of client.queryRows('SELECT value FROM reading', { epoch: 's' })) {
      if (rows === 0) firstAt = performance.now() - started;
      rows++;
      sum += row.value as number;
      if (rows % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const total = performance.now() - started;
    await client.close();
    const growthMb = (peak - baseline) / 1024 / 1024;
    console.log(
      `${rows} rows in ${Math.round(total)} ms, first after ${Math.round(firstAt)} ms, RSS growth ${growthMb.toFixed(1)} MB`,
    );
    assert.equal(rows, ROWS);
    // Each sensor repeats 0.5 ... 99.5 (summing to 5,000) every 100 s.
    assert.equal(sum, SENSORS * (ROWS / SENSORS / 100) * 5000);
    assert.ok(growthMb < 50, `RSS grew by ${growthMb.toFixed(1)} MB`);
    assert.ok(firstAt < total / 10, `first row after ${Math.round(firstAt)} ms of ${Math.round(total)} ms`);
  });
});
