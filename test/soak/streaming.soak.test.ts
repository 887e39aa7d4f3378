/**
 * A day of 1 Hz readings from 50 sensors, near enough (2,000,000 rows), asked of a real InfluxDB 1.6 in one
 * query: read through queryRows as it arrives (chunked), the process grows by less than 50 MB, and the
 * first row is in hand when less than a tenth of the answer's bytes have come in.
 *
 * The reading runs in a process of its own, as in an application: node:test tracks every async resource of
 * a test (a destroy hook per promise), which keeps each row's promise alive past a young-generation
 * collection and so doubles or triples the growth it would measure in its own process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
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
  it(
    'queryRows reads it with bounded memory, the first row before a tenth of the answer has come in',
    { timeout: 300_000 },
    () => {
      const reader = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(__dirname, 'programs', 'read-day.ts'), server.dsn('day')],
        {
          encoding: 'utf8',
          timeout: 240_000,
        },
      );
      assert.equal(reader.status, 0, `the reader failed: ${reader.stderr}`);
      const seen = JSON.parse(reader.stdout) as {
        rows: number;
        sum: number;
        bytesAtFirstRow: number;
        answerBytes: number;
        growthMb: number;
      };
      console.log(
        `${seen.rows} rows in ${seen.answerBytes} bytes, the first with ${seen.bytesAtFirstRow} bytes in, RSS growth ${seen.growthMb.toFixed(1)} MB`,
      );
      assert.equal(seen.rows, ROWS);
      // Each sensor repeats 0.5 ... 99.5 (summing to 5,000) every 100 s.
      assert.equal(seen.sum, SENSORS * (ROWS / SENSORS / 100) * 5000);
      assert.ok(seen.growthMb < 50, `RSS grew by ${seen.growthMb.toFixed(1)} MB`);
      assert.ok(
        seen.bytesAtFirstRow < seen.answerBytes / 10,
        `the first row came with ${seen.bytesAtFirstRow} of ${seen.answerBytes} bytes in`,
      );
    },
  );
});
