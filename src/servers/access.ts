/**
 * What a server says of a client's credentials and of where it writes, found without writing: each API
 * asks what it can answer harmlessly (1.x `SHOW DATABASES` and `SHOW RETENTION POLICIES`, 2.x its orgs,
 * buckets and DBRP mappings, 3.x its database list, VictoriaMetrics a read path), lists what is there,
 * and makes a missing database or bucket where the credentials may.
 */
import { ConfigurationException, parseJson, UnauthorizedException, type ApiName, type JsonValue } from '../core';
import type { Transport, TransportRequest, TransportResponse } from '../transport';
import type { ServerInfo } from './ping';
import { exceptionFromResponse } from './responses';

/**
 * What the server did with the credentials: took them (`accepted`), answered without checking them
 * (`notChecked`: authentication is off), needed none and got none (`open`), refused them (`refused`), or
 * asked for some and got none (`needed`).
 */
export type CredentialsVerdict = 'accepted' | 'notChecked' | 'open' | 'refused' | 'needed';

export type TargetKind = 'org' | 'bucket' | 'database' | 'retentionPolicy';

/**
 * What the server says of one part of the target: there (`found`), not there (`missing`), not shown to
 * these credentials (`hidden`: it may be there; writes will tell), made by the first write to it
 * (`onFirstWrite`), made just now (`created`), or not looked for (`unchecked`: nothing harmless tells).
 */
export type TargetVerdict = 'found' | 'missing' | 'hidden' | 'onFirstWrite' | 'created' | 'unchecked';

export interface TargetState {
  kind: TargetKind;
  name: string;
  state: TargetVerdict;
}

export interface AccessCheck {
  credentials: CredentialsVerdict;
  /** The server's words when it refused the credentials. */
  serverMessage?: string | undefined;
  /** Each part of the target the settings name, the outer first (an org before its bucket). */
  targets: TargetState[];
}

/** What a client's settings meet at the server: `checkAccess()`'s answer. */
export interface AccessReport {
  /** What `/ping` says the server is; undefined when even `/ping` asked for credentials. */
  server: ServerInfo | undefined;
  /** Milliseconds the `/ping` took. */
  roundTrip: number | undefined;
  /** The kind the settings chose, when the server is another: nothing more was asked. */
  chosen?: ApiName | undefined;
  /** Undefined when the server is not the kind chosen. */
  credentials: CredentialsVerdict | undefined;
  serverMessage?: string | undefined;
  targets: TargetState[];
}

/** What a server can list for a dialog's "pick" button. */
export type ListKind = 'databases' | 'retentionPolicies' | 'buckets' | 'orgs';

/** The target as a check reads it: a write's destination, the client's defaults filled in. */
export interface CheckTarget {
  database: string | undefined;
  retentionPolicy: string | undefined;
  bucket: string | undefined;
  org: string | undefined;
}

/** An answer the check can read: the response, or, for 401, the verdict it means. */
export async function ask(
  transport: Transport,
  request: TransportRequest,
  withCredentials: boolean,
  /** Statuses besides 2xx and 403 that the caller reads itself (a 404 that means "no such org"). */
  read: readonly number[] = [],
): Promise<{ response: TransportResponse; refused?: undefined } | { refused: AccessCheck; response?: undefined }> {
  const response = await transport.request(request);
  if (response.status === 403 || read.includes(response.status)) return { response };
  if (response.status >= 200 && response.status < 300) return { response };
  const refusal = exceptionFromResponse('check', response);
  // 401, or vmauth's 400 "cannot find the provided auth token".
  if (!(refusal instanceof UnauthorizedException)) throw refusal;
  return {
    refused: { credentials: withCredentials ? 'refused' : 'needed', serverMessage: refusal.serverMessage, targets: [] },
  };
}

/**
 * How the server took credentials it answered with: `accepted` when it refuses the same request without
 * them, `notChecked` when it answers that too (authentication is off), `open` when none were sent.
 */
export async function credentialsVerdict(
  transport: Transport,
  request: TransportRequest,
  withCredentials: boolean,
): Promise<CredentialsVerdict> {
  if (!withCredentials) return 'open';
  const anonymous = await transport.request({ ...request, anonymous: true });
  return anonymous.status >= 200 && anonymous.status < 300 ? 'notChecked' : 'accepted';
}

/** A JSON answer's value, or a ConfigurationException saying the server's answer is not what it should be. */
export function jsonOf(response: TransportResponse, what: string): JsonValue {
  try {
    return parseJson(response.body);
  } catch {
    throw new ConfigurationException(`${what}: the answer is not JSON: ${JSON.stringify(response.body.slice(0, 100))}`);
  }
}

/** The text values of `key` in a list of objects (`[{ name: 'a' }, ...]`), in order. */
export function namesIn(list: JsonValue | undefined, key: string): string[] {
  if (!Array.isArray(list)) return [];
  const names: string[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const name = item[key];
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

/** A property of a JSON object, or undefined. */
export function fieldOf(value: JsonValue, key: string): JsonValue | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value[key] : undefined;
}

/** A server that has nothing of this kind to list. */
export function nothingToList(server: string, kind: ListKind): ConfigurationException {
  const names: Record<ListKind, string> = {
    databases: 'databases',
    retentionPolicies: 'retention policies',
    buckets: 'buckets',
    orgs: 'organizations',
  };
  return new ConfigurationException(`${server} has no ${names[kind]} to list`);
}
