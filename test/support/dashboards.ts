/**
 * The dashboards Node-RED users chart with, for tests in Chromium: FlowFuse's Dashboard 2
 * (@flowfuse/node-red-dashboard, its ui-chart drawn by ECharts) and node-red-dashboard (Dashboard 1, its
 * ui_chart drawn by Chart.js), their config nodes, and what each chart on a page draws, read from the
 * chart itself.
 */
import type { Page } from 'playwright-core';

export const DASHBOARD_2 = '@flowfuse/node-red-dashboard';
export const DASHBOARD_1 = 'node-red-dashboard';

/** What a chart draws: each line's name, its number of points, and where its first and last points are on the X axis. */
export interface Drawn {
  name: string;
  points: number;
  /** The X of its first and last points: milliseconds since 1970 on a time axis. */
  x: [number, number] | [];
}

/** Dashboard 2's base, theme, page (at /dashboard/charts) and group, for ui-chart nodes in group `d2group`. */
export function dashboard2Config(): unknown[] {
  return [
    {
      id: 'd2base',
      type: 'ui-base',
      name: 'Dashboard',
      path: '/dashboard',
      includeClientData: true,
      acceptsClientConfig: ['ui-notification', 'ui-control'],
      showPathInSidebar: false,
      navigationStyle: 'default',
      titleBarStyle: 'default',
    },
    {
      id: 'd2theme',
      type: 'ui-theme',
      name: 'Default',
      colors: { surface: '#ffffff', primary: '#0094CE', bgPage: '#eeeeee', groupBg: '#ffffff', groupOutline: '#cccccc' },
      sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '4px', widgetGap: '12px' },
    },
    {
      id: 'd2page',
      type: 'ui-page',
      name: 'Charts',
      ui: 'd2base',
      path: '/charts',
      icon: 'home',
      layout: 'grid',
      theme: 'd2theme',
      order: 1,
      className: '',
      visible: true,
      disabled: false,
    },
    {
      id: 'd2group',
      type: 'ui-group',
      name: 'Weather',
      page: 'd2page',
      width: 12,
      height: 1,
      order: 1,
      showTitle: true,
      className: '',
      visible: true,
      disabled: false,
      groupType: 'default',
    },
  ];
}

/**
 * A Dashboard 2 line chart as its dialog makes it, with the settings the help of inflow query gives: X
 * `time` and series `series` as keys, Y `y` as a key (or, with `keys`, the series as that JSON list).
 */
export function dashboard2Chart(
  id: string,
  z: string,
  order: number,
  settings: { y?: string; keys?: string[]; label: string; removeOlderUnit?: string },
): Record<string, unknown> {
  return {
    id,
    type: 'ui-chart',
    z,
    group: 'd2group',
    name: '',
    label: settings.label,
    order,
    chartType: 'line',
    category: settings.keys === undefined ? 'series' : JSON.stringify(settings.keys),
    categoryType: settings.keys === undefined ? 'property' : 'json',
    xAxisLabel: '',
    xAxisProperty: 'time',
    xAxisPropertyType: 'property',
    xAxisType: 'time',
    xAxisFormat: '',
    xAxisFormatType: 'auto',
    xmin: '',
    xmax: '',
    yAxisLabel: '',
    yAxisProperty: settings.y ?? '',
    yAxisPropertyType: 'property',
    ymin: '',
    ymax: '',
    bins: 10,
    action: 'append',
    stackSeries: false,
    pointShape: 'circle',
    pointRadius: 4,
    showLegend: true,
    removeOlder: 1,
    removeOlderUnit: settings.removeOlderUnit ?? '3600',
    removeOlderPoints: '',
    colors: ['#0095FF', '#FF0000', '#FF7F0E', '#2CA02C', '#A347E1', '#D62728', '#FF9896', '#9467BD', '#C5B0D5'],
    textColor: ['#666666'],
    textColorDefault: true,
    gridColor: ['#e5e5e5'],
    gridColorDefault: true,
    width: 6,
    height: 6,
    className: '',
    interpolation: 'linear',
    wires: [[]],
  };
}

