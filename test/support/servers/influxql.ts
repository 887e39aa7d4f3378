/**
 * The InfluxQL the test servers answer on their v1 `/query`: `SELECT * FROM <measurement>` (and
 * `SHOW DATABASES`), in 1.x's JSON shape (columns `time` first, then the rest sorted; times as RFC3339
 * with nanoseconds, or numbers in the `epoch` unit). Other statements answer with a parse error inside
 * a 200, as InfluxDB does. Enough to read back what was written, not an InfluxQL engine.
 */
import type { PointStore, StoredPoint } from './store';

const NS_PER: Record<string, bigint> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
  u: 1000n,
  ns: 1n,
};

export function answerInfluxQL(
  store: PointStore,
  database: string | undefined,
  query: string,
  epoch: string | null,
  databaseMissing: (name: string) => string,
): unknown {
  const text = query.trim().replace(/;$/, '');
  const select = /^SELECT\s+\*\s+FROM\s+("?)([^"\s]+)\1$/i.exec(text);
  if (select === null)
    return {
      results: [{ statement_id: 0, error: `error parsing query: found ${text.split(/\s+/)[0] ?? ''}, expected SELECT * FROM` }],
    };
  if (database === undefined || !store.has(database)) {
    return { results: [{ statement_id: 0, error: databaseMissing(database ?? '') }] };
  }
  const points = store.points(database, select[2]);
  if (points.length === 0) return { results: [{ statement_id: 0 }] };
  const keys = new Set<string>();
  for (const point of points) for (const key of [...Object.keys(point.tags), ...Object.keys(point.fields)]) keys.add(key);
  const columns = ['time', ...[...keys].sort()];
  const values = points.map((point) => columns.map((column) => (column === 'time' ? timeOf(point, epoch) : cell(point, column))));
  return { results: [{ statement_id: 0, series: [{ name: select[2], columns, values }] }] };
}

function cell(point: StoredPoint, column: string): unknown {
  if (column in point.fields) {
    const value = point.fields[column];
    return typeof value === 'bigint' ? Number(value) : value;
  }
  return point.tags[column] ?? null;
}

function timeOf(point: StoredPoint, epoch: string | null): unknown {
  if (epoch !== null && epoch in NS_PER) return Number(point.time / (NS_PER[epoch] as bigint));
  return rfc3339(point.time);
}

/** RFC3339 with nanoseconds, trailing zeros cut, as InfluxDB writes times. */
export function rfc3339(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const rest = ns % 1_000_000_000n;
  const seconds = new Date(Number(ms)).toISOString().slice(0, 19);
  const fraction = rest === 0n ? '' : `.${rest.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${seconds}${fraction}Z`;
}
