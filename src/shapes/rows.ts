import type { Row, Series } from '../client';
import { putUnique } from './row-keys';
import { seriesKeyOf } from './series-key';

/**
 * Every series' rows in one flat list, in order, each `{ time, ...tags, ...columns, series }`: the series'
 * tags beside its columns, and `series` naming the series it came from (its series key, as seriesKeyOf
 * writes it). A tag or column whose name the row has already is put under `name_1` (see putUnique).
 */
export function rowsOf(series: readonly Series[]): Row[] {
  const out: Row[] = [];
  for (const one of series) {
    const key = seriesKeyOf(one);
    const tags = Object.entries(one.tags ?? {});
    for (const row of one.values) {
      const flat: Row = {};
      if (Object.hasOwn(row, 'time')) flat.time = row.time ?? null;
      for (const [tag, value] of tags) putUnique(flat, tag, value);
      for (const [column, value] of Object.entries(row)) if (column !== 'time') putUnique(flat, column, value);
      putUnique(flat, 'series', key);
      out.push(flat);
    }
  }
  return out;
}
