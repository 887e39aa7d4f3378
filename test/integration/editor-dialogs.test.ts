/**
 * The dialogs and the help of the three node types as a user first sees them, in a real Chromium on a real
 * Node-RED: a 1280x800 window, the edit tray at the width Node-RED opens it with (500 px, wider only when its
 * content asks for more: red.js, RED.tray) and the sidebar at its own 315 px (style.css, #red-ui-sidebar).
 * What each shows fits: no label, placeholder or option cut or wrapped, nothing reaching past the tray or the
 * sidebar. "inflow out" keeps the settings a first flow needs in view and folds the rest into a section that
 * opens by itself when a setting in it is not the default; pressing Done changes nothing a node does.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { optionsOf, type OutDef } from '../../src/nodes/inflow-out/settings';
import { optionsOf as queryOptionsOf, nodeShapingOf, outputOf, type QueryDef } from '../../src/nodes/inflow-query/settings';
import {
  closeDialog,
  importInflowNodes,
  openDialog,
  openEditor,
  propertiesOf,
  type Editor,
  type EditorRED,
} from '../support/editor';
import { cutWrappedOrOverflowing } from '../support/fits';

const WINDOW = { width: 1280, height: 800 };
const TRAY = '.red-ui-tray-body';
// Node-RED's own parts of the tray: its tab headers, and the code editor, which scrolls its own content.
const NODE_RED_PARTS = '.red-ui-tabs, .node-text-editor';
const ADVANCED = '#inflow-out-advanced';

let editor: Editor;
let page: Page;

before(async () => {
  editor = await openEditor(WINDOW);
  page = editor.page;
});
after(async () => {
  await editor?.close();
});
// A test that failed with a dialog open leaves the next one a clear editor.
afterEach(async () => {
  for (const cancel of ['#node-config-dialog-cancel', '#node-dialog-cancel'])
    if (await page.isVisible(cancel))
      await closeDialog(page, cancel.includes('config') ? 'inflow-config' : 'inflow out', 'Cancel');
});

/** Drags a node of the type from the palette onto the flow, as a user adds one; its id. */
async function dragFromPalette(type: string, x: number, y: number): Promise<string> {
  const before = await idsOf(type);
  const source = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await source.scrollIntoViewIfNeeded();
  await source.hover();
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 10 });
  await page.mouse.move(x + 10, y + 10, { steps: 5 });
  await page.mouse.up();
  const added = (await idsOf(type)).filter((id) => !before.includes(id));
  assert.equal(added.length, 1, `one ${type} node added from the palette`);
  return added[0] as string;
}

function idsOf(type: string): Promise<string[]> {
  return page.evaluate((type) => {
    const ids: string[] = [];
    (window as unknown as { RED: EditorRED }).RED.nodes.eachNode((node) => {
      if (node.type === type) ids.push(node.id);
    });
    return ids;
  }, type);
}

const advancedOpen = (): Promise<boolean> => page.isVisible(`${ADVANCED} .section-content`);

