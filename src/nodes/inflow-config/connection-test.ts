/**
 * "Test connection" in the config dialog: with the settings as typed (or as stored), ping the server
 * and run a harmless read, and say in words what was found: the server and its version, whether the
 * credentials were accepted, whether the database (and retention policy) are there, how long it took.
 * The report is locale keys with their values, so the editor shows it in the user's language; it never
 * holds a secret.
 */
import { describeServer, parseServerUrl, type Client } from '../../client';
import {
  ConfigurationException,
  DatabaseNotFoundException,
  ForbiddenException,
  InfluxDBException,
  UnauthorizedException,
} from '../../core';
import { clientOfProperties, targetOf, type ConfigProperties } from './properties';

export type ConnectionSettings = ConfigProperties;

/** One line of the report: a key of locales/<lang>/config.json under inflow-config.test, and its values. */
export interface ReportLine {
  key: string;
  values?: Record<string, string | number>;
  /** A line that says what is wrong. */
  problem?: boolean;
}

export interface ConnectionReport {
  /** Whether writes with these settings can work. */
  ok: boolean;
  lines: ReportLine[];
}

export async function testConnection(settings: ConnectionSettings): Promise<ConnectionReport> {
  const started = performance.now();
  const lines: ReportLine[] = [];
  const took = (): ReportLine => ({ key: 'took', values: { ms: Math.round(performance.now() - started) } });
  let client: Client;
  try {
    client = clientOfProperties(settings);
  } catch (error) {
    return { ok: false, lines: [{ key: 'settings', values: { why: messageOf(error) }, problem: true }] };
  }
  const where = client.serverUrl;
  let api: string;
  try {
    const started = performance.now();
    const server = await client.detectServer();
    api = server.api;
    lines.push({
      key: 'reached',
      values: { where, server: describeServer(server), ms: Math.round(performance.now() - started) },
    });
  } catch (error) {
    await client.close();
    return { ok: false, lines: [{ key: 'unreachable', values: { where, why: messageOf(error) }, problem: true }, took()] };
  }
  if (api !== '1') {
    // Only 1.x has a read that is harmless for every user; elsewhere the first write tells.
    lines.push({ key: 'target', values: { target: targetOf(client) } }, took());
    await client.close();
    return { ok: true, lines };
  }
  const database = client.database ?? '';
  // The DSN parsed already when the client was made: a user name in it is a credential too.
  const credentials = Boolean(settings.password || settings.token || parseServerUrl(String(settings.dsn)).username);
  let ok = true;
  try {
    const [policies] = await client.query(`SHOW RETENTION POLICIES ON "${database.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    lines.push({ key: credentials ? 'accepted' : 'open' });
    lines.push({ key: 'database', values: { database } });
    const wanted = client.retentionPolicy;
    if (wanted !== undefined) {
      const found = (policies?.values ?? []).some((row) => row.name === wanted);
      lines.push(
        found ? { key: 'policy', values: { policy: wanted } } : { key: 'noPolicy', values: { policy: wanted }, problem: true },
      );
      ok = found;
    }
  } catch (error) {
    ok = false;
    if (error instanceof UnauthorizedException)
      lines.push({ key: credentials ? 'refused' : 'needed', values: { why: messageOf(error) }, problem: true });
    else if (error instanceof DatabaseNotFoundException) {
      lines.push({ key: credentials ? 'accepted' : 'open' });
      lines.push({ key: 'noDatabase', values: { database }, problem: true });
    } else if (error instanceof ForbiddenException) {
      // A user who may write but not read: writes can still work.
      ok = true;
      lines.push({ key: 'cannotRead', values: { database, why: messageOf(error) } });
    } else lines.push({ key: 'failed', values: { why: messageOf(error) }, problem: true });
  } finally {
    await client.close();
  }
  lines.push(took());
  return { ok, lines };
}

function messageOf(error: unknown): string {
  if (error instanceof ConfigurationException) return error.message;
  if (error instanceof InfluxDBException) return error.serverMessage ?? error.message;
  return String(error);
}
