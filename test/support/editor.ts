/**
 * The Node-RED editor in a real Chromium (playwright-core), for tests that drive it as a user does.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

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

/** Opens the editor at `url` in a new page and waits until it shows a flow and knows this package's nodes. */
export async function openEditor(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await editorReady(page);
  return page;
}

/** Waits, after a load or a reload, until the editor shows a flow and knows this package's nodes. */
export async function editorReady(page: Page): Promise<void> {
  // The test's functions run in the page as the TypeScript loader compiled them: give them its naming helper.
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
