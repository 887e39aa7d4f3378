import { ConfigurationException } from '../core';

/** A parsed DSN: `http[s]://[user[:password]@]host[:port][/base/path]/database`. */
export interface Dsn {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  /** `protocol://host:port`, what the connection pool dials. */
  origin: string;
  /** Path in front of `/write` and `/query` when InfluxDB sits behind a proxy; '' otherwise. */
  basePath: string;
  database: string;
  username: string | undefined;
  password: string | undefined;
}

/** Parses a DSN; a DSN that cannot work throws a ConfigurationException that says why (never echoing a password). */
export function parseDsn(dsn: string): Dsn {
  const { url, protocol } = parseAddress(dsn, 'DSN', 'http://[user:password@]host:8086/database');
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const last = segments.pop();
  if (last === undefined) {
    throw new ConfigurationException(`DSN "${maskDsn(dsn)}" names no database: add it as the path, as in http://host:8086/mydb`);
  }
  return {
    ...partsOf(url, protocol, dsn),
    basePath: segments.length > 0 ? `/${segments.join('/')}` : '',
    database: decodeComponent(last, 'database name', dsn),
  };
}

/**
 * A server's address without a database in it (`new Client({ url })`): the whole path is where the
 * server's API sits behind a proxy. User and password may be in it, as in a DSN.
 */
export function parseServerUrl(address: string): Omit<Dsn, 'database'> & { database: undefined } {
  const { url, protocol } = parseAddress(address, 'URL', 'http://[user:password@]host:8086');
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  return {
    ...partsOf(url, protocol, address),
    basePath: segments.length > 0 ? `/${segments.join('/')}` : '',
    database: undefined,
  };
}

function parseAddress(text: string, what: 'DSN' | 'URL', form: string): { url: URL; protocol: 'http' | 'https' } {
  if (typeof text !== 'string' || text.trim() === '') throw new ConfigurationException(`${what} is empty: expected ${form}`);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigurationException(
      `${what} "${maskDsn(text)}" is not a valid URL: expected ${form} ` +
        '(percent-encode special characters in the user name and password)',
    );
  }
  const protocol = url.protocol.slice(0, -1);
  // "localhost:8086" parses with the scheme "localhost": it is a host and port without one.
  if (!text.trim().includes('://') && /^[\w.-]+:\d*(\/|$)/.test(text.trim())) {
    throw new ConfigurationException(`${what} "${maskDsn(text)}" has no scheme: write it as http://${maskDsn(text.trim())}`);
  }
  if (protocol !== 'http' && protocol !== 'https') {
    throw new ConfigurationException(`${what} "${maskDsn(text)}" has scheme "${protocol}": only http and https are supported`);
  }
  if (url.hostname === '') throw new ConfigurationException(`${what} "${maskDsn(text)}" has no host`);
  if (url.port === '0') throw new ConfigurationException(`${what} "${maskDsn(text)}" has port 0: give the server's port`);
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigurationException(
      `${what} "${maskDsn(text)}" has a query string or fragment, which a ${what} does not use ` +
        '(a "#" or "?" in a password must be percent-encoded as %23 or %3F)',
    );
  }
  return { url, protocol };
}

function partsOf(url: URL, protocol: 'http' | 'https', text: string): Omit<Dsn, 'basePath' | 'database'> {
  return {
    protocol,
    host: url.hostname,
    port: url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port),
    origin: `${protocol}://${url.host}`,
    username: url.username === '' ? undefined : decodeComponent(url.username, 'user name', text),
    password: url.password === '' ? undefined : decodeComponent(url.password, 'password', text),
  };
}

/**
 * The DSN with its password replaced by `***`, for labels, logs and messages. Works on DSNs that do not
 * parse too: the password runs from the first ":" of the user part to the last "@" (a password may hold
 * "@" and ":"), so more is masked rather than less.
 */
export function maskDsn(dsn: string): string {
  const text = String(dsn);
  const schemeEnd = text.indexOf('://');
  const authorityStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
  const at = text.lastIndexOf('@');
  if (at < authorityStart) return text;
  const userinfo = text.slice(authorityStart, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return text;
  return `${text.slice(0, authorityStart)}${userinfo.slice(0, colon)}:***${text.slice(at)}`;
}

function decodeComponent(value: string, what: string, dsn: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ConfigurationException(`DSN "${maskDsn(dsn)}" has a badly percent-encoded ${what}`);
  }
}
