/**
 * Client options from where users keep them, as influxdb-client-python reads them: the environment (`INFLUXDB_V2_*`, and InfluxDB 3's
 * `INFLUX_HOST`, `INFLUX_TOKEN`, `INFLUX_DATABASE`) and TOML or INI files with an `[influx2]` section and a
 * `[tags]` section of default tags. A bad value is a ConfigurationException naming the variable, or the
 * file, line and key; never with a secret in it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigurationException } from '../core';
import { escapeRegExp } from '../util';
import type { ClientOptions } from './client';

export interface SourcedSettings {
  url: string;
  options: ClientOptions;
}

/** Reads the environment (process.env by default). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): SourcedSettings {
  const v2 = env.INFLUXDB_V2_URL;
  const url = v2 ?? env.INFLUX_HOST;
  if (url === undefined || url.trim() === '') {
    throw new ConfigurationException('neither INFLUXDB_V2_URL nor INFLUX_HOST is set: the server address comes from one of them');
  }
  const options: ClientOptions = { url: url.trim() };
  const text = (key: string): string | undefined => (env[key] === undefined || env[key] === '' ? undefined : env[key]);
  assign(options, {
    org: text('INFLUXDB_V2_ORG'),
    bucket: text('INFLUXDB_V2_BUCKET'),
    token: text('INFLUXDB_V2_TOKEN') ?? text('INFLUX_TOKEN'),
    database: text('INFLUX_DATABASE'),
  });
  applyCommon(options, ENV_KEYS, text, (key) => key);
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (key.startsWith('INFLUXDB_V2_TAG_') && value !== undefined) tags[key.slice(16).toLowerCase()] = value;
  if (Object.keys(tags).length > 0) options.defaultTags = tags;
  return { url: options.url as string, options };
}

/** Reads a TOML file (`.toml`) or an INI file (anything else): `[influx2]` and `[tags]`. */
export function settingsFromFile(path: string): SourcedSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationException(`the configuration file ${path} cannot be read: ${(error as Error).message}`);
  }
  const sections = path.endsWith('.toml') ? tomlSections(text, path) : iniSections(text, path);
  const influx = sections.influx2;
  if (influx === undefined) throw new ConfigurationException(`${path} has no [influx2] section`);
  const where = (key: string): string => `${path}:${influx[key]?.line ?? '?'}: ${key}`;
  const value = (key: string): string | undefined => influx[key]?.value;
  const url = value('url');
  if (url === undefined || url === '') throw new ConfigurationException(`${path}: [influx2] has no url`);
  const options: ClientOptions = { url };
  assign(options, {
    org: value('org'),
    token: value('token'),
    bucket: value('bucket'),
    database: value('database'),
    proxy: value('proxy'),
  });
  applyCommon(options, FILE_KEYS, value, where);
  const tags = sections.tags;
  if (tags !== undefined && Object.keys(tags).length > 0) {
    options.defaultTags = Object.fromEntries(Object.entries(tags).map(([key, entry]) => [key, entry.value]));
  }
  return { url, options };
}

/** The settings both sources have, and what each calls them. */
type Common = 'timeout' | 'verifySsl' | 'caCert' | 'poolSize' | 'authBasic';

const ENV_KEYS: Record<Common, string> = {
  timeout: 'INFLUXDB_V2_TIMEOUT',
  verifySsl: 'INFLUXDB_V2_VERIFY_SSL',
  caCert: 'INFLUXDB_V2_SSL_CA_CERT',
  poolSize: 'INFLUXDB_V2_CONNECTION_POOL_MAXSIZE',
  authBasic: 'INFLUXDB_V2_AUTH_BASIC',
};

const FILE_KEYS: Record<Common, string> = {
  timeout: 'timeout',
  verifySsl: 'verify_ssl',
  caCert: 'ssl_ca_cert',
  poolSize: 'connection_pool_maxsize',
  authBasic: 'auth_basic',
};

