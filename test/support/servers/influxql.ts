/**
 * The InfluxQL the test servers answer on their v1 `/query`: `SELECT * FROM <measurement>`, with an
 * optional WHERE of the conditions where.ts reads (bound from `params`, as 1.x binds them), in 1.x's JSON
 * shape (columns `time` first, then the rest sorted; times as RFC3339 with nanoseconds, or numbers in
 * the `epoch` unit), whole or, with `chunked=true`, as a JSON document per `chunk_size` rows, each on
 * its own line, as 1.x streams them. And `SHOW FIELD KEYS [ON <db>] [FROM [<rp>.]<measurement>]`, identifiers
 * bare or double-quoted with backslash escapes (influxql's scanner), answered as 1.x's, 2.x's and 3.x's v1 query
 * APIs answer it: a series per measurement, columns `fieldKey` and `fieldType` (float, integer, unsigned, string,
 * boolean), fields sorted; no series for a measurement without fields. Other statements answer with a parse
 * error inside a 200, as InfluxDB does. Enough to read back what was written, not an InfluxQL engine.
 */
import type { PointStore, StoredPoint } from './store';
import { matchesAll, parseWhere } from './where';

const NS_PER: Record<string, bigint> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
  u: 1000n,
  ns: 1n,
};

export interface InfluxQLRequest {
  database: string | undefined;
  query: string;
  epoch: string | null;
  params: string | null;
  /** Rows per document when the answer is chunked; undefined for one document. */
  chunkSize: number | undefined;
}

const SELECT = /^SELECT\s+\*\s+FROM\s+("?)([^"\s]+)\1(?:\s+WHERE\s+(.+))?$/i;

/** The answer's JSON documents: one, or one per chunk. */
export function answerInfluxQL(
  store: PointStore,
  request: InfluxQLRequest,
  databaseMissing: (name: string) => string,
): unknown[] {
  const text = request.query.trim().replace(/;$/, '');
  const show = SHOW_FIELD_KEYS.exec(text);
  if (show !== null) return [showFieldKeys(store, request.database, show, databaseMissing)];
  const select = SELECT.exec(text);
  if (select === null)
    return [
      {
        results: [{ statement_id: 0, error: `error parsing query: found ${text.split(/\s+/)[0] ?? ''}, expected SELECT * FROM` }],
      },
    ];
  const { database } = request;
  if (database === undefined || !store.has(database))
    return [{ results: [{ statement_id: 0, error: databaseMissing(database ?? '') }] }];
  const [, , measurement, where] = select;
  const parsed = parseWhere(where, JSON.parse(request.params ?? '{}') as Record<string, unknown>);
  if ('error' in parsed) return [{ results: [{ statement_id: 0, error: parsed.error }] }];
  const points = store.points(database, measurement).filter((point) => matchesAll(point, parsed.conditions));
  if (points.length === 0) return [{ results: [{ statement_id: 0 }] }];
  const keys = new Set<string>();
  for (const point of points) for (const key of [...Object.keys(point.tags), ...Object.keys(point.fields)]) keys.add(key);
  const columns = ['time', ...[...keys].sort()];
  const rows = points.map((point) => columns.map((name) => (name === 'time' ? timeOf(point, request.epoch) : cell(point, name))));
  const size = request.chunkSize ?? rows.length;
  const documents: unknown[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const partial = start + size < rows.length;
    const series = { name: measurement, columns, values: rows.slice(start, start + size), ...(partial ? { partial: true } : {}) };
    documents.push({ results: [{ statement_id: 0, series: [series], ...(partial ? { partial: true } : {}) }] });
  }
  return documents;
}

// An identifier: bare, or double-quoted with backslash escapes.
const IDENT = String.raw`(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\\n]|\\.)*")`;
const SHOW_FIELD_KEYS = new RegExp(
  String.raw`^SHOW\s+FIELD\s+KEYS(?:\s+ON\s+(${IDENT}))?(?:\s+FROM\s+(?:(${IDENT})\.)?(${IDENT}))?$`,
  'i',
);

/** An identifier's name: a quoted one unescaped as influxql's scanner does (\n a line break, any other escaped character itself). */
function identifier(text: string | undefined): string | undefined {
  if (text === undefined || !text.startsWith('"')) return text;
  return text.slice(1, -1).replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
}

function showFieldKeys(
  store: PointStore,
  database: string | undefined,
  [, on, , from]: RegExpExecArray,
  databaseMissing: (name: string) => string,
): unknown {
  const db = identifier(on) ?? database;
  if (db === undefined || !store.has(db)) return { results: [{ statement_id: 0, error: databaseMissing(db ?? '') }] };
  const series = [...store.fieldTypes(db, identifier(from))].map(([name, fields]) => ({
    name,
    columns: ['fieldKey', 'fieldType'],
    values: fields,
  }));
  return { results: [{ statement_id: 0, ...(series.length > 0 ? { series } : {}) }] };
}

/** The documents as the HTTP answer's body: whole, or a line each when chunked. */
export function influxqlBody(documents: unknown[], chunked: boolean): string {
  return chunked ? documents.map((document) => `${stringify(document)}\n`).join('') : stringify(documents[0]);
}

/** JSON with bigints (int64 fields beyond 2^53) written as exact numbers, as InfluxDB writes them. */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? `\u0000${item.toString()}\u0000` : item,
  ).replace(/"\\u0000(-?\d+)\\u0000"/g, '$1');
}

function cell(point: StoredPoint, column: string): unknown {
  if (column in point.fields) return point.fields[column];
  return point.tags[column] ?? null;
}

function timeOf(point: StoredPoint, epoch: string | null): unknown {
  if (epoch !== null && epoch in NS_PER) {
    const units = point.time / (NS_PER[epoch] as bigint);
    return units > BigInt(Number.MAX_SAFE_INTEGER) ? units : Number(units);
  }
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
