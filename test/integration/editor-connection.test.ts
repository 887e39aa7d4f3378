/**
 * The config dialog as a new user meets it, in a real Chromium on a real Node-RED, at the editor's default
 * size, against every kind of server: Debian's influxd with authentication on, the InfluxDB 2.x and 3 test
 * servers, VictoriaMetrics behind vmauth. For each kind, Test connection against a port nobody listens
 * on, wrong credentials, a target that is not there, a server of another kind, and a good server: each
 * answer checked word for word. The pick buttons list what the server has; the dialog of each kind fits
 * the tray. UPDATE_SCREENSHOT=1 renews the README's pictures of the dialog per kind.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN, freePort, InfluxServer, READER } from '../support/influxd';
import { closeDialog, importInflowNodes, openEditor, type Editor, type EditorRED } from '../support/editor';
import { cutWrappedOrOverflowing } from '../support/fits';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { InfluxDB3Server } from '../support/servers/influxdb3';
import { VictoriaServer, VmAuth } from '../support/victoria';

const TOKEN = 'dialog-token-Kq7';
const TRAY = '.red-ui-tray-body';
// Node-RED's own tab header, which it draws wider than its box on every node.
const NODE_RED_PARTS = '.red-ui-tabs';

let editor: Editor;
let page: Page;
let v1: InfluxServer;
let v2: InfluxDB2Server;
let v3: InfluxDB3Server;
let victoria: VictoriaServer;
let vmauth: VmAuth;
/** A loopback port nobody listens on. */
let closed = '';

before(async () => {
  [v1, v2, v3, victoria] = await Promise.all([
    InfluxServer.start({ auth: true }),
    InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['sensors'] }),
    InfluxDB3Server.start({ token: TOKEN }),
    VictoriaServer.start(),
  ]);
  v3.store.create('sensors');
  vmauth = await VmAuth.start(victoria, TOKEN);
  closed = `http://127.0.0.1:${await freePort()}`;
  editor = await openEditor({ width: 1280, height: 800 });
  page = editor.page;
});
after(async () => {
  await editor?.close();
  await Promise.all([v1?.stop(), v2?.stop(), v3?.stop(), vmauth?.stop()]);
  await victoria?.stop();
});
afterEach(async () => {
  if (await page.isVisible('#node-config-dialog-cancel')) await closeDialog(page, 'inflow-config', 'Cancel');
});

type Kind = '1' | '2' | '3' | 'victoriametrics';
const FIELDS = ['org', 'bucket', 'database', 'retentionPolicy', 'username', 'password', 'token'];

/** Opens the dialog of a new server, as from a node's server field. */
async function openNew(): Promise<void> {
  const [id] = await importInflowNodes(page, [{ id: 'fresh', type: 'inflow-config' }]);
  await page.evaluate(
    (id) => (window as unknown as { RED: EditorRED }).RED.editor.editConfig('', 'inflow-config', id),
    id as string,
  );
  await page.waitForSelector('#node-config-input-version', { state: 'visible' });
}

/** In the open dialog: the kind, the URL and the fields typed (the other fields of the kind emptied). */
async function typeInto(kind: Kind, url: string, fields: Record<string, string>): Promise<void> {
  await page.selectOption('#node-config-input-version', kind);
  await page.fill('#node-config-input-dsn', url);
  await page.dispatchEvent('#node-config-input-dsn', 'change');
  for (const field of FIELDS) {
    if (!(await page.isVisible(`#node-config-input-${field}`))) continue;
    await page.fill(`#node-config-input-${field}`, fields[field] ?? '');
    await page.dispatchEvent(`#node-config-input-${field}`, 'input');
  }
}

async function typeIn(kind: Kind, url: string, fields: Record<string, string>): Promise<void> {
  await openNew();
  await typeInto(kind, url, fields);
}

/**
 * A field's value once a pick from a list has filled it: a CI run on a busy machine read the field empty
 * right after the click on the menu item resolved, so the value is awaited (up to 5 s) before it is read.
 */
