/**
 * Bad input through inflow out: every kind gets a clear error on its own message, the node keeps
 * working, and no other message is touched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { BAD } from '../support/bad-input';
import { helper, inflowNodes, waitFor, watched, watchersOf } from '../support/flows';

let server: InfluxServer;
before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase('bad');
});
after(async () => {
  await helper.unload();
  await server.stop();
});

describe(`${BAD.length} kinds of bad input, each between good messages`, () => {
  it('each fails alone with a clear error; every good message is written', async () => {
    assert.ok(BAD.length >= 50);
    await helper.load(inflowNodes, [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: server.dsn('bad'), precision: 'ms', timeout: 5000 },
      {
        id: 'out',
        type: 'inflow out',
        z: 'tab',
        server: 'cfg',
        measurement: 'good',
        autocommitEvery: 40,
        flushInterval: 100,
        wires: [],
      },
      ...watchersOf('out'),
    ]);
    const { caught, completed } = watched();
    const out = helper.getNode('out');
    BAD.forEach(([, msg], i) => {
      out.receive({ seq: `good-${i}`, payload: { value: i, timestamp: 1_700_000_000_000 + i } });
      out.receive({ seq: `bad-${i}`, ...msg });
    });
    out.receive({ seq: 'good-last', payload: { value: -1, timestamp: 1_700_000_001_000 } });
    await waitFor(() => caught.length + completed.length === 2 * BAD.length + 1, 'every message settled', 20_000);

    assert.deepEqual(completed.map((msg) => msg.seq).sort(), [...BAD.map((_, i) => `good-${i}`), 'good-last'].sort());
    assert.equal(caught.length, BAD.length);
    for (const msg of caught) {
      const index = Number(String(msg.seq).replace('bad-', ''));
      const [what, , words, kind = 'InvalidMeasurementException'] = BAD[index] as (typeof BAD)[number];
      const error = msg.error as { message: string; code: string };
      assert.match(error.message, words, `${what}: ${error.message}`);
      assert.ok([kind, 'WriteFailedException'].includes(error.code), `${what}: ${error.code}`);
      assert.ok(error.message.length < 400, `${what}: a message of ${error.message.length} characters`);
    }
    const rows = await server.rows('SELECT value FROM good', 'bad');
    assert.equal(rows.length, BAD.length + 1);
  });
});
