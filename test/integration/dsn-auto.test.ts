/**
 * Inflow's entry, `new Client(dsn)`, finds out which server it talks to, as every other form does: a DSN
 * pointed at InfluxDB 2.x, 3 or VictoriaMetrics is not read as InfluxDB 1.x, whose API would change the
 * meaning of what is written there (2.x's v1 /write reads precision u as nanoseconds; VictoriaMetrics
 * stores a string as 0 and answers every query with SHOW DATABASES).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, ConfigurationException, InvalidMeasurementException } from '../../src';
import { InfluxServer } from '../support/influxd';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';
import { VictoriaServer } from '../support/victoria';

const TOKEN = 'dsn-token';
// RFC3339 text keeps the microseconds a Date would drop.
const INSTANT = '2024-03-01T12:00:00.123456Z';
let v1: InfluxServer;
let v2: InfluxDB2Server;
let v3: InfluxDB3Server;
let vm: VictoriaServer;

before(async () => {
  v1 = await InfluxServer.start();
  await v1.createDatabase('sensors');
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['sensors'] });
  v3 = await InfluxDB3Server.start({ token: TOKEN });
  vm = await VictoriaServer.start();
});
after(async () => {
  await v1?.stop();
  await v2?.stop();
  await v3?.stop();
  await vm?.stop();
});

describe('a DSN finds its server', () => {
  it('InfluxDB 1.x: the 1.x API', async () => {
    const client = new Client(v1.dsn('sensors'), { precision: 'u' });
    assert.equal((await client.detectServer()).api, '1');
    await client.write('dsn', { value: 1, timestamp: INSTANT });
    assert.equal((await v1.rows('SELECT value FROM dsn', 'sensors', 'u'))[0]?.time, 1709294400123456);
    await client.close();
  });

  it('InfluxDB 2.x: the 2.x API, so a time in microseconds lands at its instant (its v1 /write would read it as nanoseconds)', async () => {
    const client = new Client(`${v2.url}/sensors`, { token: TOKEN, precision: 'u' });
    assert.equal((await client.detectServer()).api, '2');
    await client.write('dsn', { value: 1, timestamp: INSTANT });
    const [point] = v2.store.points('sensors', 'dsn');
    assert.equal(point?.time, 1709294400123456000n);
    await client.close();
  });

  it('InfluxDB 3: the 3 API, its database the DSN’s', async () => {
    const client = new Client(`${v3.url}/sensors`, { token: TOKEN, precision: 'ms' });
    assert.equal((await client.detectServer()).api, '3');
    await client.write('dsn', { value: 1, timestamp: INSTANT });
    assert.equal(v3.writes.at(-1)?.path, '/api/v3/write_lp');
    assert.equal(v3.writes.at(-1)?.database, 'sensors');
    await client.close();
  });

  it('VictoriaMetrics: a string it would store as 0 is refused, and so is a query', async () => {
    const client = new Client(vm.dsn('sensors'));
    assert.equal((await client.detectServer()).api, 'victoriametrics');
    await assert.rejects(client.write('dsn', { state: 'on' }), InvalidMeasurementException);
    await assert.rejects(client.query('SELECT * FROM dsn'), ConfigurationException);
    await client.close();
  });
});
