/**
 * The SQL the InfluxDB 3 test server answers on `/api/v3/query_sql` (POST JSON `{ db, q, format, params }`
 * or GET with the same parameters): `SELECT * FROM <table>`, with an optional WHERE of the conditions
 * where.ts reads and `ORDER BY time`, in the formats `json` (an array of row objects) and `jsonl` (one per
 * line), as 3.x's record_batch_stream_to_body writes them with arrow's JSON writer: nulls left out, times
 * as UTC text without a zone ("2024-03-01T12:00:00.123"), integers as plain numbers. Errors as 3.x answers
 * them: a missing database 404 `{"error": "query error: database not found: x"}`, planning errors 400 text.
 */
import { json, type Answer } from './http';
import { stringify } from './influxql';
import type { PointStore } from './store';
import { matchesAll, parseWhere } from './where';

const SELECT = /^SELECT\s+\*\s+FROM\s+("?)([^"\s]+)\1(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+time(?:\s+ASC)?)?$/i;

export function answerSql(store: PointStore, body: string | undefined, query: URLSearchParams): Answer {
  let request: { db?: unknown; q?: unknown; format?: unknown; params?: unknown };
  try {
    request =
      body === undefined
        ? {
            db: query.get('db'),
            q: query.get('q'),
            format: query.get('format'),
            params: query.get('params') ? JSON.parse(query.get('params') as string) : undefined,
          }
        : (JSON.parse(body) as typeof request);
  } catch (error) {
    return { status: 400, body: `serde json error: ${String(error)}` };
  }
  if (typeof request.db !== 'string' || typeof request.q !== 'string')
    return { status: 400, body: "missing query parameters 'db' and 'q'" };
  if (!store.has(request.db)) return json(404, { error: `query error: database not found: ${request.db}`, data: null });
  const select = SELECT.exec(request.q.trim().replace(/;$/, ''));
  if (select === null)
    return {
      status: 400,
      body: `Error during planning: this test server answers SELECT * FROM <table> [WHERE <column> = <value>] only`,
    };
  const [, , table, where] = select;
  const points = store.points(request.db, table);
  if (points.length === 0) return { status: 400, body: `Error during planning: table 'public.iox.${table}' not found` };
  const parsed = parseWhere(where, (request.params ?? {}) as Record<string, unknown>);
  if ('error' in parsed)
    return {
      status: 400,
      body:
        parsed.missing === undefined
          ? `Error during planning: ${parsed.error}`
          : `Error during planning: No value found for placeholder with name $${parsed.missing}`,
    };
  const rows = points
    .filter((point) => matchesAll(point, parsed.conditions))
    .map((point) => {
      const row: Record<string, unknown> = {};
      for (const key of [...Object.keys(point.tags), ...Object.keys(point.fields)].sort())
        row[key] = point.tags[key] ?? point.fields[key];
      row.time = sqlTime(point.time);
      return row;
    });
  const format = typeof request.format === 'string' ? request.format : 'json';
  if (format === 'jsonl')
    return {
      status: 200,
      headers: { 'content-type': 'application/jsonl' },
      body: rows.map((row) => `${stringify(row)}\n`).join(''),
    };
  if (format === 'json') return { status: 200, headers: { 'content-type': 'application/json' }, body: stringify(rows) };
  return { status: 400, body: `serde error: unknown variant \`${format}\`` };
}

/** A nanosecond time as arrow writes a zone-less timestamp: fractions in 3, 6 or 9 digits, as many as needed. */
function sqlTime(ns: bigint): string {
  const seconds = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  const fraction = ns % 1_000_000_000n;
  if (fraction === 0n) return seconds;
  const digits = fraction.toString().padStart(9, '0');
  return `${seconds}.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
}
