/**
 * The editor, driven in a real Chromium: the config dialog checks the DSN as it is typed and moves a
 * password typed into it to the password credential, so the deployed flow carries no secret.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  importInflowNodes,
  openAndDone,
  openEditor,
  propertiesOf,
  waitForEditor,
  type Editor,
  type EditorRED,
} from '../support/editor';
import { InfluxServer } from '../support/influxd';
import type { NodeRedProcess } from '../support/node-red';

const { demoFlow } = require('../../scripts/demo-flow.js') as { demoFlow: (url: string, database: string) => unknown[] };

let editor: Editor;
let nodeRed: NodeRedProcess;
let influx: InfluxServer;
let page: Page;

before(async () => {
  influx = await InfluxServer.start();
  await influx.createDatabase('sensors');
  editor = await openEditor({ width: 1400, height: 900 });
  ({ nodeRed, page } = editor);
});
after(async () => {
  await editor?.close();
  await influx?.stop();
});

describe('the editor, in Chromium', () => {
  it('says where writes go as the URL is typed, and moves a user name and password typed into it to their credentials', async () => {
    await page.evaluate(() => {
      const RED = (
        window as unknown as {
          RED: {
            view: { importNodes(nodes: unknown[]): void };
            workspaces: { active(): string };
            editor: { editConfig(a: string, type: string, id: string): void };
          };
        }
      ).RED;
      const z = RED.workspaces.active();
      RED.view.importNodes([
        { id: 'cfg1', type: 'inflow-config', dsn: 'http://localhost:8086/db', precision: 'ms', timeout: 10000 },
        {
          id: 'out1',
          type: 'inflow out',
          name: '',
          server: 'cfg1',
          measurement: 'm',
          autocommitEvery: 100,
          flushInterval: 1000,
          tags: '',
          integerFields: '',
          bufferLimit: 100000,
          spool: true,
          spoolLimit: 100,
          errorOutput: false,
          outputs: 0,
          x: 300,
          y: 160,
          z,
          wires: [],
        },
      ]);
      RED.editor.editConfig('', 'inflow-config', 'cfg1');
    });
    await page.waitForSelector('#node-config-input-dsn', { state: 'visible' });

    await page.fill('#node-config-input-dsn', 'http://localhost:8086');
    await page.fill('#node-config-input-database', '');
    await page.dispatchEvent('#node-config-input-database', 'input');
    assert.equal(
      await page.textContent('#inflow-config-dsn-check'),
      'Say where to write: a database (or, on InfluxDB 2.x, a bucket)',
    );

    await page.fill('#node-config-input-dsn', 'http://writer:s3cr%40t@127.0.0.1:8086/sensors');
    await page.dispatchEvent('#node-config-input-dsn', 'change');
    assert.equal(await page.inputValue('#node-config-input-dsn'), 'http://127.0.0.1:8086/sensors');
    assert.equal(await page.inputValue('#node-config-input-username'), 'writer');
    assert.equal(await page.inputValue('#node-config-input-password'), 's3cr@t');
    assert.equal(await page.textContent('#inflow-config-dsn-check'), 'Writes to database sensors at http://127.0.0.1:8086');

    await page.click('#node-config-dialog-ok');
    await page.click('#red-ui-header-button-deploy');
    let flows = '';
    for (const deadline = Date.now() + 10_000; !flows.includes('cfg1') && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      flows = await (await fetch(`${nodeRed.url}/flows`)).text();
    }
    assert.ok(flows.includes('"dsn":"http://127.0.0.1:8086/sensors"'), flows);
    assert.ok(!flows.includes('s3cr') && !flows.includes('writer'), 'the deployed flow holds the user name or password');
    assert.ok(!readFileSync(path.join(nodeRed.userDir, 'flows.json'), 'utf8').includes('s3cr'));
    assert.deepEqual(await (await fetch(`${nodeRed.url}/credentials/inflow-config/cfg1`)).json(), {
      username: 'writer',
      has_password: true,
      has_token: false,
    });
  });

  it('labels the config node by host and database, never with a secret', async () => {
    const label = await page.evaluate(() => {
      const RED = (
        window as unknown as {
          RED: { nodes: { node(id: string): { _def: { label: { call(node: unknown): string } } } & object } };
        }
      ).RED;
      const node = RED.nodes.node('cfg1');
      return node._def.label.call(node);
    });
    assert.equal(label, '127.0.0.1:8086/sensors');
  });

  const byType = (a: { type: string }, b: { type: string }): number => a.type.localeCompare(b.type);
  const examples = path.join(__dirname, '..', '..', 'examples');
  for (const file of readdirSync(examples).filter((name) => name.endsWith('.json'))) {
    it(`"${file}": imported, every node is valid, opening each dialog and pressing Done changes nothing, and so does exporting and importing it again`, async () => {
      const ids = await importInflowNodes(page, JSON.parse(readFileSync(path.join(examples, file), 'utf8')) as unknown[]);
      assert.ok(ids.length >= 2, `${ids.length} inflow nodes imported`);
      const before = await propertiesOf(page, ids);
      assert.deepEqual(
        before.filter((node) => !node.valid).map((node) => node.type),
        [],
        'nodes marked invalid',
      );
      for (const node of before) await openAndDone(page, ids[before.indexOf(node)] as string, node.type);
      assert.deepEqual(await propertiesOf(page, ids), before);
      // Exported (as the Export menu does) and imported again: the same nodes, the same settings (an identical
      // config node is not imported twice: the editor reuses the one it has).
      const exported = await page.evaluate((ids) => {
        const RED = (
          window as unknown as { RED: EditorRED & { nodes: { createExportableNodeSet(nodes: unknown[]): unknown[] } } }
        ).RED;
        return JSON.stringify(RED.nodes.createExportableNodeSet(ids.map((id) => RED.nodes.node(id))));
      }, ids);
      const again = await propertiesOf(page, await importInflowNodes(page, JSON.parse(exported) as unknown[]));
      const withoutIds = (nodes: typeof before) =>
        nodes
          .filter((node) => node.type !== 'inflow-config')
          .map(({ type, valid, properties: { server: _server, ...rest } }) => ({ type, valid, rest }));
      assert.deepEqual(withoutIds(again).sort(byType), withoutIds(before).sort(byType));
    });
  }

  it('nodes written by hand with only some properties are valid, and show and save the defaults', async () => {
    const imported = await importInflowNodes(page, [
      { id: 'oldCfg', type: 'inflow-config', dsn: 'http://localhost:8086/old' },
      { id: 'oldOut', type: 'inflow out', server: 'oldCfg', measurement: 'm', x: 200, y: 400, wires: [] },
      { id: 'oldQuery', type: 'inflow query', server: 'oldCfg', query: 'SELECT 1', x: 200, y: 460, wires: [[]] },
    ]);
    const types = ['inflow-config', 'inflow out', 'inflow query'];
    const found = await propertiesOf(page, imported);
    const ids = types.map((type) => imported[found.findIndex((node) => node.type === type)] as string);
    assert.deepEqual(
      (await propertiesOf(page, ids)).map((node) => node.valid),
      [true, true, true],
    );
    for (const [i, id] of ids.entries()) await openAndDone(page, id, types[i] as string);
    const [config, out, query] = (await propertiesOf(page, ids)).map((node) => node.properties);
    assert.deepEqual(
      { precision: config?.precision, timeout: Number(config?.timeout), version: config?.version, dsn: config?.dsn },
      { precision: 'ms', timeout: 10000, version: 'auto', dsn: 'http://localhost:8086/old' },
    );
    assert.deepEqual(
      {
        autocommitEvery: Number(out?.autocommitEvery),
        flushInterval: Number(out?.flushInterval),
        bufferLimit: Number(out?.bufferLimit),
        spool: out?.spool,
        spoolLimit: Number(out?.spoolLimit),
        errorOutput: out?.errorOutput,
      },
      { autocommitEvery: 1000, flushInterval: 1000, bufferLimit: 100000, spool: true, spoolLimit: 100, errorOutput: false },
    );
    assert.deepEqual({ epoch: query?.epoch, raw: query?.raw }, { epoch: 'ms', raw: false });
  });

  it('Tags InfluxDB could not store mark the node invalid in the editor, on the server node and on inflow out alike', async () => {
    const imported = await importInflowNodes(page, [
      { id: 'tagCfg', type: 'inflow-config', dsn: 'http://localhost:8086/tags', tags: '{"gateway":"pi-3"}' },
      { id: 'badCfg', type: 'inflow-config', dsn: 'http://localhost:8086/tags', tags: '{"time":"noon"}' },
      { id: 'tagOut', type: 'inflow out', server: 'tagCfg', tags: '{"room":"lab","floor":2}', x: 200, y: 520, wires: [] },
      { id: 'badOut', type: 'inflow out', server: 'tagCfg', tags: '{"room":"a\\\\"}', x: 200, y: 580, wires: [] },
    ]);
    const found = await propertiesOf(page, imported);
    const validity = Object.fromEntries(found.map((node) => [String(node.properties.tags), node.valid]));
    assert.deepEqual(validity, {
      '{"gateway":"pi-3"}': true,
      '{"time":"noon"}': false,
      '{"room":"lab","floor":2}': true,
      '{"room":"a\\\\"}': false,
    });
  });

  it('the server kind shows the fields that server uses; saving keeps only those', async () => {
    const [id] = await importInflowNodes(page, [
      {
        id: 'kinds',
        type: 'inflow-config',
        dsn: 'http://localhost:8086/today',
        precision: 'ms',
        timeout: 10000,
        retentionPolicy: 'week',
      },
    ]);
    await page.evaluate(
      (id) => (window as unknown as { RED: EditorRED }).RED.editor.editConfig('', 'inflow-config', id),
      id as string,
    );
    await page.waitForSelector('#node-config-input-version', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-version'), 'auto', 'a flow of today, without a kind, shows auto');
    const rows = ['org', 'bucket', 'database', 'retentionPolicy', 'username', 'password', 'token'];
    const shown = async (): Promise<string[]> => {
      const visible: string[] = [];
      for (const row of rows) if (await page.isVisible(`#inflow-config-row-${row}`)) visible.push(row);
      return visible;
    };
    // "Find out" shows the fields every kind may use, and any other that holds a value (the retention policy here).
    const expected: Record<string, string[]> = {
      auto: ['database', 'retentionPolicy', 'username', 'password', 'token'],
      '1': ['database', 'retentionPolicy', 'username', 'password'],
      '2': ['org', 'bucket', 'database', 'token'],
      '3': ['database', 'token'],
      victoriametrics: ['database', 'username', 'password', 'token'],
    };
    for (const [kind, fields] of Object.entries(expected)) {
      await page.selectOption('#node-config-input-version', kind);
      assert.deepEqual(await shown(), fields, `the fields of ${kind}`);
    }
    await page.selectOption('#node-config-input-version', '2');
    await page.fill('#node-config-input-dsn', 'http://127.0.0.1:8086');
    await page.dispatchEvent('#node-config-input-dsn', 'input');
    assert.match((await page.textContent('#inflow-config-dsn-check')) ?? '', /Say where to write/);
    await page.fill('#node-config-input-org', 'home');
    await page.fill('#node-config-input-bucket', 'sensors');
    await page.dispatchEvent('#node-config-input-bucket', 'input');
    assert.equal(await page.textContent('#inflow-config-dsn-check'), 'Writes to bucket sensors of home at http://127.0.0.1:8086');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-dialog-ok', { state: 'detached' });
    const [saved] = await propertiesOf(page, [id as string]);
    assert.equal(saved?.valid, true);
    assert.deepEqual(
      { ...saved?.properties, name: undefined, precision: undefined, timeout: undefined },
      {
        name: undefined,
        precision: undefined,
        timeout: undefined,
        version: '2',
        dsn: 'http://127.0.0.1:8086',
        org: 'home',
        bucket: 'sensors',
        database: '',
        retentionPolicy: '',
        createTarget: false,
        tlsCa: '',
        tlsVerify: true,
        tags: '',
      },
    );
  });

  it("inflow query's dialog offers the languages its server answers", async () => {
    const ids = await importInflowNodes(page, [
      { id: 'srv2', type: 'inflow-config', version: '2', dsn: 'http://127.0.0.1:8086', org: 'o', bucket: 'b' },
      { id: 'srv3', type: 'inflow-config', version: '3', dsn: 'http://127.0.0.1:8181', database: 'd' },
      { id: 'askQ', type: 'inflow query', server: 'srv2', query: '', language: 'flux', x: 200, y: 520, wires: [[]] },
    ]);
    const types = await propertiesOf(page, ids);
    const queryId = ids[types.findIndex((node) => node.type === 'inflow query')] as string;
    const v3Id = ids.find((_, i) => types[i]?.type === 'inflow-config' && types[i]?.properties.version === '3') as string;
    await page.evaluate((id) => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, queryId);
    await page.waitForSelector('#node-input-language', { state: 'visible' });
    const offered = (): Promise<string[]> =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll('#node-input-language option'))
          .filter((option) => (option as HTMLElement).style.display !== 'none')
          .map((option) => (option as HTMLOptionElement).value),
      );
    assert.deepEqual(await offered(), ['influxql', 'flux']);
    assert.equal(await page.inputValue('#node-input-language'), 'flux');
    await page.selectOption('#node-input-server', v3Id);
    assert.deepEqual(await offered(), ['influxql', 'sql']);
    // Flux is not answered there: the dialog falls back to the server's own language.
    assert.equal(await page.inputValue('#node-input-language'), 'influxql');
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-dialog-cancel', { state: 'detached' });
  });

  it('Test connection in the config dialog says, in words, what it found: the server, its version, the database', async () => {
    const [id] = await importInflowNodes(page, [
      { id: 'probe', type: 'inflow-config', dsn: influx.dsn('sensors'), precision: 'ms', timeout: 5000 },
    ]);
    await page.evaluate(
      (id) => (window as unknown as { RED: EditorRED }).RED.editor.editConfig('', 'inflow-config', id),
      id as string,
    );
    await page.waitForSelector('#inflow-config-test', { state: 'visible' });
    await page.click('#inflow-config-test');
    await page.waitForFunction(() => /Took \d+ ms/.test(document.querySelector('#inflow-config-test-result')?.textContent ?? ''));
    const found = (await page.textContent('#inflow-config-test-result')) ?? '';
    assert.match(found, /Reached InfluxDB 1\.6\.\d+\S* at http:\/\/127\.0\.0\.1:\d+ \(ping \d+ ms\)/);
    assert.match(found, /No credentials needed/);
    assert.match(found, /Database "sensors" is there/);
    // A database typed wrong: said so, as an error.
    await page.fill('#node-config-input-dsn', influx.dsn('sensor'));
    await page.click('#inflow-config-test');
    await page.waitForFunction(() =>
      /does not exist/.test(document.querySelector('#inflow-config-test-result')?.textContent ?? ''),
    );
    assert.equal(await page.locator('#inflow-config-test-result .inflow-error').count(), 1);
    assert.match(
      (await page.textContent('#inflow-config-test-result .inflow-error')) ?? '',
      /Database "sensor" does not exist: create it/,
    );
    await page.click('#node-config-dialog-cancel');
  });

  it('the demo deployed: its nodes show, in words from the locale files, that they write and answer', async () => {
    const demo = demoFlow(influx.url, 'sensors') as Array<{ id: string; type: string }>;
    await nodeRed.deploy(demo);
    await page.reload();
    await waitForEditor(page);
    await page.waitForFunction("RED.nodes.node('a1a1a1a1a1a1a105')", null, { timeout: 60_000 });
    const tabs = demo.filter((node) => node.type === 'tab').map((node) => node.id);
    const statusOn = async (tab: string, text: RegExp): Promise<string[]> => {
      await page.evaluate(
        (tab) => (window as unknown as { RED: { workspaces: { show(id: string): void } } }).RED.workspaces.show(tab),
        tab,
      );
      const labels = (): Promise<string[]> =>
        page.evaluate(() =>
          Array.from(document.querySelectorAll('.red-ui-flow-node-status-label'), (label) => label.textContent ?? ''),
        );
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await page.waitForTimeout(200)) {
        if ((await labels()).some((label) => text.test(label))) return labels();
      }
      throw new Error(`no status ${String(text)} on tab ${tab}: ${(await labels()).join(' | ')}`);
    };
    const query = await statusOn(tabs[1] as string, /^answered \d\d:\d\d:\d\d$/);
    const write = await statusOn(tabs[0] as string, /^written \d\d:\d\d:\d\d$/);
    assert.deepEqual(
      [...write, ...query].filter((label) => /inflow-(out|query|config)\./.test(label)),
      [],
      'a key where a text belongs',
    );
    // UPDATE_SCREENSHOT=1 renews the README's picture of the editor with the demo deployed.
    if (process.env.UPDATE_SCREENSHOT === '1')
      await page.screenshot({ path: path.join(__dirname, '..', '..', 'docs', 'editor.png') });
  });
});
