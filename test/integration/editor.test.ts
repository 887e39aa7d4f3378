/**
 * The editor, driven in a real Chromium: the config dialog checks the DSN as it is typed and moves a
 * password typed into it to the password credential, so the deployed flow carries no secret.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { NodeRedProcess } from '../support/node-red';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let nodeRed: NodeRedProcess;
let browser: Browser;
let page: Page;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is needed at ${CHROMIUM} for the editor test: apt-get install chromium (npm test does so as root), or set CHROMIUM`,
    );
  }
  nodeRed = await NodeRedProcess.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(nodeRed.url);
  await page.waitForFunction(
    () => {
      const RED = (
        window as unknown as { RED?: { nodes?: { getType(type: string): unknown }; workspaces?: { active(): string } } }
      ).RED;
      return RED?.nodes?.getType('inflow out') !== undefined && Boolean(RED.workspaces?.active());
    },
    null,
    { timeout: 60_000 },
  );
});
after(async () => {
  await browser?.close();
  await nodeRed?.remove();
});

describe('the editor, in Chromium', () => {
  it('checks the DSN as it is typed, and moves a typed password into the credential', async () => {
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
    assert.match((await page.textContent('#inflow-config-dsn-check')) ?? '', /database as the path/);

    await page.fill('#node-config-input-dsn', 'http://writer:s3cr%40t@127.0.0.1:8086/sensors');
    await page.dispatchEvent('#node-config-input-dsn', 'change');
    assert.equal(await page.inputValue('#node-config-input-dsn'), 'http://writer@127.0.0.1:8086/sensors');
    assert.equal(await page.inputValue('#node-config-input-password'), 's3cr@t');
    assert.match((await page.textContent('#inflow-config-dsn-check')) ?? '', /Writes to 127.0.0.1:8086\/sensors/);

    await page.click('#node-config-dialog-ok');
    await page.click('#red-ui-header-button-deploy');
    let flows = '';
    for (const deadline = Date.now() + 10_000; !flows.includes('cfg1') && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      flows = await (await fetch(`${nodeRed.url}/flows`)).text();
    }
    assert.ok(flows.includes('"dsn":"http://writer@127.0.0.1:8086/sensors"'), flows);
    assert.ok(!flows.includes('s3cr'), 'the deployed flow holds the password');
    assert.ok(!readFileSync(path.join(nodeRed.userDir, 'flows.json'), 'utf8').includes('s3cr'));
    assert.deepEqual(await (await fetch(`${nodeRed.url}/credentials/inflow-config/cfg1`)).json(), {
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
});
