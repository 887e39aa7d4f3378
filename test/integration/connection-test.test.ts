/**
 * "Test connection", as the config dialog asks a real Node-RED runtime for it: behind the
 * inflow-config.write permission, with the settings as typed or the stored secrets, against a real
 * influxd with authentication; the report says what was found, in locale keys, and holds no secret.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN, InfluxServer, WRITER } from '../support/influxd';
import { NodeRedProcess } from '../support/node-red';

const { hashSync } = require('bcryptjs') as { hashSync: (text: string, rounds: number) => string };

let influx: InfluxServer;
let nodeRed: NodeRedProcess;
let adminToken: string;
let viewerToken: string;

interface Report {
  ok: boolean;
  lines: Array<{ key: string; values?: Record<string, string | number>; problem?: boolean }>;
}

async function tokenOf(username: string, password: string, scope: string): Promise<string> {
  const response = await fetch(`${nodeRed.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
  });
  const answer = (await response.json()) as { access_token?: string };
  if (answer.access_token === undefined) throw new Error(`no token for ${username}: ${JSON.stringify(answer)}`);
  return answer.access_token;
}

/** POSTs to the endpoint as the dialog does; `token` null: as no user. */
async function test(
  settings: Record<string, unknown>,
  token: string | null = adminToken,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${nodeRed.url}/inflow-config/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(settings),
  });
  return { status: response.status, text: await response.text() };
}

async function report(settings: Record<string, unknown>): Promise<Report> {
  const { status, text } = await test(settings);
  assert.equal(status, 200, text);
  assert.ok(!text.includes(WRITER.password) && !text.includes(ADMIN.password), `a secret in the report: ${text}`);
  return JSON.parse(text) as Report;
}

const keys = (answer: Report): string[] => answer.lines.map((line) => line.key);

