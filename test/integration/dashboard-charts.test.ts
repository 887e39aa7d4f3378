/**
 * inflow query wired straight into a dashboard chart, as a flow author wires it: a real Node-RED with
 * FlowFuse's Dashboard 2 and node-red-dashboard (Dashboard 1) installed beside this package, a real influxd
 * and the InfluxDB 2.x test server, inject nodes pressed through the Admin API, and the dashboards' pages in
 * Chromium. What each chart draws is read from the chart itself: Dashboard 2's ECharts option, Dashboard 1's
 * Chart.js datasets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Client } from '../../src';
import {
  DASHBOARD_1,
  DASHBOARD_2,
  dashboard1Chart,
  dashboard1Config,
  dashboard2Chart,
  dashboard2Config,
  drawnByDashboard1,
  drawnByDashboard2,
  openDashboard2,
  type Drawn,
} from '../support/dashboards';
import { launchChromium } from '../support/editor';
import { InfluxServer } from '../support/influxd';
import { NodeRedProcess } from '../support/node-red';
import { InfluxDB2Server } from '../support/servers/influxdb2';
import { waitFor } from '../support/waiting';

const TOKEN = 'chart-token';
const MINUTE = 60_000;
const DAY_POINTS = 86_400;
let influxd: InfluxServer;
let v2: InfluxDB2Server;
let nodeRed: NodeRedProcess;
let browser: Browser;
let now: number;
/** The day of 1 Hz readings: its first second and the second after its last. */
let day: { start: number; stop: number };

/** Half an hour of readings, a minute apart, from the lab and the roof, ending now. */
function readings(at: number): string[] {
  return ['lab', 'roof'].flatMap((location, l) =>
    Array.from(
      { length: 30 },
      (_, i) =>
        `weather,location=${location} temperature=${20 + l * 5 + Math.sin(i / 5)},humidity=${50 + i} ${at - (29 - i) * MINUTE}`,
    ),
  );
}

function inject(id: string, query: string, props: Array<Record<string, string>> = []): Record<string, unknown> {
  return { id, type: 'inject', z: 'tab', name: '', props, repeat: '', crontab: '', once: false, topic: '', wires: [[query]] };
}

function query(id: string, server: string, settings: Record<string, unknown>, chart: string): Record<string, unknown> {
  return { id, type: 'inflow query', z: 'tab', server, epoch: 'ms', output: 'message', wires: [[chart]], ...settings };
}

const rangeProp = (range: Record<string, unknown>): Record<string, string> => ({
  p: 'range',
  v: JSON.stringify(range),
  vt: 'json',
});

