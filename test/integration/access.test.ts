/**
 * What a client's settings meet at the server, asked without writing, on every kind: Debian's influxd
 * with authentication on and off, the InfluxDB 2.x and 3 test servers, VictoriaMetrics alone and behind
 * vmauth. Credentials taken, refused or not checked; each part of the target there or not; what can be
 * listed, and what can be made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, ConnectionFailedException, type AccessReport } from '../../src';
import { ADMIN, freePort, InfluxServer, READER, WRITER } from '../support/influxd';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';
import { VictoriaServer, VmAuth } from '../support/victoria';

const TOKEN = 'access-token-Xy9';

/** The verdicts of a report, for comparing whole. */
function verdicts(report: AccessReport): unknown {
  return {
    server: report.server?.api,
    chosen: report.chosen,
    credentials: report.credentials,
    targets: report.targets.map(({ kind, name, state }) => `${kind} ${name}: ${state}`),
  };
}

async function checked(client: Client): Promise<AccessReport> {
  try {
    return await client.checkAccess();
  } finally {
    await client.close();
  }
}

describe('InfluxDB 1.x with authentication on', () => {
  let server: InfluxServer;
  before(async () => {
    server = await InfluxServer.start({ auth: true });
  });
  after(async () => {
    await server.stop();
  });

  it('a reader: credentials accepted, its database and retention policy found', async () => {
    const report = await checked(new Client(server.dsn('authdb', READER), { retentionPolicy: 'autogen' }));
    assert.deepEqual(verdicts(report), {
      server: '1',
      chosen: undefined,
      credentials: 'accepted',
      targets: ['database authdb: found', 'retentionPolicy autogen: found'],
    });
  });

  it('a writer, who may not read: accepted, its database hidden from it (writes will tell)', async () => {
    const report = await checked(new Client(server.dsn('authdb', WRITER)));
    assert.deepEqual(report.credentials, 'accepted');
    assert.deepEqual(verdicts(report), {
      server: '1',
      chosen: undefined,
      credentials: 'accepted',
      targets: ['database authdb: hidden'],
    });
  });

  it('a wrong password: refused, in the server words, which hold no password', async () => {
    const report = await checked(new Client(server.dsn('authdb', { username: READER.username, password: 'wrong-Pa55' })));
    assert.equal(report.credentials, 'refused');
    assert.equal(report.serverMessage, 'authorization failed');
    assert.deepEqual(report.targets, []);
  });

  it('no credentials: needed', async () => {
    const report = await checked(new Client(server.dsn('authdb')));
    assert.equal(report.credentials, 'needed');
    assert.match(report.serverMessage ?? '', /unable to parse authentication credentials/);
  });

  it('a database and a retention policy that are not there: missing, each', async () => {
    const report = await checked(new Client(server.dsn('nodb', ADMIN), { retentionPolicy: 'weekly' }));
    assert.deepEqual(report.targets, [
      { kind: 'database', name: 'nodb', state: 'missing' },
      { kind: 'retentionPolicy', name: 'weekly', state: 'unchecked' },
    ]);
    const policy = await checked(new Client(server.dsn('authdb', ADMIN), { retentionPolicy: 'weekly' }));
    assert.deepEqual(policy.targets, [
      { kind: 'database', name: 'authdb', state: 'found' },
      { kind: 'retentionPolicy', name: 'weekly', state: 'missing' },
    ]);
  });

  it('lists the databases and retention policies a user may see', async () => {
    const reader = new Client(server.dsn('authdb', READER));
    assert.deepEqual(await reader.listTargets('databases'), ['authdb']);
    assert.deepEqual(await reader.listTargets('retentionPolicies'), ['autogen']);
    await reader.close();
  });

  it('makes a missing database as an admin; for a writer, who cannot see it, makes nothing and says so', async () => {
    const admin = new Client(server.dsn('made_here', ADMIN));
    assert.deepEqual(await admin.createTarget(), { kind: 'database', name: 'made_here', state: 'created' });
    assert.deepEqual(await admin.createTarget(), { kind: 'database', name: 'made_here', state: 'found' });
    await admin.write('m', { v: 1 });
    await admin.close();
    const writer = new Client(server.dsn('not_made', WRITER));
    assert.deepEqual(await writer.createTarget(), { kind: 'database', name: 'not_made', state: 'hidden' });
    await writer.close();
    assert.deepEqual(await server.databases(), ['authdb', 'made_here']);
  });
});

describe('InfluxDB 1.x with authentication off', () => {
  let server: InfluxServer;
  before(async () => {
    server = await InfluxServer.start();
    await server.createDatabase('open');
  });
  after(async () => {
    await server.stop();
  });

  it('credentials given: not checked, said so; none given: open', async () => {
    const given = await checked(new Client(server.dsn('open', { username: 'anyone', password: 'any-Pa55' })));
    assert.equal(given.credentials, 'notChecked');
    const none = await checked(new Client(server.dsn('open')));
    assert.deepEqual(verdicts(none), { server: '1', chosen: undefined, credentials: 'open', targets: ['database open: found'] });
  });

  it('a server that does not answer: ConnectionFailedException', async () => {
    const port = await freePort();
    await assert.rejects(new Client(`http://127.0.0.1:${port}/db`).checkAccess(), ConnectionFailedException);
  });
});

