import type { Row, Series } from '../client';
import { putUnique } from './row-keys';
import { timeKey } from './time-order';

/**
 * Flux answers a table per field (`_field` in the group key, the value in `_value`); InfluxQL and SQL a row
 * per time with every field selected. This joins Flux's field tables of one measurement and tag set into
 * one series whose rows hold each field under its name, by time, as `pivot(rowKey: ["_time"], columnKey:
 * ["_field"], valueColumn: "_value")` would on the server. Other series are left as they are.
 */
export function joinFieldTables(series: readonly Series[]): Series[] {
  const out: Series[] = [];
  const joined = new Map<string, { series: Series; rows: Map<string, Row>; ordered: boolean }>();
  for (const one of series) {
    const field = one.tags?._field;
    if (field === undefined || field === 'time' || !one.values.every((row) => Object.hasOwn(row, '_value'))) {
      out.push(one);
      continue;
    }
    // fromEntries defines each tag as the row's own, a tag named __proto__ too.
    const tags: Record<string, string> = Object.fromEntries(
      Object.entries(one.tags ?? {})
        .filter(([key]) => key !== '_field')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const groupKey = JSON.stringify([one.name, tags]);
    let group = joined.get(groupKey);
    if (group === undefined) {
      const target: Series = Object.keys(tags).length > 0 ? { name: one.name, tags, values: [] } : { name: one.name, values: [] };
      group = { series: target, rows: new Map(), ordered: true };
      joined.set(groupKey, group);
      out.push(target);
    }
    for (const row of one.values) {
      const at = String(row.time);
      let target = group.rows.get(at);
      if (target === undefined) {
        target = { time: row.time ?? null };
        const last = group.series.values.at(-1);
        if (last !== undefined && !(timeKey(last.time) <= timeKey(row.time))) group.ordered = false;
        group.rows.set(at, target);
        group.series.values.push(target);
      }
      for (const [column, value] of Object.entries(row)) {
        if (column !== 'time' && column !== '_value' && !Object.hasOwn(target, column)) putUnique(target, column, value);
      }
      putUnique(target, field, row._value ?? null);
    }
  }
  for (const group of joined.values()) {
    if (!group.ordered)
      group.series.values.sort((a, b) => {
        const left = timeKey(a.time);
        const right = timeKey(b.time);
        return left < right ? -1 : left > right ? 1 : 0;
      });
  }
  return out;
}