before(async () => {
  now = Math.floor(Date.now() / 1000) * 1000;
  influxd = await InfluxServer.start();
  await influxd.createDatabase('weather');
  await influxd.rawWrite('weather', readings(now).join('\n'), 'ms');
  day = { start: now - DAY_POINTS * 1000, stop: now };
  for (let second = 0; second < DAY_POINTS; second += 10_000) {
    const lines: string[] = [];
    for (let s = second; s < Math.min(second + 10_000, DAY_POINTS); s++)
      lines.push(`day value=${Math.sin(s / 3600) * 10 + (s === 50_000 ? 40 : 0)} ${day.start / 1000 + s}`);
    await influxd.rawWrite('weather', lines.join('\n'), 's');
  }
  v2 = await InfluxDB2Server.start({ token: TOKEN, org: 'home', buckets: ['weather'] });
  const writer = new Client({ url: v2.url, token: TOKEN, org: 'home', bucket: 'weather', version: 2, precision: 'ms' });
  await writer.write(readings(now));
  await writer.close();

  nodeRed = await NodeRedProcess.start({ modules: [DASHBOARD_2, DASHBOARD_1] });
  await nodeRed.deploy([
    { id: 'tab', type: 'tab', label: 'Charts' },
    { id: 'cfg1', type: 'inflow-config', dsn: influxd.dsn('weather') },
    {
      id: 'cfg2',
      type: 'inflow-config',
      dsn: v2.url,
      version: '2',
      org: 'home',
      bucket: 'weather',
      credentials: { token: TOKEN },
    },
    ...dashboard2Config(),
    ...dashboard1Config(),
    inject('one', 'q-one', [rangeProp({ start: '-1h' })]),
    inject('one-empty', 'q-one', [rangeProp({ start: '2000-01-01T00:00:00Z', stop: '2000-01-02T00:00:00Z' })]),
    query(
      'q-one',
      'cfg1',
      { query: "SELECT temperature FROM weather WHERE location = 'lab' AND time >= $start AND time < $stop", format: 'chart' },
      'c-one',
    ),
    dashboard2Chart('c-one', 'tab', 1, { y: 'temperature', label: 'one series' }),
    inject('grouped', 'q-grouped'),
    query(
      'q-grouped',
      'cfg1',
      { query: 'SELECT temperature FROM weather WHERE time > now() - 1h GROUP BY location', format: 'chart' },
      'c-grouped',
    ),
    dashboard2Chart('c-grouped', 'tab', 2, { y: 'temperature', label: 'GROUP BY location' }),
    inject('wide', 'q-wide'),
    query(
      'q-wide',
      'cfg1',
      { query: "SELECT temperature, humidity FROM weather WHERE location = 'lab' AND time > now() - 1h", format: 'chart' },
      'c-wide',
    ),
    dashboard2Chart('c-wide', 'tab', 3, { keys: ['temperature', 'humidity'], label: 'two fields' }),
    inject('flux', 'q-flux'),
    query(
      'q-flux',
      'cfg2',
      {
        language: 'flux',
        query:
          'from(bucket: "weather") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "weather") |> filter(fn: (r) => r.location == "lab")',
        format: 'chart',
      },
      'c-flux',
    ),
    dashboard2Chart('c-flux', 'tab', 4, { keys: ['temperature', 'humidity'], label: 'Flux' }),
    inject('day', 'q-day', [rangeProp({ start: day.start, stop: day.stop })]),
    query(
      'q-day',
      'cfg1',
      { query: 'SELECT value FROM day WHERE time >= $start AND time < $stop', format: 'chart', maxPoints: 300 },
      'c-day',
    ),
    dashboard2Chart('c-day', 'tab', 5, { y: 'value', label: 'a day at 1 Hz, 300 points', removeOlderUnit: '604800' }),
    inject('d1', 'q-d1'),
    query(
      'q-d1',
      'cfg1',
      { query: 'SELECT temperature FROM weather WHERE time > now() - 1h GROUP BY location', format: 'chart-dashboard1' },
      'c-d1',
    ),
    dashboard1Chart('c-d1', 'tab', 1, 'Dashboard 1'),
  ]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await nodeRed?.remove();
  await influxd?.stop();
  await v2?.stop();
});

async function press(id: string): Promise<void> {
  const response = await fetch(`${nodeRed.url}/inject/${id}`, { method: 'POST' });
  assert.equal(response.status, 200, `the inject node ${id} was pressed; Node-RED said:\n${nodeRed.output.slice(-2000)}`);
}

/** Waits until the chart draws what `wanted` says, and gives what it draws. */
async function drawn(
  read: () => Promise<Drawn[] | undefined>,
  wanted: (lines: Drawn[]) => boolean,
  what: string,
): Promise<Drawn[]> {
  let last: Drawn[] | undefined;
  try {
    await waitFor(
      async () => {
        last = await read();
        return last !== undefined && wanted(last);
      },
      what,
      20_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the chart draws ${JSON.stringify(last)}`, { cause: error });
  }
  return last ?? [];
}

const lines = (all: Drawn[]): Drawn[] => all.filter((line) => line.points > 0);

describe('inflow query wired straight into a dashboard chart, in Chromium', () => {
  let page: Page;
  /** Where the half hour of readings lies on a time axis, in milliseconds. */
  let halfHour: [number, number];

  before(async () => {
    halfHour = [now - 29 * MINUTE, now];
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await openDashboard2(page, nodeRed.url);
    await waitFor(async () => (await drawnByDashboard2(page, 'c-day')) !== undefined, 'the charts on the page', 30_000);
  });

  it('Dashboard 2, one series: one line of every point, each at its time', async () => {
    await press('one');
    const drawnLines = await drawn(
      () => drawnByDashboard2(page, 'c-one'),
      (all) => lines(all).length > 0,
      'a line',
    );
    assert.deepEqual(lines(drawnLines), [{ name: 'weather', points: 30, x: [now - 29 * MINUTE, now] }]);
  });

  it('Dashboard 2, GROUP BY location: a line per location', async () => {
    await press('grouped');
    const drawnLines = await drawn(
      () => drawnByDashboard2(page, 'c-grouped'),
      (all) => lines(all).length === 2,
      'two lines',
    );
    assert.deepEqual(lines(drawnLines), [
      { name: 'weather,location=lab', points: 30, x: halfHour },
      { name: 'weather,location=roof', points: 30, x: halfHour },
    ]);
  });

  it('Dashboard 2, two fields in one series (wide rows): a line per field', async () => {
    await press('wide');
    const drawnLines = await drawn(
      () => drawnByDashboard2(page, 'c-wide'),
      (all) => lines(all).length === 2,
      'two lines',
    );
    assert.deepEqual(lines(drawnLines), [
      { name: 'temperature', points: 30, x: halfHour },
      { name: 'humidity', points: 30, x: halfHour },
    ]);
  });

  it('Dashboard 2, Flux on InfluxDB 2.x, a table per field: a line per field', async () => {
    await press('flux');
    const drawnLines = await drawn(
      () => drawnByDashboard2(page, 'c-flux'),
      (all) => lines(all).length === 2,
      'two lines',
    );
    assert.deepEqual(lines(drawnLines), [
      { name: 'temperature', points: 30, x: halfHour },
      { name: 'humidity', points: 30, x: halfHour },
    ]);
  });

  it('Dashboard 2, an empty answer clears the chart', async () => {
    // The two presses go to one query node, whose queries may answer in either order: each press waits for the
    // chart to show its own answer before the next, so the line seen is this test's and not an earlier one's.
    await press('one-empty');
    await drawn(
      () => drawnByDashboard2(page, 'c-one'),
      (all) => lines(all).length === 0,
      'no line before the test',
    );
    await press('one');
    await drawn(
      () => drawnByDashboard2(page, 'c-one'),
      (all) => lines(all).length === 1,
      'the line',
    );
    await press('one-empty');
    const drawnLines = await drawn(
      () => drawnByDashboard2(page, 'c-one'),
      (all) => lines(all).length === 0,
      'no line',
    );
    assert.deepEqual(lines(drawnLines), []);
  });

  it('Dashboard 2, at most 300 points a series: a day at 1 Hz (86,400 rows) is one line of 300 points', async () => {
    const reader = new Client(influxd.dsn('weather'));
    const [answered] = await reader.query('SELECT count(value) FROM day WHERE time >= $start AND time < $stop', {
      range: { start: day.start, stop: day.stop },
    });
    await reader.close();
    assert.equal(answered?.values[0]?.count, DAY_POINTS);
    await press('day');
    const drawnLines = await drawn(
      () => drawnByDashboard2(page, 'c-day'),
      (all) => lines(all).length === 1,
      'a line',
    );
    assert.deepEqual(lines(drawnLines), [{ name: 'day', points: 300, x: [day.start, day.stop - 1000] }]);
    if (process.env.UPDATE_SCREENSHOT === '1') {
      for (const id of ['one', 'grouped', 'wide', 'flux']) await press(id);
      await drawn(
        () => drawnByDashboard2(page, 'c-one'),
        (all) => lines(all).length === 1,
        'the line',
      );
      await page.waitForTimeout(1500);
      // Dashboard 2's note that it works offline, which covers a chart.
      await page
        .getByRole('button', { name: 'Close' })
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await page.setViewportSize({ width: 1400, height: 1280 });
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(__dirname, '..', '..', 'docs', 'dashboard.png') });
    }
  });

  it("Dashboard 1's ui_chart takes its format whole: a line per location", async () => {
    const d1 = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await d1.goto(`${nodeRed.url}/ui/`);
    // Chart.js makes the chart once there is data to draw; its canvas is on the page before.
    await d1.waitForSelector('canvas', { timeout: 30_000 });
    await press('d1');
    let charts: Drawn[][] = [];
    await waitFor(
      async () => {
        charts = await drawnByDashboard1(d1);
        return (charts[0] ?? []).filter((line) => line.points > 0).length === 2;
      },
      'two lines',
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the chart draws ${JSON.stringify(charts)}`, { cause: error });
    });
    assert.deepEqual(charts[0], [
      { name: 'weather,location=lab', points: 30, x: halfHour },
      { name: 'weather,location=roof', points: 30, x: halfHour },
    ]);
    await d1.close();
  });
});

