/**
 * The Flux the 2.x test server answers on `/api/v2/query`: `from(bucket: "b") |> range(start: ...)`,
 * optionally `|> filter(fn: (r) => r._measurement == "m")`, as annotated CSV the way InfluxDB 2.x
 * writes it (its flux/csv encoder): a table per series and field, `#datatype`, `#group` and
 * `#default` rows, a header row with `result` and `table` first, tables of another schema after an
 * empty line. Enough for the official client to read back what was written.
 */
import { parseRfc3339 } from '../../../src/core';
import { rfc3339 } from './influxql';
import type { StoredValue } from './line-protocol';
import type { PointStore, StoredPoint } from './store';

export type FluxAnswer = { csv: string } | { error: string; code: 'invalid' | 'not found' };

const TIME_ARGUMENT = String.raw`time\(\s*v\s*:\s*params\.\w+\s*\)|[^,)]+`;
const FROM = new RegExp(
  String.raw`from\(\s*bucket\s*:\s*"([^"]+)"\s*\)\s*\|>\s*range\(\s*start\s*:\s*(${TIME_ARGUMENT})\s*(?:,\s*stop\s*:\s*(${TIME_ARGUMENT}))?\s*\)`,
);
const FILTER = /\|>\s*filter\(\s*fn\s*:\s*\(r\)\s*=>\s*r\.(\w+)\s*==\s*(?:"([^"]*)"|params\.(\w+))\s*\)/g;

export function answerFlux(
  store: PointStore,
  query: string,
  params: Record<string, unknown> | undefined,
  bucketExists: (bucket: string) => boolean,
): FluxAnswer {
  const from = FROM.exec(query);
  if (from === null) {
    return {
      code: 'invalid',
      error:
        'error @1:1-1:5: this test server answers from(bucket:) |> range(start:) [|> filter(r.<column> == "<text>" | params.<name>)] only',
    };
  }
  if (params === undefined && /\bparams\./.test(query))
    return { code: 'invalid', error: 'error @1:1-1:7: undefined identifier params' };
  const bound = params ?? {};
  const bucket = from[1] as string;
  if (!bucketExists(bucket))
    return { code: 'not found', error: `failed to initialize execute state: could not find bucket "${bucket}"` };
  const filters: Array<[string, unknown]> = [];
  for (const match of query.matchAll(FILTER)) {
    const [, column, literal, param] = match;
    if (param !== undefined && !(param in bound))
      return { code: 'invalid', error: `error @1:1-1:1: record is missing label ${param}` };
    filters.push([column as string, param === undefined ? literal : bound[param]]);
  }
  const measurement = filters.find(([column]) => column === '_measurement')?.[1] as string | undefined;
  let start: bigint;
  let stop: bigint;
  try {
    start = timeArgument(from[2] as string, bound);
    stop = from[3] === undefined ? BigInt(Date.now()) * 1_000_000n : timeArgument(from[3], bound);
  } catch (error) {
    return { code: 'invalid', error: (error as Error).message };
  }
  const matches = (point: StoredPoint, field: string, value: StoredValue): boolean =>
    filters.every(([column, wanted]) => {
      if (column === '_measurement') return point.measurement === wanted;
      if (column === '_field') return field === wanted;
      if (column === '_value') return value === wanted;
      return point.tags[column] === wanted;
    });
  const points = store.points(bucket, measurement).filter((point) => point.time >= start && point.time < stop);

  // One table per series and field, grouped into blocks of one schema (tag keys and value type).
  const tables = new Map<
    string,
    { tags: Record<string, string>; field: string; measurement: string; type: string; rows: Array<[bigint, StoredValue]> }
  >();
  for (const point of points) {
    for (const [field, value] of Object.entries(point.fields)) {
      if (!matches(point, field, value)) continue;
      const tagKey = Object.keys(point.tags)
        .sort()
        .map((key) => `${key}=${point.tags[key]}`)
        .join(',');
      const key = `${point.measurement},${tagKey},${field}`;
      const table = tables.get(key) ?? {
        tags: point.tags,
        field,
        measurement: point.measurement,
        type: fluxType(value),
        rows: [],
      };
      table.rows.push([point.time, value]);
      tables.set(key, table);
    }
  }
  const blocks = new Map<string, string[]>();
  let index = 0;
  for (const table of [...tables.values()]) {
    const tagKeys = Object.keys(table.tags).sort();
    const schema = `${table.type}|${tagKeys.join(',')}`;
    const header = ['', 'result', 'table', '_start', '_stop', '_time', '_value', '_field', '_measurement', ...tagKeys];
    const lines = blocks.get(schema) ?? [
      `#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,${table.type},string,string${tagKeys.map(() => ',string').join('')}`,
      `#group,false,false,true,true,false,false,true,true${tagKeys.map(() => ',true').join('')}`,
      `#default,_result,,,,,,,${tagKeys.map(() => ',').join('')}`,
      header.map(csvCell).join(','),
    ];
    for (const [time, value] of table.rows) {
      const cells = [
        '',
        '',
        String(index),
        rfc3339(start),
        rfc3339(stop),
        rfc3339(time),
        String(value),
        table.field,
        table.measurement,
      ];
      lines.push([...cells, ...tagKeys.map((key) => table.tags[key] ?? '')].map(csvCell).join(','));
    }
    blocks.set(schema, lines);
    index++;
  }
  return { csv: [...blocks.values()].map((lines) => `${lines.join('\r\n')}\r\n`).join('\r\n') + (blocks.size > 0 ? '\r\n' : '') };
}

function fluxType(value: StoredValue): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'bigint') return 'long';
  return 'double';
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A range argument: an RFC3339 time, `0`, a negative duration like `-1h` or `-30d`, or `time(v:
 * params.name)` of a parameter holding RFC3339 text (Flux's time() conversion).
 */
function timeArgument(text: string, params: Record<string, unknown>): bigint {
  const trimmed = text.trim();
  const converted = /^time\(\s*v\s*:\s*params\.(\w+)\s*\)$/.exec(trimmed);
  if (converted !== null) {
    const value = params[converted[1] as string];
    if (value === undefined) throw new Error(`error @1:1-1:1: record is missing label ${converted[1]}`);
    if (typeof value !== 'string') throw new Error(`error calling function "time": cannot convert ${typeof value} to time`);
    return parseRfc3339(value);
  }
  if (trimmed === '0') return 0n;
  const duration = /^-(\d+)(ns|us|ms|s|m|h|d|w|y)$/.exec(trimmed);
  if (duration !== null) {
    const ns: Record<string, bigint> = {
      ns: 1n,
      us: 1000n,
      ms: 1_000_000n,
      s: 1_000_000_000n,
      m: 60_000_000_000n,
      h: 3_600_000_000_000n,
      d: 86_400_000_000_000n,
      w: 604_800_000_000_000n,
      y: 31_536_000_000_000_000n,
    };
    return BigInt(Date.now()) * 1_000_000n - BigInt(duration[1] as string) * (ns[duration[2] as string] as bigint);
  }
  return BigInt(Date.parse(trimmed)) * 1_000_000n;
}
