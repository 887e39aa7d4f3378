import type { Row, Series } from '../client';
import { InvalidArgumentException } from '../core';
import { dashboard1ChartOf, type Dashboard1Chart } from './dashboard1';
import { joinFieldTables } from './join-fields';
import { rowsOf } from './rows';
import { thinSeries } from './thin';

/**
 * What an answer becomes: `series` (`[{ name, tags, values }]`, the answer as the Client gives it), `rows`
 * (one flat list, see rowsOf), `chart` (rows for Dashboard 2's ui-chart: times in ms, asked so) and
 * `chart-dashboard1` (see dashboard1ChartOf).
 */
export const ANSWER_FORMATS = ['series', 'rows', 'chart', 'chart-dashboard1'] as const;
export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

export function isAnswerFormat(value: unknown): value is AnswerFormat {
  return typeof value === 'string' && (ANSWER_FORMATS as readonly string[]).includes(value);
}

/** The formats whose times are milliseconds whatever epoch was chosen: charts plot nothing else. */
export function wantsMilliseconds(format: AnswerFormat): boolean {
  return format === 'chart' || format === 'chart-dashboard1';
}

/** The smallest number of points a series may be thinned to: its first and its last. */
export const MIN_POINTS = 2;

/**
 * A whole answer in a format, each series thinned to `maxPoints` first when given (Flux's field tables
 * joined first for every format but `series`, so that a row keeps all its fields).
 */
export function shapeAnswer(
  series: readonly Series[],
  format: AnswerFormat,
  maxPoints?: number,
): Series[] | Row[] | Dashboard1Chart[] {
  if (maxPoints !== undefined && (!Number.isSafeInteger(maxPoints) || maxPoints < MIN_POINTS))
    throw new InvalidArgumentException(`maxPoints must be a whole number of at least ${MIN_POINTS}, not ${maxPoints}`);
  const joined = format === 'series' ? [...series] : joinFieldTables(series);
  const thinned = maxPoints === undefined ? joined : thinSeries(joined, maxPoints);
  switch (format) {
    case 'series':
      return thinned;
    case 'rows':
    case 'chart':
      return rowsOf(thinned);
    case 'chart-dashboard1':
      return dashboard1ChartOf(thinned);
  }
}