describe("the README's chart flow, deployed as it is but for its server's address", () => {
  it('draws a line per room of the last hour, averaged per minute, on the page the README names', async () => {
    await influxd.createDatabase('sensors');
    const climate = ['hall', 'kitchen'].flatMap((room, r) =>
      Array.from({ length: 50 }, (_, i) => `climate,room=${room} temperature=${20 + r + i / 50} ${now - (49 - i) * MINUTE}`),
    );
    await influxd.rawWrite('sensors', climate.join('\n'), 'ms');
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const block = /### 4\. Chart[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block !== undefined, 'the README has the flow');
    const flow = (JSON.parse(block) as Array<Record<string, unknown>>).map((node) =>
      node.type === 'inflow-config' ? { ...node, dsn: new URL(influxd.dsn('sensors')).origin } : node,
    );
    const runtime = await NodeRedProcess.start({ modules: [DASHBOARD_2] });
    try {
      await runtime.deploy(flow);
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await openDashboard2(page, runtime.url, '/dashboard/climate');
      const drawnLines = await drawn(
        () => drawnByDashboard2(page, 'temperature-chart'),
        (all) => lines(all).length === 2,
        'a line per room',
      );
      assert.deepEqual(
        drawnLines.map((line) => line.name),
        ['climate,room=hall', 'climate,room=kitchen'],
      );
      for (const line of drawnLines) {
        assert.ok(line.points >= 49 && line.points <= 51, `${line.name}: ${line.points} points, a minute apart`);
        assert.ok((line.x[0] ?? 0) >= now - 60 * MINUTE && (line.x[1] ?? 0) <= now, `${line.name} lies in the last hour`);
      }
      await page.close();
    } finally {
      await runtime.remove();
    }
  });
});
