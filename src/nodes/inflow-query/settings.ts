/** What "inflow query" reads from its settings and from a message, and what it refuses, with why. */
import type { NodeDef, NodeMessage } from 'node-red';
import type { Client, QueryOptions, QueryParam } from '../../client';
import {
  assertPrecision,
  ConfigurationException,
  isQueryLanguage,
  QUERY_LANGUAGES,
  InvalidArgumentException,
  isPrecision,
  type QueryLanguage,
} from '../../core';
import { describeType, isPlainObject } from '../../util';
import { DEFAULT_EPOCH, DEFAULT_LANGUAGE, DEFAULT_MAX_ANSWER_MB, DEFAULT_OUTPUT } from './defaults';

export interface QueryDef extends NodeDef {
  server: string;
  query: string;
  /** 'influxql' (also when missing), 'sql' or 'flux'. */
  language?: string;
  epoch: string;
  raw: boolean;
  /** 'message' (one message, also when missing) or 'parts' (one per chunk, with msg.parts). */
  output?: string;
  /** Megabytes of an answer read at once, at most (empty or missing: the default). */
  maxAnswerMb?: string | number;
  errorOutput: boolean;
}

export interface QueryMessage extends NodeMessage {
  query?: unknown;
  params?: unknown;
  epoch?: unknown;
  database?: unknown;
  language?: unknown;
}

export function queryOf(configured: string | undefined, fromMessage: unknown): string {
  if (configured !== undefined && configured.trim() !== '') return configured;
  if (typeof fromMessage === 'string' && fromMessage.trim() !== '') return fromMessage;
  throw new InvalidArgumentException(
    fromMessage === undefined
      ? 'no query: set one in the node, or send msg.query'
      : `msg.query must be query text, not ${describeType(fromMessage)}`,
  );
}

export function outputOf(def: QueryDef): 'message' | 'parts' {
  return def.output === 'parts' ? 'parts' : DEFAULT_OUTPUT;
}

export function optionsOf(msg: QueryMessage, def: QueryDef): QueryOptions {
  const options: QueryOptions = {};
  // A node without the property (written by hand) has the editor's default, ms; '' is RFC3339 text.
  const epoch = msg.epoch ?? (def.epoch === undefined ? DEFAULT_EPOCH : def.epoch || undefined);
  if (msg.epoch !== undefined && !isPrecision(msg.epoch)) {
    throw new InvalidArgumentException(`msg.epoch must be one of h, m, s, ms, u, ns, not ${JSON.stringify(msg.epoch)}`);
  }
  if (epoch !== undefined && epoch !== '') options.epoch = assertPrecision(epoch, 'epoch');
  options.language = languageOf(msg.language, def.language);
  options.maxAnswerBytes = maxAnswerMbOf(def.maxAnswerMb) * 1024 * 1024;
  if (msg.params !== undefined) {
    if (!isPlainObject(msg.params))
      throw new InvalidArgumentException(`msg.params must be an object of bound parameters, not ${describeType(msg.params)}`);
    options.params = msg.params as Record<string, QueryParam>;
  }
  if (msg.database !== undefined && msg.database !== '') {
    if (typeof msg.database !== 'string')
      throw new InvalidArgumentException(`msg.database must be a string, not ${describeType(msg.database)}`);
    options.database = msg.database;
  }
  return options;
}

function languageOf(fromMessage: unknown, configured: string | undefined): QueryLanguage {
  if (fromMessage !== undefined && fromMessage !== '') {
    if (isQueryLanguage(fromMessage)) return fromMessage;
    throw new InvalidArgumentException(
      `msg.language must be one of ${QUERY_LANGUAGES.join(', ')}, not ${JSON.stringify(fromMessage)}`,
    );
  }
  if (configured === undefined || configured === '') return DEFAULT_LANGUAGE;
  if (isQueryLanguage(configured)) return configured;
  throw new ConfigurationException(`language ${JSON.stringify(configured)} is not one of ${QUERY_LANGUAGES.join(', ')}`);
}

/** Why the node's language cannot be asked of its server, once the server is known; undefined when it can. */
export function languageProblem(client: Client, configured: string | undefined): ConfigurationException | undefined {
  const languages = client.queryLanguages;
  if (languages === undefined) return undefined;
  const language = configured === undefined || configured === '' ? DEFAULT_LANGUAGE : configured;
  if (languages.length === 0) {
    return new ConfigurationException(
      'the server is VictoriaMetrics, which answers no queries (it answers every /query with SHOW DATABASES): read it with its own API',
    );
  }
  if (!isQueryLanguage(language) || !languages.includes(language)) {
    return new ConfigurationException(`the server answers ${languages.join(' and ')}, not ${language}: choose another language`);
  }
  return undefined;
}

function maxAnswerMbOf(value: string | number | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_ANSWER_MB;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new ConfigurationException(
      `largest answer must be a whole number of megabytes of at least 1, not ${JSON.stringify(value)}`,
    );
  }
  return number;
}
