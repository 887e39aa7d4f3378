/** What a query's answer becomes for a table or a chart: flat rows, Flux's field tables joined, thinned series, Dashboard 1's chart. */
export { ANSWER_FORMATS, MIN_POINTS, isAnswerFormat, shapeAnswer, wantsMilliseconds, type AnswerFormat } from './formats';
export { dashboard1ChartOf, type Dashboard1Chart } from './dashboard1';
export { joinFieldTables } from './join-fields';
export { rowsOf } from './rows';
export { seriesKeyOf } from './series-key';
export { thinRows, thinSeries } from './thin';