async function pickedValue(selector: string, expected: string, timeout = 5000): Promise<string> {
  await page
    .waitForFunction(
      ({ selector, expected }) => document.querySelector<HTMLInputElement>(selector)?.value === expected,
      { selector, expected },
      { timeout },
    )
    .catch(() => undefined);
  return page.inputValue(selector);
}

/**
 * Opens a field's pick list and picks `name`, as a person does; again (up to 5 times) when the click landed
 * while the list was still being shown and picked nothing. The field's value then.
 */
async function pick(field: string, name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    await page.click(`#inflow-config-pick-${field}`);
    await page.click(`.red-ui-menu a:has-text("${name}")`);
    const value = await pickedValue(`#node-config-input-${field}`, name, 2000);
    if (value === name || attempt === 5) return value;
  }
}

/** The lines Test connection shows, times as N. */
async function tested(): Promise<string[]> {
  await page.evaluate(() => {
    const result = document.querySelector('#inflow-config-test-result');
    if (result !== null) result.textContent = '';
  });
  await page.click('#inflow-config-test');
  await page.waitForFunction(() =>
    /Took \d+ ms|may not test|cannot work/.test(document.querySelector('#inflow-config-test-result')?.textContent ?? ''),
  );
  const lines = await page.$$eval('#inflow-config-test-result > div', (divs) => divs.map((div) => div.textContent ?? ''));
  return lines.map((line) => line.replace(/\d+ ms/g, 'N ms').replace(/127\.0\.0\.1:\d+/g, 'HOST'));
}

/** Test connection in the open dialog, with these settings typed, as a user trying one thing after another. */
async function test(kind: Kind, url: string, fields: Record<string, string>): Promise<string[]> {
  if (!(await page.isVisible('#node-config-input-version'))) await openNew();
  await typeInto(kind, url, fields);
  return tested();
}

const REFUSED_PORT = 'Could not reach http://HOST: the connection was refused. Is the server running, and is this its port?';
const TOOK = 'Took N ms in all';