/**
 * Opens a page of Dashboard 2 (the tests' own by default). Its charts register themselves on `window.uiCharts` when the page runs under
 * Cypress (Dashboard 2's own test hook), which a script run before the page's says it does.
 */
export async function openDashboard2(page: Page, url: string, at = '/dashboard/charts'): Promise<void> {
  await page.addInitScript(() => {
    (window as unknown as { Cypress: object }).Cypress = {};
  });
  await page.goto(`${url}${at}`);
}

/** What a Dashboard 2 chart draws now, from its ECharts option; undefined until the chart is on the page. */
export function drawnByDashboard2(page: Page, chartId: string): Promise<Drawn[] | undefined> {
  return page.evaluate((id) => {
    const charts = (window as unknown as { uiCharts?: Record<string, { chart: { getOption(): unknown } }> }).uiCharts;
    const chart = charts?.[id];
    if (chart === undefined) return undefined;
    const option = chart.chart.getOption() as { series?: Array<{ name?: string; data?: unknown[] }> };
    return (option.series ?? []).map((series) => {
      const data = series.data ?? [];
      // A point is [x, y], { value: [x, y] } or { x, y }, as the chart was given it. (No named function in
      // here: the page has not the helper the test's compiler would wrap it in.)
      const ends = data.length === 0 ? [] : [data[0], data[data.length - 1]];
      const x = ends.map((point) => {
        if (Array.isArray(point)) return Number(point[0]);
        const { value, x } = point as { value?: unknown[]; x?: unknown };
        return Number(Array.isArray(value) ? value[0] : x);
      }) as [number, number] | [];
      return { name: String(series.name ?? ''), points: data.length, x };
    });
  }, chartId);
}

/** Dashboard 1's tab and group, for ui_chart nodes in group `d1group`. */
export function dashboard1Config(): unknown[] {
  return [
    { id: 'd1tab', type: 'ui_tab', name: 'Home', icon: 'dashboard', order: 1, disabled: false, hidden: false },
    { id: 'd1group', type: 'ui_group', name: 'Weather', tab: 'd1tab', order: 1, disp: true, width: '12', collapse: false },
  ];
}

/** A Dashboard 1 line chart as its dialog makes it. */
export function dashboard1Chart(id: string, z: string, order: number, label: string): Record<string, unknown> {
  return {
    id,
    type: 'ui_chart',
    z,
    name: '',
    group: 'd1group',
    order,
    width: 12,
    height: 6,
    label,
    chartType: 'line',
    legend: 'true',
    xformat: 'HH:mm:ss',
    interpolate: 'linear',
    nodata: '',
    dot: false,
    ymin: '',
    ymax: '',
    removeOlder: 1,
    removeOlderPoints: '',
    removeOlderUnit: '3600',
    cutout: 0,
    useOneColor: false,
    useUTC: false,
    colors: ['#1f77b4', '#aec7e8', '#ff7f0e', '#2ca02c', '#98df8a', '#d62728', '#ff9896', '#9467bd', '#c5b0d5'],
    outputs: 1,
    useDifferentColor: false,
    wires: [[]],
  };
}

/** What each Dashboard 1 chart on its page draws now, from Chart.js's own list of charts, by the chart's title. */
export function drawnByDashboard1(page: Page): Promise<Drawn[][]> {
  return page.evaluate(() => {
    type ChartJs = { data: { datasets: Array<{ label?: string; data?: unknown[] }> } };
    const registry = (window as unknown as { Chart?: { instances?: Record<string, ChartJs> } }).Chart?.instances ?? {};
    return Object.values(registry).map((chart) =>
      chart.data.datasets.map((dataset) => {
        const data = (dataset.data ?? []) as Array<{ x: unknown }>;
        const x: [number, number] | [] = data.length === 0 ? [] : [Number(data[0]?.x), Number(data[data.length - 1]?.x)];
        return { name: String(dataset.label ?? ''), points: data.length, x };
      }),
    );
  });
}
