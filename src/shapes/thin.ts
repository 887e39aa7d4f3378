import type { Row, Series } from '../client';
import { timeNumber } from './time-order';

/**
 * At most `maxPoints` rows of a series, chosen by largest-triangle-three-buckets (Steinarsson, 2013): the
 * first and the last row, and from each bucket between them the row that makes the largest triangle with
 * the row chosen before it and the mean of the next bucket, so that peaks and dips stay. Rows holding
 * several numeric columns are chosen by the sum of their triangles, each column scaled by its own range,
 * so that no column's shape is lost to another's larger numbers. Rows are kept whole, never averaged.
 */
export function thinRows(rows: readonly Row[], maxPoints: number): Row[] {
  const count = rows.length;
  if (count <= maxPoints) return [...rows];
  if (maxPoints < 3) return maxPoints < 2 ? rows.slice(0, maxPoints) : [rows[0] as Row, rows[count - 1] as Row];
  const xs = rows.map((row, index) => {
    const x = timeNumber(row.time);
    return Number.isFinite(x) ? x : index;
  });
  const columns = numericColumns(rows).map((name) => {
    const ys = rows.map((row) => numberOf(row[name]));
    let low = Infinity;
    let high = -Infinity;
    for (const y of ys) {
      if (y < low) low = y;
      if (y > high) high = y;
    }
    return { ys, range: high - low };
  });
  const scaled = columns.filter((column) => column.range > 0 && Number.isFinite(column.range));
  const kept: Row[] = [rows[0] as Row];
  const every = (count - 2) / (maxPoints - 2);
  // Each column's corner of the triangle: the last chosen row that has a number in it, so that a gap (a
  // row of nulls chosen for a bucket) does not leave the next bucket's choice to chance.
  const anchors = scaled.map(({ ys }) => {
    const first = ys.findIndex((y) => !Number.isNaN(y));
    return { x: xs[first] as number, y: ys[first] as number };
  });
  for (let bucket = 0; bucket < maxPoints - 2; bucket++) {
    const nextStart = Math.floor((bucket + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((bucket + 2) * every) + 1, count);
    let meanX = 0;
    for (let i = nextStart; i < nextEnd; i++) meanX += xs[i] as number;
    meanX /= Math.max(nextEnd - nextStart, 1);
    const meanYs = scaled.map(({ ys }) => {
      let sum = 0;
      let seen = 0;
      for (let i = nextStart; i < nextEnd; i++) {
        const y = ys[i] as number;
        if (!Number.isNaN(y)) {
          sum += y;
          seen++;
        }
      }
      return seen === 0 ? Number.NaN : sum / seen;
    });
    const start = Math.floor(bucket * every) + 1;
    const end = Math.floor((bucket + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const cx = xs[i] as number;
      let area = 0;
      scaled.forEach(({ ys, range }, c) => {
        const { x: ax, y: ay } = anchors[c] as { x: number; y: number };
        const cy = ys[i] as number;
        const my = meanYs[c] as number;
        if (Number.isNaN(ay) || Number.isNaN(cy) || Number.isNaN(my)) return;
        area += Math.abs((ax - meanX) * (cy - ay) - (ax - cx) * (my - ay)) / range;
      });
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    kept.push(rows[best] as Row);
    scaled.forEach(({ ys }, c) => {
      const y = ys[best] as number;
      if (!Number.isNaN(y)) anchors[c] = { x: xs[best] as number, y };
    });
  }
  kept.push(rows[count - 1] as Row);
  return kept;
}

/** Each series with at most `maxPoints` rows (see thinRows). */
export function thinSeries(series: readonly Series[], maxPoints: number): Series[] {
  return series.map((one) => (one.values.length <= maxPoints ? one : { ...one, values: thinRows(one.values, maxPoints) }));
}

/** The columns (but `time`) holding a number or a bigint in some row, in the order they first appear. */
export function numericColumns(rows: readonly Row[]): string[] {
  const names = new Set<string>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row))
      if (name !== 'time' && (typeof value === 'number' || typeof value === 'bigint')) names.add(name);
  }
  return [...names];
}

/** A cell as a number for a chart: a number as it is, a bigint as the nearest number, anything else NaN. */
export function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number.NaN;
}
