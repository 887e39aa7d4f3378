/** Small helpers shared by the layers. */
export { isPlainObject } from './plain-object';
export { describeType, quote } from './describe';
export { escapeRegExp } from './pattern';
export { setOwn } from './own-property';
export { onAbort, untilAborted } from './abort-listeners';
