/**
 * The config node's settings (as deployed, or as typed in the dialog for Test connection) -> the
 * Client they describe. A node with a DSN alone (written by hand) works: the DSN's path is the
 * database, and the kind, missing, is 'auto': the server is asked what it is.
 */
import { readFileSync } from 'node:fs';
import { Client, LineMaker, parseServerUrl, type ClientOptions } from '../../client';
import { API_CHOICES, assertPrecision, ConfigurationException, isApiChoice } from '../../core';
import { tagsOfJson } from '../shared';
import { DEFAULT_API, DEFAULT_PRECISION } from './defaults';

export interface ConfigProperties {
  version?: unknown;
  dsn?: unknown;
  org?: unknown;
  bucket?: unknown;
  database?: unknown;
  precision?: unknown;
  retentionPolicy?: unknown;
  timeout?: unknown;
  /** A CA certificate to trust: PEM text, or the path of a PEM file. */
  tlsCa?: unknown;
  /** false (or "false") accepts any certificate. */
  tlsVerify?: unknown;
  /** Default tags for every point written through the server, as JSON text (see serverTagsOf): not the client's. */
  tags?: unknown;
  /** A user name set apart from the URL (a credential, so exported flows do not carry it). */
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

/** The Client the settings describe; with `targetOptional`, one that may name no database (to list what there is). */
export function clientOfProperties(settings: ConfigProperties, targetOptional = false): Client {
  // The property keeps its name, `version`, in flows; the client calls it `api`.
  const api = text(settings.version) ?? DEFAULT_API;
  if (!isApiChoice(api)) {
    throw new ConfigurationException(`server ${JSON.stringify(api)} is not one of ${API_CHOICES.join(', ')}`);
  }
  const bucket = text(settings.bucket);
  const database = text(settings.database);
  const options: ClientOptions = {
    api,
    precision: assertPrecision(text(settings.precision) ?? DEFAULT_PRECISION),
    retentionPolicy: text(settings.retentionPolicy),
    // Empty: the client's own default.
    timeout: settings.timeout === '' || settings.timeout === undefined ? undefined : Number(settings.timeout),
    username: settings.username || undefined,
    password: settings.password || undefined,
    token: settings.token || undefined,
    org: text(settings.org),
    bucket,
    database,
    tls: tlsOf(settings),
  };
  const address = typeof settings.dsn === 'string' ? settings.dsn : '';
  // With a bucket or database named apart, the URL is the server's alone; otherwise it is a DSN, database last.
  if (bucket !== undefined || database !== undefined) return new Client({ ...options, url: address });
  if (!targetOptional) return new Client(address, options);
  // To list what the server has, no target is needed: a URL without a database's path is the server's.
  const named = parseServerUrl(address).basePath.replace(/\/+$/, '') !== '';
  return named ? new Client(address, options) : new Client({ ...options, url: address });
}

/**
 * The server's Tags, checked as a line of line protocol would check them: undefined for none, or a
 * ConfigurationException that says which tag cannot work and why. Apart from the client, which never
 * holds them: Tags that cannot work fail the writes through the server, not its queries.
 */
export function serverTagsOf(text: unknown): Readonly<Record<string, string>> | undefined {
  const tags = tagsOfJson(text, 'default tags');
  if (tags === undefined) return undefined;
  try {
    new LineMaker({ precision: DEFAULT_PRECISION, defaultTags: tags });
  } catch (error) {
    throw new ConfigurationException(`default tags: ${error instanceof Error ? error.message : String(error)}`);
  }
  return Object.freeze(tags);
}

/** Where the client writes, for a status line: "db sensors", "db sensors, rp week", "bucket home". */
export function targetOf(client: Client): string {
  if (client.bucket !== undefined) return `bucket ${client.bucket}`;
  const policy = client.retentionPolicy === undefined ? '' : `, rp ${client.retentionPolicy}`;
  return `db ${client.database ?? '?'}${policy}`;
}

function tlsOf(settings: ConfigProperties): ClientOptions['tls'] {
  const ca = text(settings.tlsCa);
  const verify = settings.tlsVerify !== false && settings.tlsVerify !== 'false';
  if (ca === undefined && verify) return undefined;
  return { ...(ca === undefined ? {} : { ca: pemOf(ca) }), rejectUnauthorized: verify };
}

/**
 * The CA certificate: PEM text as given, or the PEM file at a path. A path that is missing, unreadable or
 * not a PEM certificate gets one and the same answer, which tells nothing of what else is at that path.
 */
function pemOf(ca: string): string {
  if (ca.includes('-----BEGIN')) return ca;
  let text: string | undefined;
  try {
    text = readFileSync(ca, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined || !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigurationException(
      `the CA certificate ${JSON.stringify(ca)} cannot be used: give the path of a readable PEM certificate file, or the PEM text itself`,
    );
  }
  return text;
}

/** A property's text: a string or number as typed, trimmed; anything else, or nothing, is none. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const string = String(value).trim();
  return string === '' ? undefined : string;
}
