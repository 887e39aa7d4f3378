/**
 * "Test connection", as the config dialog asks a real Node-RED runtime for it: behind the
 * inflow-config.write permission, with the settings as typed or the stored secrets, against a real
 * influxd with authentication; the report says what was found, in locale keys, and holds no secret.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, InfluxServer, WRITER } from '../support/influxd';
import { NodeRedProcess } from '../support/node-red';

const { hashSync } = require('bcryptjs') as { hashSync(text: string, rounds: number): string };

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

  it('the right credentials: the server and its version, credentials accepted, the database there, the time it took', async () => {
    const answer = await report({ dsn: influx.dsn('authdb').replace('//', `//${WRITER.username}@`), password: WRITER.password });
    assert.equal(answer.ok, true);
    assert.deepEqual(keys(answer), ['reached', 'cannotRead', 'took']);
    assert.match(String(answer.lines[0]?.values?.server), /^InfluxDB 1\.6/);
    const admin = await report({ dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`), password: ADMIN.password });
    assert.deepEqual(keys(admin), ['reached', 'accepted', 'database', 'took']);
    assert.equal(admin.ok, true);
  });

  it("a wrong password: credentials refused, in the server's words", async () => {
    const answer = await report({ dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`), password: 'not-it' });
    assert.equal(answer.ok, false);
    assert.deepEqual(keys(answer), ['reached', 'refused', 'took']);
    assert.match(String(answer.lines[1]?.values?.why), /authorization failed/);
  });

  it('a database that does not exist, and a retention policy that does not', async () => {
    const missing = await report({ dsn: influx.dsn('nowhere').replace('//', `//${ADMIN.username}@`), password: ADMIN.password });
    assert.equal(missing.ok, false);
    assert.deepEqual(keys(missing), ['reached', 'accepted', 'noDatabase', 'took']);
    const policy = await report({
      dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
      password: ADMIN.password,
      retentionPolicy: 'weekly',
    });
    assert.equal(policy.ok, false);
    assert.deepEqual(keys(policy), ['reached', 'accepted', 'database', 'noPolicy', 'took']);
  });

  it('settings that cannot work, and a server that does not answer', async () => {
    const bad = await report({ dsn: 'http://localhost:8086' });
    assert.deepEqual(keys(bad), ['settings']);
    assert.match(String(bad.lines[0]?.values?.why), /names no database/);
    const away = await report({ dsn: 'http://127.0.0.1:9/db', timeout: 1000 });
    assert.equal(away.ok, false);
    assert.deepEqual(keys(away), ['unreachable', 'took']);
  });

  it("a password left unchanged in the dialog (the editor's placeholder) is the deployed node's", async () => {
    const deploy = await fetch(`${nodeRed.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, 'node-red-deployment-type': 'full' },
      body: JSON.stringify([
        {
          id: 'stored',
          type: 'inflow-config',
          dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
          credentials: { password: ADMIN.password },
        },
      ]),
    });
    assert.equal(deploy.status, 204, await deploy.text());
    const answer = await report({
      id: 'stored',
      dsn: influx.dsn('authdb').replace('//', `//${ADMIN.username}@`),
      password: '__PWRD__',
    });
    assert.deepEqual(keys(answer), ['reached', 'accepted', 'database', 'took']);
  });
});
