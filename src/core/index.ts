/** What every layer shares: the exception classes, line protocol, time and precision, exact JSON, write targets. */
export * from './errors';
export * from './line-protocol';
export {
  bodyOf,
  hasLineBreak,
  keyEnd,
  lineEnd,
  linesOf,
  linesOfBody,
  nameStep,
  splitLines,
  stringFieldsOf,
  textOfBytes,
  timestampStart,
} from './line-scan';
export * from './time';
export { convertTimestamps, defaultTagsAdder, scaleTimestamps, timestampOf } from './timestamps';
export { addCheckedLines, lineProblem } from './line-check';
export { parseJson, type JsonValue } from './json';
export { checkedParams, fluxParamsExtern, influxqlIdentifier, paramsJson, type QueryParam, type QueryParams } from './params';
export type { WriteTarget } from './target';
export * from './vocabulary';
