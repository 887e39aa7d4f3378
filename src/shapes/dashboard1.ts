import type { Series } from '../client';
import { seriesKeyOf } from './series-key';
import { numberOf, numericColumns } from './thin';
import { timeNumber } from './time-order';

/** A line chart as node-red-dashboard's (Dashboard 1's) ui_chart takes it whole, in one message. */
export interface Dashboard1Chart {
  /** The lines' names, in order. */
  series: string[];
  /** Each line's points, `x` in milliseconds since 1970; `y` null for a gap. */
  data: Array<Array<{ x: number; y: number | null }>>;
  labels: string[];
}

/**
 * The series as Dashboard 1's chart: `[{ series, data, labels: [''] }]`, a line for each numeric column of
 * each series (named by its series key, by its column when there is one series, or both when there are
 * several of each), or `[]`, which clears the chart, when there is nothing to draw. Text and true/false
 * columns are not lines; a null or text cell of a line's column is a gap (`y: null`), and a row without
 * the column (a field of Flux's not written at that time) is no point of it. Times must be milliseconds (a
 * query with epoch `ms`) or RFC3339 text.
 */
export function dashboard1ChartOf(series: readonly Series[]): Dashboard1Chart[] {
  const lines = series.flatMap((one) => numericColumns(one.values).map((column) => ({ one, column })));
  if (lines.length === 0) return [];
  const severalSeries = new Set(lines.map(({ one }) => one)).size > 1;
  const severalColumns = new Set(lines.map(({ column }) => column)).size > 1;
  const chart: Dashboard1Chart = { series: [], data: [], labels: [''] };
  for (const { one, column } of lines) {
    const key = seriesKeyOf(one);
    chart.series.push(severalSeries ? (severalColumns ? `${key} ${column}` : key) : severalColumns ? column : key);
    const points: Array<{ x: number; y: number | null }> = [];
    for (const row of one.values) {
      const x = timeNumber(row.time);
      if (!Number.isFinite(x) || !Object.hasOwn(row, column)) continue;
      const y = numberOf(row[column]);
      points.push({ x, y: Number.isNaN(y) ? null : y });
    }
    chart.data.push(points);
  }
  return [chart];
}
