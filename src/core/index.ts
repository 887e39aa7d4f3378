/** What every layer shares: the exception classes, line protocol, time and precision, exact JSON, write targets. */
export * from './errors';
export * from './line-protocol';
export * from './time';
export { defaultTagsAdder, nameStep, scaleTimestamps, timestampStart } from './timestamps';
export { addCheckedLines, lineProblem } from './line-check';
export { parseJson, type JsonValue } from './json';
export type { WriteTarget } from './target';