describe('InfluxDB 2.x (the test server)', () => {
  let server: InfluxDB2Server;
  const v2 = (options: Record<string, string> = {}): Client => new Client({ url: server.url, token: TOKEN, ...options });
  before(async () => {
    server = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['sensors'], dbrp: { legacy: 'sensors' } });
  });
  after(async () => {
    await server.stop();
  });

  it('a token, its org and bucket: accepted, found', async () => {
    assert.deepEqual(verdicts(await checked(v2({ org: 'home', bucket: 'sensors' }))), {
      server: '2',
      chosen: undefined,
      credentials: 'accepted',
      targets: ['org home: found', 'bucket sensors: found'],
    });
  });

  it('a wrong token: refused; no token: needed', async () => {
    const wrong = await checked(new Client({ url: server.url, token: 'wrong', org: 'home', bucket: 'sensors' }));
    assert.equal(wrong.credentials, 'refused');
    assert.equal(wrong.serverMessage, 'unauthorized access');
    const none = await checked(new Client({ url: server.url, org: 'home', bucket: 'sensors' }));
    assert.equal(none.credentials, 'needed');
  });

  it('an org or a bucket that is not there: missing', async () => {
    assert.deepEqual((await checked(v2({ org: 'work', bucket: 'sensors' }))).targets, [
      { kind: 'org', name: 'work', state: 'missing' },
      { kind: 'bucket', name: 'sensors', state: 'unchecked' },
    ]);
    assert.deepEqual((await checked(v2({ org: 'home', bucket: 'garden' }))).targets, [
      { kind: 'org', name: 'home', state: 'found' },
      { kind: 'bucket', name: 'garden', state: 'missing' },
    ]);
  });

  it('a database through the DBRP mapping: found by its mapping, missing without one, or unchecked without the org', async () => {
    assert.deepEqual((await checked(v2({ org: 'home', database: 'legacy' }))).targets.at(-1), {
      kind: 'database',
      name: 'legacy',
      state: 'found',
    });
    assert.deepEqual((await checked(v2({ org: 'home', database: 'nomap' }))).targets.at(-1), {
      kind: 'database',
      name: 'nomap',
      state: 'missing',
    });
    assert.deepEqual((await checked(v2({ database: 'legacy' }))).targets, [
      { kind: 'database', name: 'legacy', state: 'unchecked' },
    ]);
  });

  it('lists orgs, buckets and mapped databases; makes a missing bucket that then takes writes', async () => {
    const client = v2({ org: 'home', bucket: 'made' });
    assert.deepEqual(await client.listTargets('orgs'), ['home']);
    assert.deepEqual(await client.listTargets('buckets'), ['sensors']);
    assert.deepEqual(await client.listTargets('databases'), ['legacy', 'sensors']);
    assert.deepEqual(await client.createTarget(), { kind: 'bucket', name: 'made', state: 'created' });
    assert.deepEqual(await client.createTarget(), { kind: 'bucket', name: 'made', state: 'found' });
    await client.write('m', { v: 1 });
    assert.equal(server.store.points('made').length, 1);
    await client.close();
  });

  it('a server of another kind than the one chosen: said, and nothing more asked', async () => {
    const report = await checked(v2({ org: 'home', bucket: 'sensors', version: '3' }));
    assert.deepEqual(verdicts(report), { server: '2', chosen: '3', credentials: undefined, targets: [] });
  });
});

describe('InfluxDB 3 (the test server)', () => {
  let server: InfluxDB3Server;
  before(async () => {
    server = await InfluxDB3Server.start({ token: TOKEN });
  });
  after(async () => {
    await server.stop();
  });

  it('a token: accepted; a database not there yet is made by the first write, then found', async () => {
    const client = new Client({ url: server.url, token: TOKEN, database: 'fresh' });
    assert.deepEqual(verdicts(await client.checkAccess()), {
      server: '3',
      chosen: undefined,
      credentials: 'accepted',
      targets: ['database fresh: onFirstWrite'],
    });
    await client.write('m', { v: 1 });
    assert.deepEqual((await client.checkAccess()).targets, [{ kind: 'database', name: 'fresh', state: 'found' }]);
    assert.deepEqual(await client.listTargets('databases'), ['fresh']);
    await client.close();
  });

  it('a wrong token or none: refused or needed at /ping, the server unknown', async () => {
    const wrong = await checked(new Client({ url: server.url, token: 'wrong', database: 'x' }));
    assert.deepEqual(verdicts(wrong), { server: undefined, chosen: undefined, credentials: 'refused', targets: [] });
    const none = await checked(new Client({ url: server.url, database: 'x' }));
    assert.equal(none.credentials, 'needed');
  });
});

describe('VictoriaMetrics, alone and behind vmauth', () => {
  let victoria: VictoriaServer;
  let vmauth: VmAuth;
  before(async () => {
    victoria = await VictoriaServer.start();
    vmauth = await VmAuth.start(victoria, TOKEN);
  });
  after(async () => {
    await vmauth.stop();
    await victoria.stop();
  });

  it('alone: open; its database is a label, made by writing', async () => {
    assert.deepEqual(verdicts(await checked(new Client(`${victoria.url}/metrics`))), {
      server: 'victoriametrics',
      chosen: undefined,
      credentials: 'open',
      targets: ['database metrics: onFirstWrite'],
    });
  });

  it('behind vmauth: the token accepted, a wrong one refused, none needed', async () => {
    const good = await checked(new Client({ url: vmauth.url, token: TOKEN, database: 'metrics' }));
    assert.equal(good.credentials, 'accepted');
    const wrong = await checked(new Client({ url: vmauth.url, token: 'wrong', database: 'metrics' }));
    assert.equal(wrong.credentials, 'refused');
    const none = await checked(new Client({ url: vmauth.url, database: 'metrics' }));
    assert.equal(none.credentials, 'needed');
  });
});