describe('Test connection, word for word, on every kind of server', () => {
  let v1Name = '';
  before(async () => {
    const ping = await fetch(`${v1.url}/ping`);
    v1Name = `InfluxDB ${ping.headers.get('x-influxdb-version') ?? '?'}`;
  });

  it('InfluxDB 1.x: nobody at the port, a wrong password, a missing database, the wrong kind, and a good server', async () => {
    const user = { database: 'authdb', username: ADMIN.username, password: ADMIN.password };
    assert.deepEqual(await test('1', closed, user), [REFUSED_PORT, TOOK]);
    assert.deepEqual(await test('1', v1.url, { ...user, username: READER.username, password: 'not-the-Pa55' }), [
      `Reached ${v1Name} at http://HOST (ping N ms)`,
      'Credentials refused: authorization failed',
      TOOK,
    ]);
    assert.deepEqual(await test('1', v1.url, { ...user, database: 'nodb' }), [
      `Reached ${v1Name} at http://HOST (ping N ms)`,
      'Credentials accepted',
      'Database "nodb" does not exist: create it (CREATE DATABASE "nodb"), tick "Create the database or bucket if missing", or correct its name',
      TOOK,
    ]);
    assert.deepEqual(await test('2', v1.url, { org: 'home', bucket: 'sensors', token: TOKEN }), [
      `Reached ${v1Name} at http://HOST (ping N ms)`,
      `This server is ${v1Name}, but the settings say InfluxDB 2.x: choose the server's kind (or "find out from the server"), or check the URL`,
      TOOK,
    ]);
    assert.deepEqual(await test('1', v1.url, { ...user, retentionPolicy: 'autogen' }), [
      `Reached ${v1Name} at http://HOST (ping N ms)`,
      'Credentials accepted',
      'Database "authdb" is there',
      'Retention policy "autogen" is there',
      TOOK,
    ]);
  });

  it('InfluxDB 2.x: nobody at the port, a wrong token, a missing bucket, a database without a mapping, the wrong kind, and a good server', async () => {
    const good = { org: 'home', bucket: 'sensors', token: TOKEN };
    assert.deepEqual(await test('2', closed, good), [REFUSED_PORT, TOOK]);
    assert.deepEqual(await test('2', v2.url, { ...good, token: 'not-the-token' }), [
      'Reached InfluxDB 2.9.1 at http://HOST (ping N ms)',
      'Credentials refused: unauthorized access',
      TOOK,
    ]);
    assert.deepEqual(await test('2', v2.url, { ...good, bucket: 'garden' }), [
      'Reached InfluxDB 2.9.1 at http://HOST (ping N ms)',
      'Credentials accepted',
      'Organization "home" is there',
      'Bucket "garden" does not exist: create it, tick "Create the database or bucket if missing", or correct its name',
      TOOK,
    ]);
    assert.deepEqual(await test('2', v2.url, { org: 'home', database: 'nomap', token: TOKEN }), [
      'Reached InfluxDB 2.9.1 at http://HOST (ping N ms)',
      'Credentials accepted',
      'Organization "home" is there',
      'Database "nomap" has no DBRP mapping in this organization: map it to a bucket (influx v1 dbrp create), or write to a bucket',
      TOOK,
    ]);
    assert.deepEqual(await test('3', v2.url, { database: 'sensors', token: TOKEN }), [
      'Reached InfluxDB 2.9.1 at http://HOST (ping N ms)',
      `This server is InfluxDB 2.9.1, but the settings say InfluxDB 3 Core / Enterprise: choose the server's kind (or "find out from the server"), or check the URL`,
      TOOK,
    ]);
    assert.deepEqual(await test('2', v2.url, good), [
      'Reached InfluxDB 2.9.1 at http://HOST (ping N ms)',
      'Credentials accepted',
      'Organization "home" is there',
      'Bucket "sensors" is there',
      TOOK,
    ]);
  });

  it('InfluxDB 3: nobody at the port, a wrong token, a database not made yet, the wrong kind, and a good server', async () => {
    const good = { database: 'sensors', token: TOKEN };
    assert.deepEqual(await test('3', closed, good), [REFUSED_PORT, TOOK]);
    assert.deepEqual(await test('3', v3.url, { ...good, token: 'not-the-token' }), [
      'Reached http://HOST, which answers nothing without credentials',
      'Credentials refused: authentication required',
      TOOK,
    ]);
    assert.deepEqual(await test('3', v3.url, { ...good, database: 'fresh' }), [
      'Reached InfluxDB 3.5.0 Core at http://HOST (ping N ms)',
      'Credentials accepted',
      'Database "fresh" is not there yet: the first write makes it',
      TOOK,
    ]);
    assert.deepEqual(await test('1', v3.url, { database: 'sensors', username: 'u', password: TOKEN }), [
      'Reached InfluxDB 3.5.0 Core at http://HOST (ping N ms)',
      `This server is InfluxDB 3.5.0 Core, but the settings say InfluxDB 1.x: choose the server's kind (or "find out from the server"), or check the URL`,
      TOOK,
    ]);
    assert.deepEqual(await test('3', v3.url, good), [
      'Reached InfluxDB 3.5.0 Core at http://HOST (ping N ms)',
      'Credentials accepted',
      'Database "sensors" is there',
      TOOK,
    ]);
  });

  it('VictoriaMetrics behind vmauth: nobody at the port, a wrong token, no token, the wrong kind, and a good server', async () => {
    const good = { database: 'metrics', token: TOKEN };
    assert.deepEqual(await test('victoriametrics', closed, good), [REFUSED_PORT, TOOK]);
    // vmauth answers /ping itself, without asking for credentials: the first request that needs them tells.
    assert.deepEqual(await test('victoriametrics', vmauth.url, { ...good, token: 'not-the-token' }), [
      'Reached VictoriaMetrics at http://HOST (ping N ms)',
      'Credentials refused: cannot find the provided auth token "Bearer ***" in config',
      TOOK,
    ]);
    assert.deepEqual(await test('victoriametrics', vmauth.url, { database: 'metrics' }), [
      'Reached VictoriaMetrics at http://HOST (ping N ms)',
      'The server asks for credentials (missing `Authorization` request header): set them below',
      TOOK,
    ]);
    assert.deepEqual(await test('1', vmauth.url, { database: 'metrics', username: 'u', password: 'p' }), [
      'Reached VictoriaMetrics at http://HOST (ping N ms)',
      `This server is VictoriaMetrics, but the settings say InfluxDB 1.x: choose the server's kind (or "find out from the server"), or check the URL`,
      TOOK,
    ]);
    assert.deepEqual(await test('victoriametrics', vmauth.url, good), [
      'Reached VictoriaMetrics at http://HOST (ping N ms)',
      'Credentials accepted',
      'Every point is labelled db="metrics": nothing to make',
      TOOK,
    ]);
  });
});

