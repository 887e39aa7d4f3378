/**
 * The WHERE clause the test servers' InfluxQL and SQL answer: conditions joined by AND, each `<column> =
 * <value>` (a tag or a field) or `time <op> <value>` (>=, >, <=, <), a value being '<text>', a whole number
 * (nanoseconds, for time) or `$<name>` bound from the request's params, as InfluxDB 1.x (influxql's
 * parameter binding) and 3.x (its params) bind them: a string compared with time is read as a time,
 * RFC3339 or "2006-01-02 15:04:05". Enough to check bound ranges and filters, not a query engine.
 */
import { parseRfc3339 } from '../../../src/core';
import type { StoredPoint } from './store';

type Operator = '=' | '>=' | '>' | '<=' | '<';
interface Condition {
  column: string;
  operator: Operator;
  value: unknown;
}

const CONDITION = /^"?(\w+)"?\s*(>=|<=|=|>|<)\s*(?:'((?:[^'\\]|\\.|'')*)'|(-?\d+)|\$(\w+))$/;

/** The conditions of a WHERE clause, or the error the server answers: a missing parameter, or one it does not read. */
export function parseWhere(
  where: string | undefined,
  params: Record<string, unknown>,
): { conditions: Condition[] } | { error: string; missing?: string } {
  if (where === undefined) return { conditions: [] };
  const conditions: Condition[] = [];
  for (const part of where.split(/\s+AND\s+/i)) {
    const match = CONDITION.exec(part.trim());
    if (match === null)
      return { error: `this test server reads conditions <column> = <value> and time <op> <value> only, not ${part}` };
    const [, column, operator, text, number, param] = match;
    let value: unknown = text?.replace(/''/g, "'").replace(/\\(.)/g, '$1') ?? (number === undefined ? undefined : BigInt(number));
    if (param !== undefined) {
      if (!(param in params)) return { error: `missing parameter: ${param}`, missing: param };
      value = params[param];
    }
    if (column !== 'time' && operator !== '=') return { error: `this test server compares time only with ${operator}` };
    conditions.push({ column: column as string, operator: operator as Operator, value });
  }
  return { conditions };
}

export function matchesAll(point: StoredPoint, conditions: readonly Condition[]): boolean {
  return conditions.every(({ column, operator, value }) => {
    if (column !== 'time') return point.tags[column] === value || point.fields[column] === value;
    const time = timeOf(value);
    switch (operator) {
      case '>=':
        return point.time >= time;
      case '>':
        return point.time > time;
      case '<=':
        return point.time <= time;
      case '<':
        return point.time < time;
      default:
        return point.time === time;
    }
  });
}

function timeOf(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  const text = String(value);
  return parseRfc3339(/[Zz]$|[+-]\d{2}:\d{2}$/.test(text) ? text : `${text}Z`);
}