describe('the dialogs and the help at the editor’s default size, in Chromium', () => {
  it('inflow out, a new node: nothing in its dialog is cut, wrapped or past the tray, its section closed and open', async () => {
    const id = await dragFromPalette('inflow out', 500, 300);
    await openDialog(page, id, 'inflow out');
    assert.deepEqual(await cutWrappedOrOverflowing(page, TRAY, NODE_RED_PARTS), [], 'as it opens');
    await page.click(`${ADVANCED} .red-ui-palette-header`);
    await page.waitForSelector(`${ADVANCED} #node-input-jitter`, { state: 'visible' });
    assert.deepEqual(await cutWrappedOrOverflowing(page, TRAY, NODE_RED_PARTS), [], 'with its section open');
    await closeDialog(page, 'inflow out', 'Cancel');
  });

  it('inflow query, a new node: nothing in its dialog is cut, wrapped or past the tray', async () => {
    const id = await dragFromPalette('inflow query', 500, 400);
    await openDialog(page, id, 'inflow query');
    assert.deepEqual(await cutWrappedOrOverflowing(page, TRAY, NODE_RED_PARTS), []);
    await closeDialog(page, 'inflow query', 'Cancel');
  });

  const helps: Array<[type: string, begins: string]> = [
    ['inflow out', 'Writes msg.payload to InfluxDB'],
    ['inflow query', 'Runs a query'],
    ['inflow-config', 'An InfluxDB server'],
  ];
  for (const [type, begins] of helps) {
    it(`the help of ${type} in the sidebar: nothing in it is cut or reaches past the sidebar`, async () => {
      await page.evaluate((type) => (window as unknown as { RED: EditorRED }).RED.sidebar.help.show(type), type);
      const help = '.red-ui-sidebar-help-stack .red-ui-help';
      await page.waitForFunction(
        ({ help, begins }) => (document.querySelector(help)?.textContent ?? '').replace(/\s+/g, ' ').includes(begins),
        { help, begins },
      );
      assert.deepEqual(await cutWrappedOrOverflowing(page, help), []);
    });
  }

  it('inflow out: its section is closed for a new node, and opens for a node with any setting in it not the default', async () => {
    const id = await dragFromPalette('inflow out', 500, 500);
    await openDialog(page, id, 'inflow out');
    assert.equal(await advancedOpen(), false, 'a new node');
    await closeDialog(page, 'inflow out', 'Cancel');

    // Each setting of the section, alone, at a value other than its default; and all of them at their defaults,
    // as a flow written by hand may have them (numbers as text, an empty number).
    const set: Record<string, unknown> = {
      autocommitEvery: 50,
      flushInterval: '0',
      jitter: 200,
      maxRetries: 3,
      bufferLimit: 5000,
      spool: false,
      spoolLimit: 20,
      integerFields: 'count',
      errorOutput: true,
    };
    const defaults = {
      autocommitEvery: '1000',
      flushInterval: 1000,
      jitter: '',
      maxRetries: '',
      bufferLimit: 100000,
      spool: true,
      spoolLimit: '100',
      integerFields: '',
      errorOutput: false,
    };
    const written: Array<[string, Record<string, unknown>]> = [
      ...Object.entries(set).map(([key, value]): [string, Record<string, unknown>] => [key, { [key]: value }]),
      ['all at their defaults', defaults],
    ];
    const ids = await importInflowNodes(
      page,
      written.map(([, properties], i) => ({
        id: `adv${i}`,
        type: 'inflow out',
        measurement: 'm',
        ...properties,
        x: 200,
        y: 100 + 40 * i,
        wires: [],
      })),
    );
    const open: Record<string, boolean> = {};
    for (const [i, id] of ids.entries()) {
      await openDialog(page, id, 'inflow out', false);
      open[written[i]?.[0] ?? id] = await advancedOpen();
      await closeDialog(page, 'inflow out', 'Cancel');
    }
    assert.deepEqual(open, { ...Object.fromEntries(Object.keys(set).map((key) => [key, true])), 'all at their defaults': false });
  });

  it('Done, on nodes written with only some properties (some in the closed section), changes nothing they do', async () => {
    const out: Array<Record<string, unknown>> = [
      { measurement: 'm' },
      { measurement: 'm', tags: '{"room":"hall"}', jitter: 200, spool: false, maxRetries: 3 },
      { payloadFormat: 'lineProtocol', autocommitEvery: '1000', spool: true, errorOutput: false },
    ];
    const query: Array<Record<string, unknown>> = [
      { query: 'SELECT 1' },
      { query: 'SELECT 1', epoch: '', output: 'parts', maxAnswerMb: 8, errorOutput: true },
    ];
    const ids = await importInflowNodes(page, [
      { id: 'cfgDone', type: 'inflow-config', dsn: 'http://127.0.0.1:8086/db' },
      ...out.map((properties, i) => ({
        id: `outDone${i}`,
        type: 'inflow out',
        server: 'cfgDone',
        ...properties,
        x: 600,
        y: 100 + 40 * i,
        wires: [],
      })),
      ...query.map((properties, i) => ({
        id: `queryDone${i}`,
        type: 'inflow query',
        server: 'cfgDone',
        ...properties,
        x: 800,
        y: 100 + 40 * i,
        wires: [[]],
      })),
    ]);
    const nodes = (await propertiesOf(page, ids))
      .map((node, i) => ({ ...node, id: ids[i] as string }))
      .filter((node) => node.type !== 'inflow-config');
    assert.equal(nodes.length, out.length + query.length);
    /** What the runtime does with a node's properties (it reads no `outputs`: that is the ports the editor draws). */
    const whatItDoes = (type: string, properties: Record<string, unknown>): unknown => {
      const def = { id: 'n', z: 't', name: '', ...properties, type };
      if (type === 'inflow out') return optionsOf(def as OutDef, 'ms');
      const shaping = nodeShapingOf(def as QueryDef);
      return {
        shaping,
        options: 'format' in shaping ? queryOptionsOf({}, def as QueryDef, shaping) : undefined,
        output: outputOf(def as QueryDef),
        raw: properties.raw === true,
        errorOutput: properties.errorOutput === true,
      };
    };
    const before = nodes.map((node) => whatItDoes(node.type, node.properties));
    for (const node of nodes) {
      await openDialog(page, node.id, node.type, false);
      await closeDialog(page, node.type, 'Done');
    }
    const after = await propertiesOf(
      page,
      nodes.map((node) => node.id),
    );
    assert.deepEqual(
      after.map((node) => node.valid),
      nodes.map(() => true),
    );
    assert.deepEqual(
      after.map((node) => whatItDoes(node.type, node.properties)),
      before,
    );
    // Every property they were written with, as it was.
    const kept = (node: { properties: Record<string, unknown> }, written: Record<string, unknown>): Record<string, string> =>
      Object.fromEntries(Object.keys(written).map((key) => [key, String(node.properties[key])]));
    assert.deepEqual(
      after.map((node, i) => kept(node, [...out, ...query][i] as Record<string, unknown>)),
      [...out, ...query].map((written) =>
        Object.fromEntries(Object.entries(written).map(([key, value]) => [key, String(value)])),
      ),
    );
  });
});
