/** What "inflow query" reads from its settings and from a message, and what it refuses, with why. */
import type { NodeDef, NodeMessage } from 'node-red';
import { rangeBounds, type Client, type QueryOptions, type QueryParam } from '../../client';
import {
  assertPrecision,
  ConfigurationException,
  isQueryLanguage,
  QUERY_LANGUAGES,
  InvalidArgumentException,
  isPrecision,
  type QueryLanguage,
} from '../../core';
import { ANSWER_FORMATS, isAnswerFormat, MIN_POINTS, wantsMilliseconds, type AnswerFormat } from '../../shapes';
import { describeType, isPlainObject } from '../../util';
import { DEFAULT_EPOCH, DEFAULT_FORMAT, DEFAULT_LANGUAGE, DEFAULT_MAX_ANSWER_MB, DEFAULT_OUTPUT } from './defaults';

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
  /** What msg.payload holds: 'series' (also when missing), 'rows', 'chart' or 'chart-dashboard1'. */
  format?: string;
  /** Points a series is thinned to, at most (empty or missing: all). */
  maxPoints?: string | number;
  errorOutput: boolean;
}

export interface QueryMessage extends NodeMessage {
  query?: unknown;
  params?: unknown;
  epoch?: unknown;
  database?: unknown;
  language?: unknown;
  format?: unknown;
  maxPoints?: unknown;
  range?: unknown;
  /** Set for Dashboard 2's chart: 'replace' (or 'append', for the parts after the first). */
  action?: string;
}

/** How a message's answer is sent: in which format, thinned to how many points a series. */
export interface Shaping {
  format: AnswerFormat;
  maxPoints: number | undefined;
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

export function optionsOf(msg: QueryMessage, def: QueryDef, shaping: Shaping): QueryOptions {
  const options: QueryOptions = {};
  // A node without the property (written by hand) has the editor's default, ms; '' is RFC3339 text.
  const epoch = msg.epoch ?? (def.epoch === undefined ? DEFAULT_EPOCH : def.epoch || undefined);
  if (msg.epoch !== undefined && !isPrecision(msg.epoch)) {
    throw new InvalidArgumentException(`msg.epoch must be one of h, m, s, ms, u, ns, not ${JSON.stringify(msg.epoch)}`);
  }
  if (epoch !== undefined && epoch !== '') options.epoch = assertPrecision(epoch, 'epoch');
  // Charts plot epoch milliseconds only: a chart format asks for them, whatever the node's epoch.
  if (wantsMilliseconds(shaping.format)) options.epoch = 'ms';
  options.language = languageOf(msg.language, def.language);
  options.maxAnswerBytes = maxAnswerMbOf(def.maxAnswerMb) * 1024 * 1024;
  if (msg.params !== undefined) {
    if (!isPlainObject(msg.params))
      throw new InvalidArgumentException(`msg.params must be an object of bound parameters, not ${describeType(msg.params)}`);
    options.params = msg.params as Record<string, QueryParam>;
  }
  if (msg.range !== undefined) {
    // Resolved here, so that a wrong bound is named as the flow author wrote it: msg.range.start.
    options.range = rangeBounds(msg.range, 'msg.range');
    for (const key of ['start', 'stop'])
      if (options.params !== undefined && Object.hasOwn(options.params, key))
        throw new InvalidArgumentException(
          `msg.range binds $${key} (params.${key} in Flux), and msg.params.${key} does too: leave it out of msg.params`,
        );
  }
  if (msg.database !== undefined && msg.database !== '') {
    if (typeof msg.database !== 'string')
      throw new InvalidArgumentException(`msg.database must be a string, not ${describeType(msg.database)}`);
    options.database = msg.database;
  }
  return options;
}

/**
 * The node's own format and thinning, or why they cannot work together (with its output, or a raw answer):
 * said when the flows start, not at the first message.
 */
export function nodeShapingOf(def: QueryDef): Shaping | ConfigurationException {
  const format = def.format === undefined || def.format === '' ? DEFAULT_FORMAT : def.format;
  if (!isAnswerFormat(format))
    return new ConfigurationException(`format ${JSON.stringify(format)} is not one of ${ANSWER_FORMATS.join(', ')}`);
  let maxPoints: number | undefined;
  if (def.maxPoints !== undefined && def.maxPoints !== '') {
    maxPoints = Number(def.maxPoints);
    if (!Number.isSafeInteger(maxPoints) || maxPoints < MIN_POINTS)
      return new ConfigurationException(
        `points a series must be a whole number of at least ${MIN_POINTS}, or empty for all, not ${JSON.stringify(def.maxPoints)}`,
      );
  }
  const clash = shapingClash({ format, maxPoints }, def, 'the node');
  return clash === undefined ? { format, maxPoints } : new ConfigurationException(clash);
}

/** The shaping of one message: msg.format and msg.maxPoints over the node's. */
export function messageShapingOf(msg: QueryMessage, def: QueryDef, node: Shaping): Shaping {
  let { format, maxPoints } = node;
  if (msg.format !== undefined && msg.format !== '') {
    if (!isAnswerFormat(msg.format))
      throw new InvalidArgumentException(
        `msg.format must be one of ${ANSWER_FORMATS.join(', ')}, not ${JSON.stringify(msg.format)}`,
      );
    format = msg.format;
  }
  if (msg.maxPoints !== undefined && msg.maxPoints !== '' && msg.maxPoints !== null) {
    if (typeof msg.maxPoints !== 'number' || !Number.isSafeInteger(msg.maxPoints) || msg.maxPoints < MIN_POINTS)
      throw new InvalidArgumentException(
        `msg.maxPoints must be a whole number of at least ${MIN_POINTS}, not ${typeof msg.maxPoints === 'number' ? msg.maxPoints : describeType(msg.maxPoints)}`,
      );
    maxPoints = msg.maxPoints;
  }
  const clash = shapingClash({ format, maxPoints }, def, 'msg');
  if (clash !== undefined) throw new InvalidArgumentException(clash);
  return { format, maxPoints };
}

function shapingClash(shaping: Shaping, def: QueryDef, who: 'the node' | 'msg'): string | undefined {
  const format = who === 'msg' ? 'msg.format' : 'format';
  const maxPoints = who === 'msg' ? 'msg.maxPoints' : 'points a series';
  if (def.raw) {
    if (shaping.format !== 'series')
      return `${format} ${shaping.format} reshapes the answer, and the node sends the server's raw answer: choose one`;
    if (shaping.maxPoints !== undefined)
      return `${maxPoints} thins the answer, and the node sends the server's raw answer: choose one`;
  }
  if (outputOf(def) === 'parts') {
    if (shaping.format === 'chart-dashboard1')
      return `${format} chart-dashboard1 is a whole chart in one message, and the node sends a message per chunk: send the whole answer in one message`;
    if (shaping.maxPoints !== undefined)
      return `${maxPoints} thins whole series, and the node sends a message per chunk: send the whole answer in one message, or leave the points empty`;
  }
  return undefined;
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
