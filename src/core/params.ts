/**
 * A query's bound parameters, checked once and written as each API takes them: a JSON object for
 * InfluxQL's `params` form field and InfluxDB 3's `params`, and for Flux a `params` record declared in the
 * request's `extern`, a Flux syntax tree that InfluxDB 2.x evaluates before the query (its http/query.go
 * QueryRequest has `extern`, and no `params`: those are InfluxDB Cloud's alone). Values are syntax-tree
 * literals there, never query text, so no input can change what the query says.
 */
import { quote } from '../util';
import { InvalidArgumentException } from './errors';
import { INT64_MAX, INT64_MIN } from './line-protocol';

export type QueryParam = string | number | bigint | boolean;
export type QueryParams = Readonly<Record<string, QueryParam>>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name as an InfluxQL identifier: in double quotes, its backslashes, quotes and line breaks escaped (influxql.QuoteIdent). */
export function influxqlIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The parameters as given, once each value is one a query can bind: a finite number, a bigint, text or true/false. */
export function checkedParams(params: Readonly<Record<string, unknown>>): QueryParams {
  for (const key of Object.keys(params)) {
    const value = params[key];
    switch (typeof value) {
      case 'number':
        if (!Number.isFinite(value)) throw new InvalidArgumentException(`query parameter ${quote(key)} is ${value}`);
        break;
      case 'bigint':
      case 'string':
      case 'boolean':
        break;
      default:
        throw new InvalidArgumentException(
          `query parameter ${quote(key)} must be a string, number, bigint or boolean, not ${value === null ? 'null' : typeof value}`,
        );
    }
  }
  return params as QueryParams;
}

/** The `params` of InfluxQL and SQL: JSON, bigints written as exact integers. */
export function paramsJson(params: QueryParams): string {
  const entries = Object.keys(params).map((key) => {
    const value = params[key] as QueryParam;
    return `${JSON.stringify(key)}:${typeof value === 'bigint' ? value.toString() : JSON.stringify(value)}`;
  });
  return `{${entries.join(',')}}`;
}

/**
 * The `extern` of a Flux query: a file of one statement, `params = { name: value, ... }`. A number is a
 * float (as this package writes numbers), a bigint an integer (int64), text a string, true/false a boolean.
 */
export function fluxParamsExtern(params: QueryParams): string {
  const properties = Object.keys(params).map((key) => ({
    type: 'Property',
    key: IDENTIFIER.test(key) ? { type: 'Identifier', name: key } : { type: 'StringLiteral', value: key },
    value: fluxLiteral(key, params[key] as QueryParam),
  }));
  return JSON.stringify({
    type: 'File',
    package: null,
    imports: null,
    body: [
      {
        type: 'VariableAssignment',
        id: { type: 'Identifier', name: 'params' },
        init: { type: 'ObjectExpression', properties },
      },
    ],
  });
}

function fluxLiteral(key: string, value: QueryParam): Record<string, unknown> {
  switch (typeof value) {
    case 'bigint':
      if (value > INT64_MAX || value < INT64_MIN)
        throw new InvalidArgumentException(`query parameter ${quote(key)} is beyond what a Flux integer (int64) holds`);
      return { type: 'IntegerLiteral', value: value.toString() };
    case 'number':
      return { type: 'FloatLiteral', value };
    case 'boolean':
      return { type: 'BooleanLiteral', value };
    default:
      return { type: 'StringLiteral', value };
  }
}