/** Deploys flows through the Admin API as the admin user, and waits until they have started. */
async function deploy(flow: unknown[]): Promise<void> {
  const started = nodeRed.output.split('Started flows').length;
  const response = await fetch(`${nodeRed.url}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, 'node-red-deployment-type': 'full' },
    body: JSON.stringify(flow),
  });
  assert.equal(response.status, 204, await response.text());
  while (nodeRed.output.split('Started flows').length === started) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A server that records the Authorization header of every request it gets, and answers as a 1.x would. */
async function captureServer(): Promise<{ url: string; authorizations: string[]; close(): Promise<void> }> {
  const authorizations: string[] = [];
  const server = createServer((request, response) => {
    if (request.headers.authorization !== undefined) authorizations.push(request.headers.authorization);
    response.writeHead(204, { 'x-influxdb-version': '1.8.10' });
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

before(async () => {
  influx = await InfluxServer.start({ auth: true });
  const users = [
    { username: 'admin', password: hashSync('editor-admin-pw', 8), permissions: '*' },
    { username: 'viewer', password: hashSync('editor-viewer-pw', 8), permissions: 'read' },
  ];
  nodeRed = await NodeRedProcess.start({ settings: `adminAuth: { type: 'credentials', users: ${JSON.stringify(users)} }` });
  adminToken = await tokenOf('admin', 'editor-admin-pw', '*');
  viewerToken = await tokenOf('viewer', 'editor-viewer-pw', 'read');
});
after(async () => {
  await nodeRed?.remove();
  await influx?.stop();
});

describe('Test connection', () => {
  it('refuses without the inflow-config.write permission: no user, or a user who may only read', async () => {
    const settings = { dsn: influx.dsn('authdb', WRITER) };
    assert.equal((await test(settings, null)).status, 401);
    assert.equal((await test(settings, viewerToken)).status, 401);
  });

  it('the right credentials: the server and its version, credentials accepted, the database there (or hidden from a writer), the time it took', async () => {
    const answer = await report({ dsn: influx.dsn('authdb').replace('//', `//${WRITER.username}@`), password: WRITER.password });
    assert.equal(answer.ok, true);
    assert.deepEqual(keys(answer), ['reached', 'credentials.accepted', 'database.hidden', 'took']);
    assert.match(String(answer.lines[0]?.values?.server), /^InfluxDB 1\.6/);
    const admin = await report({ dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`), password: ADMIN.password });
    assert.deepEqual(keys(admin), ['reached', 'credentials.accepted', 'database.found', 'took']);
    assert.equal(admin.ok, true);
  });

  it("a wrong password: credentials refused, in the server's words", async () => {
    const answer = await report({ dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`), password: 'not-it' });
    assert.equal(answer.ok, false);
    assert.deepEqual(keys(answer), ['reached', 'credentials.refused', 'took']);
    assert.match(String(answer.lines[1]?.values?.why), /authorization failed/);
  });

  it('a database that does not exist, and a retention policy that does not', async () => {
    const missing = await report({ dsn: influx.dsn('nowhere').replace('//', `//${ADMIN.username}@`), password: ADMIN.password });
    assert.equal(missing.ok, false);
    assert.deepEqual(keys(missing), ['reached', 'credentials.accepted', 'database.missing', 'took']);
    const policy = await report({
      dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
      password: ADMIN.password,
      retentionPolicy: 'weekly',
    });
    assert.equal(policy.ok, false);
    assert.deepEqual(keys(policy), ['reached', 'credentials.accepted', 'database.found', 'retentionPolicy.missing', 'took']);
  });

  it('settings that cannot work, and a server that does not answer', async () => {
    const bad = await report({ dsn: 'http://localhost:8086' });
    assert.deepEqual(keys(bad), ['settings']);
    assert.match(String(bad.lines[0]?.values?.why), /names no database/);
    const tags = await report({ dsn: influx.dsn('authdb'), tags: '{"time":"noon"}' });
    assert.deepEqual(keys(tags), ['settings']);
    assert.match(String(tags.lines[0]?.values?.why), /default tags: tag key "time" is reserved/);
    const away = await report({ dsn: 'http://127.0.0.1:9/db', timeout: 1000 });
    assert.equal(away.ok, false);
    assert.deepEqual(keys(away), ['unreachable.refused', 'took']);
  });

  it("a password left unchanged in the dialog (the editor's placeholder) is the deployed node's", async () => {
    await deploy([
      {
        id: 'stored',
        type: 'inflow-config',
        dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
        credentials: { password: ADMIN.password },
      },
    ]);
    const answer = await report({
      id: 'stored',
      dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
      password: '__PWRD__',
    });
    assert.deepEqual(keys(answer), ['reached', 'credentials.accepted', 'database.found', 'took']);
  });

  it("a stored secret goes only to the server its node was deployed with: a test of another URL, or with another node's id, sends none", async () => {
    const capture = await captureServer();
    try {
      await deploy([
        {
          id: 'stored2',
          type: 'inflow-config',
          dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
          credentials: { password: ADMIN.password },
        },
        {
          id: 'broker',
          type: 'mqtt-broker',
          broker: '127.0.0.1',
          port: '1883',
          credentials: { user: 'mqtt-user', password: 'mqtt-Secret-pw' },
        },
      ]);
      const elsewhere = await report({
        id: 'stored2',
        dsn: `${capture.url}/authdb`.replace('//', `//${ADMIN.username}@`),
        password: '__PWRD__',
      });
      assert.deepEqual(keys(elsewhere), ['otherServer']);
      assert.equal(elsewhere.lines[0]?.values?.deployed, influx.url);
      const brokers = await report({ id: 'broker', dsn: `${capture.url}/db`, password: '__PWRD__', token: '__PWRD__' });
      assert.deepEqual(keys(brokers), ['typeSecrets']);
      assert.deepEqual(capture.authorizations, [], 'the capture server was sent no credentials');
      // The same node and its own server: the stored password is used.
      const same = await report({
        id: 'stored2',
        dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
        password: '__PWRD__',
      });
      assert.deepEqual(keys(same), ['reached', 'credentials.accepted', 'database.found', 'took']);
    } finally {
      await capture.close();
    }
  });

  it("takes JSON alone: a form, as another site's page could post it, is refused before anything is done", async () => {
    const response = await fetch(`${nodeRed.url}/inflow-config/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${adminToken}` },
      body: new URLSearchParams({ id: 'stored2', dsn: 'http://127.0.0.1:9/db', password: '__PWRD__' }),
    });
    assert.equal(response.status, 415);
  });

  it('tells nothing of what is at a CA path: missing, a folder, or a file that is no certificate, the answer is the same', async () => {
    const answers = new Set<string>();
    for (const path of ['/no/such/file.pem', '/etc', '/etc/hostname']) {
      const answer = await report({ dsn: influx.dsn('authdb'), tlsCa: path });
      assert.deepEqual(keys(answer), ['settings']);
      answers.add(String(answer.lines[0]?.values?.why).replace(path, 'PATH'));
    }
    assert.equal(answers.size, 1, [...answers].join('\n'));
  });
});

describe('Test connection on a Node-RED without adminAuth (its default)', () => {
  it('refuses a form posted by another site, and sends no stored secret for it', async () => {
    const open = await NodeRedProcess.start();
    const capture = await captureServer();
    try {
      await open.deploy([
        {
          id: 'kept',
          type: 'inflow-config',
          dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
          credentials: { password: ADMIN.password },
        },
      ]);
      // What a form on another site's page sends: no preflight, the browser's cookies and origin aside.
      const response = await fetch(`${open.url}/inflow-config/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
        body: new URLSearchParams({ id: 'kept', dsn: `${capture.url}/db`, password: '__PWRD__' }),
      });
      assert.equal(response.status, 415);
      const asText = await fetch(`${open.url}/inflow-config/test`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
        body: JSON.stringify({ id: 'kept', dsn: `${capture.url}/db`, password: '__PWRD__' }),
      });
      assert.equal(asText.status, 415);
      assert.deepEqual(capture.authorizations, []);
    } finally {
      await capture.close();
      await open.remove();
    }
  });
});
