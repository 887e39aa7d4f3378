/**
 * The Node-RED editor in a real Chromium: a Node-RED runtime with this package installed, and a page on its
 * editor, loaded until the package's node types are registered and a flow tab is open.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { NodeRedProcess } from './node-red';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface Editor {
  nodeRed: NodeRedProcess;
  browser: Browser;
  page: Page;
  /** Closes the browser and stops and removes the runtime. */
  close(): Promise<void>;
}

/** The parts of the editor's RED the tests call. */
export interface EditorRED {
  view: { importNodes(nodes: unknown[], options?: Record<string, unknown>): void };
  workspaces: { active(): string; show(id: string): void };
  editor: { edit(node: unknown): void; editConfig(a: string, type: string, id: string): void };
  nodes: {
    node(id: string): unknown;
    eachNode(each: (node: { id: string; type: string }) => void): void;
    eachConfig(each: (node: { id: string; type: string }) => void): void;
  };
  sidebar: { help: { show(type: string): void } };
}

/** Starts Chromium; fails, saying how to get it, when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is needed at ${CHROMIUM} for the editor tests: apt-get install chromium (npm test does so as root), or set CHROMIUM`,
    );
  }
  return chromium.launch({
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
}

/** Opens the editor at `url` in a new page of the given size, and waits until it is ready. */
export async function openEditorPage(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number } = { width: 1400, height: 900 },
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(url);
  await waitForEditor(page);
  return page;
}

/** Starts Node-RED and opens its editor in Chromium, in a window of the given size. Chromium missing is an error. */
export async function openEditor(viewport: { width: number; height: number }): Promise<Editor> {
  const browser = await launchChromium();
  let nodeRed: NodeRedProcess | undefined;
  try {
    nodeRed = await NodeRedProcess.start();
    const page = await openEditorPage(browser, nodeRed.url, viewport);
    const started = nodeRed;
    return {
      nodeRed: started,
      browser,
      page,
      close: async () => {
        await browser.close();
        await started.remove();
      },
    };
  } catch (error) {
    await browser.close();
    await nodeRed?.remove();
    throw error;
  }
}

/** Waits until the editor (loaded or reloaded) has registered this package's node types and shows a flow tab. */
export async function waitForEditor(page: Page): Promise<void> {
  // The tests' functions run in the page as the TypeScript loader compiled them: give them its naming helper.
  await page.evaluate('window.__name = (target) => target');
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
}

/** Imports nodes with new ids; the ids of the imported nodes of this package's types, config nodes included. */
export function importInflowNodes(page: Page, nodes: unknown[]): Promise<string[]> {
  return page.evaluate((nodes) => {
    const RED = (window as unknown as { RED: EditorRED }).RED;
    const before = new Set<string>();
    RED.nodes.eachNode((node) => void before.add(node.id));
    RED.nodes.eachConfig((node) => void before.add(node.id));
    RED.view.importNodes(nodes, { generateIds: true, addFlow: false });
    const added: string[] = [];
    const take = (node: { id: string; type: string }): void => {
      if (!before.has(node.id) && /^inflow/.test(node.type)) added.push(node.id);
    };
    RED.nodes.eachNode(take);
    RED.nodes.eachConfig(take);
    return added;
  }, nodes);
}

export interface NodeInEditor {
  type: string;
  valid: boolean;
  /** The properties its type defines, as the editor holds them. */
  properties: Record<string, unknown>;
}

/** Each node's properties (those its type defines) and whether the editor finds it valid. */
export function propertiesOf(page: Page, ids: string[]): Promise<NodeInEditor[]> {
  return page.evaluate((ids) => {
    const RED = (window as unknown as { RED: EditorRED }).RED;
    return ids.map((id) => {
      const node = RED.nodes.node(id) as Record<string, unknown> & {
        type: string;
        valid: boolean;
        _def: { defaults: Record<string, unknown> };
      };
      const properties: Record<string, unknown> = {};
      for (const key of Object.keys(node._def.defaults)) properties[key] = node[key];
      return { type: node.type, valid: node.valid, properties };
    });
  }, ids);
}

/**
 * Opens a node's dialog, as a double click does, and waits until it shows; with `settled`, also until the
 * tray has slid in and its fields have their widths (for measuring them).
 */
export async function openDialog(page: Page, id: string, type: string, settled = true): Promise<void> {
  const config = type === 'inflow-config';
  await page.evaluate(
    ({ id, type, config }) => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      if (config) RED.editor.editConfig('', type, id);
      else RED.editor.edit(RED.nodes.node(id));
    },
    { id, type, config },
  );
  await page.waitForSelector(config ? '#node-config-dialog-ok' : '#node-dialog-ok', { state: 'visible' });
  if (settled) await page.waitForTimeout(400);
}

/** Opens a node's dialog, as a double click does, and presses Done. */
export async function openAndDone(page: Page, id: string, type: string): Promise<void> {
  await openDialog(page, id, type, false);
  await closeDialog(page, type, 'Done');
}

/** Closes the open dialog of a node of this type with Done or Cancel. */
export async function closeDialog(page: Page, type: string, button: 'Done' | 'Cancel'): Promise<void> {
  const config = type === 'inflow-config';
  const selector = `#node${config ? '-config' : ''}-dialog-${button === 'Done' ? 'ok' : 'cancel'}`;
  // A press that lands while the tray is still sliding open can go unheeded, as it would for a person,
  // who then presses again: up to three presses, each given 5 s for the dialog to close.
  for (let press = 1; ; press++) {
    try {
      await page.click(selector, { timeout: 5000 });
      await page.waitForSelector(selector, { state: 'detached', timeout: 5000 });
      return;
    } catch (error) {
      if ((await page.$(selector)) === null) return;
      if (press === 3) throw error;
    }
  }
}
