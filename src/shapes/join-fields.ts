import type { Row, Series } from '../client';
import { timeKey } from './time-order';

/**
 * Flux answers a table per field (`_field` in the group key, the value in `_value`); InfluxQL and SQL a row
 * per time with every field selected. This joins Flux's field tables of one measurement and tag set into
 * one series whose rows hold each field under its name, a row per time (and per value of any other
 * column the rows carry), as `pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`
 * would on the server. A set of tables that cannot be joined without losing a value (two values of one
 * field for one row, or a field named like another column) is left as it is, a row per table row with
 * `_field` among its tags. Other series are left as they are.
 */
export function joinFieldTables(series: readonly Series[]): Series[] {
  type Group = { series: Series; tables: Series[] };
  const out: Array<Series | Group> = [];
  const groups = new Map<string, Group>();
  for (const one of series) {
    const field = one.tags?._field;
    if (field === undefined || !one.values.every((row) => Object.hasOwn(row, '_value'))) {
      out.push(one);
      continue;
    }
    // fromEntries defines each tag as the row's own, a tag named __proto__ too.
    const tags: Record<string, string> = Object.fromEntries(
      Object.entries(one.tags ?? {})
        .filter(([key]) => key !== '_field')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const groupKey = JSON.stringify([one.name, Object.entries(tags)]);
    let group = groups.get(groupKey);
    if (group === undefined) {
      const joined: Series = Object.keys(tags).length > 0 ? { name: one.name, tags, values: [] } : { name: one.name, values: [] };
      group = { series: joined, tables: [] };
      groups.set(groupKey, group);
      out.push(group);
    }
    group.tables.push(one);
  }
  return out.flatMap((entry) => ('tables' in entry ? (joinGroup(entry.series, entry.tables) ?? entry.tables) : [entry]));
}

/** The tables of one measurement and tag set joined into `into`, or undefined when a value would be lost. */
function joinGroup(into: Series, tables: readonly Series[]): Series | undefined {
  const rows = new Map<string, Row>();
  let ordered = true;
  for (const table of tables) {
    const field = table.tags?._field as string;
    for (const row of table.values) {
      const others = Object.entries(row).filter(([column]) => column !== 'time' && column !== '_value');
      const at = JSON.stringify([String(row.time), typeof row.time, others.map(([column, value]) => [column, String(value)])]);
      let target = rows.get(at);
      if (target === undefined) {
        target = { time: row.time ?? null };
        for (const [column, value] of others) define(target, column, value);
        const last = into.values.at(-1);
        if (last !== undefined && !(timeKey(last.time) <= timeKey(row.time))) ordered = false;
        rows.set(at, target);
        into.values.push(target);
      }
      if (Object.hasOwn(target, field)) {
        into.values.length = 0;
        return undefined;
      }
      define(target, field, row._value ?? null);
    }
  }
  if (!ordered)
    into.values.sort((a, b) => {
      const left = timeKey(a.time);
      const right = timeKey(b.time);
      return left < right ? -1 : left > right ? 1 : 0;
    });
  return into;
}

function define(row: Row, key: string, value: Row[string]): void {
  Object.defineProperty(row, key, { value, enumerable: true, writable: true, configurable: true });
}
