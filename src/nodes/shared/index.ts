/** What the nodes share: finding their config node and its client, failing a message, status texts, the failure log. */
export { asksForRecheck, configNodeOf, sharedClientOf, type ClientOrProblem } from './config-node';
export { failMessage } from './failure';
export { logSharedFailuresOnce } from './failure-log';
export { clockTime, problemStatus, reachabilityStatus, StatusThrottle, statusText } from './status';
export { english, translatorOf, type TextValues, type Translate } from './texts';
export type { ConfigCredentials, ConfigDef, InflowConfigNode, Reachability } from './types';
export { reasonOf, type Reason, type ReasonText } from './reason';
export { tagsOfJson, tagsOver } from './tags';