/** Applies the common settings, each read by its source's key, and named in errors as `nameOf` says. */
function applyCommon(
  options: ClientOptions,
  keys: Record<Common, string>,
  read: (key: string) => string | undefined,
  nameOf: (key: string) => string,
): void {
  const values = {
    timeout: read(keys.timeout),
    verifySsl: read(keys.verifySsl),
    caCert: read(keys.caCert),
    poolSize: read(keys.poolSize),
    authBasic: read(keys.authBasic),
  };
  const name = (setting: Common): string => nameOf(keys[setting]);
  if (values.timeout !== undefined) options.timeout = wholeNumber(values.timeout, name('timeout'), 1);
  if (values.poolSize !== undefined) options.maxConnections = wholeNumber(values.poolSize, name('poolSize'), 1);
  const verify = values.verifySsl === undefined ? undefined : flag(values.verifySsl, name('verifySsl'));
  if (values.caCert !== undefined || verify === false) {
    let ca: string | undefined;
    if (values.caCert !== undefined) {
      try {
        ca = readFileSync(values.caCert, 'utf8');
      } catch (error) {
        throw new ConfigurationException(
          `${name('caCert')}: the CA file ${values.caCert} cannot be read: ${(error as Error).message}`,
        );
      }
    }
    options.tls = { ...(ca === undefined ? {} : { ca }), ...(verify === false ? { rejectUnauthorized: false } : {}) };
  }
  if (values.authBasic !== undefined && flag(values.authBasic, name('authBasic'))) {
    // influxdb-client-python's auth_basic: the token is "user:password", sent as Basic (InfluxDB 1.8's 2.x compatibility API).
    const token = options.token;
    const colon = token?.indexOf(':') ?? -1;
    if (token === undefined || colon < 0)
      throw new ConfigurationException(`${name('authBasic')} is true, but the token is not "user:password"`);
    options.username = token.slice(0, colon);
    options.password = token.slice(colon + 1);
    delete options.token;
  }
}

function assign(
  options: ClientOptions,
  values: Partial<Record<'org' | 'bucket' | 'token' | 'database' | 'proxy', string | undefined>>,
): void {
  for (const [key, value] of Object.entries(values))
    if (value !== undefined && value !== '') (options as Record<string, unknown>)[key] = value;
}

function wholeNumber(text: string, name: string, least: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < least)
    throw new ConfigurationException(`${name} must be a whole number of at least ${least}, not ${JSON.stringify(text)}`);
  return value;
}

function flag(text: string, name: string): boolean {
  const lower = text.trim().toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes') return true;
  if (lower === 'false' || lower === '0' || lower === 'no') return false;
  throw new ConfigurationException(`${name} must be true or false, not ${JSON.stringify(text)}`);
}

type Sections = Record<string, Record<string, { value: string; line: number }>>;

function tomlSections(text: string, path: string): Sections {
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError)
      throw new ConfigurationException(`${path}:${error.line}: not valid TOML: ${error.message.split('\n')[0] ?? ''}`);
    throw error;
  }
  const lines = text.split('\n');
  const sections: Sections = {};
  for (const [name, table] of Object.entries(parsed)) {
    if (typeof table !== 'object' || table === null) continue;
    const entries: Sections[string] = {};
    const header = lines.findIndex((line) => line.trim() === `[${name}]`);
    for (const [key, value] of Object.entries(table)) {
      const pattern = new RegExp(`^\\s*["']?${escapeRegExp(key)}["']?\\s*=`);
      const line = lines.findIndex((candidate, index) => index > header && pattern.test(candidate));
      entries[key] = { value: String(value), line: line + 1 };
    }
    sections[name] = entries;
  }
  return sections;
}

/** INI: `[section]`, `key = value` (a value may be quoted), `;` and `#` comments. */
function iniSections(text: string, path: string): Sections {
  const sections: Sections = {};
  let current: Sections[string] | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header !== null) {
      current = sections[(header[1] as string).trim()] ??= {};
      return;
    }
    const equals = line.indexOf('=');
    if (equals < 0 || current === undefined)
      throw new ConfigurationException(`${path}:${index + 1}: not "key = value" inside a [section]`);
    const value = line.slice(equals + 1).trim();
    current[line.slice(0, equals).trim()] = { value: /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value, line: index + 1 };
  });
  return sections;
}