describe('the config dialog of each kind', () => {
  it('the pick buttons list what the server has, and a pick fills the field', async () => {
    await typeIn('2', v2.url, { token: TOKEN, org: '', bucket: '' });
    assert.equal(await pick('org', 'home'), 'home');
    assert.equal(await pick('bucket', 'sensors'), 'sensors');
    assert.equal(await page.textContent('#inflow-config-dsn-check'), `Writes to bucket sensors of home at ${v2.url}`);
    await closeDialog(page, 'inflow-config', 'Cancel');
    await typeIn('1', v1.url, { username: ADMIN.username, password: ADMIN.password, database: '' });
    assert.equal(await pick('database', 'authdb'), 'authdb');
  });

  it('a user name and password typed into the URL of a kind that takes a token are moved to fields that stay in view, never emptied unseen', async () => {
    await typeIn('3', 'http://localhost:8181', { database: 'sensors', token: 'a-token' });
    await page.fill('#node-config-input-dsn', 'http://someone:a-Pa55@localhost:8181');
    await page.dispatchEvent('#node-config-input-dsn', 'change');
    assert.equal(await page.inputValue('#node-config-input-dsn'), 'http://localhost:8181');
    assert.equal(await page.isVisible('#node-config-input-username'), true);
    assert.equal(await page.inputValue('#node-config-input-username'), 'someone');
    assert.equal(await page.isVisible('#node-config-input-password'), true);
    assert.equal(await page.inputValue('#node-config-input-password'), 'a-Pa55');
  });

  const good = (): Array<[Kind, string, string, Record<string, string>]> => [
    ['1', 'http://localhost:8086', v1.url, { database: 'authdb', username: ADMIN.username, password: ADMIN.password }],
    ['2', 'http://localhost:8086', v2.url, { org: 'home', bucket: 'sensors', token: TOKEN }],
    ['3', 'http://localhost:8181', v3.url, { database: 'sensors', token: TOKEN }],
    ['victoriametrics', 'http://localhost:8428', vmauth.url, { database: 'metrics', token: TOKEN }],
  ];
  for (const kind of ['1', '2', '3', 'victoriametrics'] as const) {
    it(`${kind === 'victoriametrics' ? 'VictoriaMetrics' : `InfluxDB ${kind}`}: the URL placeholder is its port, and the dialog and its test report fit the tray, nothing cut or wrapped`, async () => {
      const [, placeholder, url, fields] = good().find(([each]) => each === kind) as [
        Kind,
        string,
        string,
        Record<string, string>,
      ];
      await typeIn(kind, url, fields);
      assert.equal(await page.getAttribute('#node-config-input-dsn', 'placeholder'), placeholder);
      assert.deepEqual(await cutWrappedOrOverflowing(page, TRAY, NODE_RED_PARTS), [], 'as filled in');
      const report = await tested();
      assert.ok(report.includes('Credentials accepted'), report.join(' | '));
      assert.deepEqual(await cutWrappedOrOverflowing(page, TRAY, NODE_RED_PARTS), [], 'with the test report');
      if (process.env.UPDATE_SCREENSHOT === '1') {
        // The whole tray, tall enough for the dialog and its report, at the default width.
        await page.setViewportSize({ width: 1280, height: 1300 });
        await page.waitForTimeout(400);
        await page
          .locator('.red-ui-tray')
          .last()
          .screenshot({ path: path.join(__dirname, '..', '..', 'docs', `config-${kind}.png`) });
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });
  }
});
