/** What the nodes share: finding their config node and its client, failing a message, status texts, the failure log. */
export {
  clientOf,
  clockTime,
  configNodeOf,
  failMessage,
  problemStatus,
  reachabilityStatus,
  StatusThrottle,
  statusText,
  type ClientOrProblem,
} from './common';
export { logSharedFailuresOnce } from './failure-log';
export { english, translatorOf, type TextValues, type Translate } from './texts';
export type { ConfigCredentials, ConfigDef, InflowConfigNode, Reachability } from './types';
