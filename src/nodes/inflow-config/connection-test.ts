/**
 * "Test connection" in the config dialog: the settings as typed (or as stored) against the server,
 * without writing. It reaches the server or says why not, says what the server is (and whether it is the
 * kind chosen), whether it took the credentials, and whether each part of the target is there. The
 * report is locale keys with their values, so the editor shows it in the user's language; it never holds
 * a secret.
 */
import type { AccessReport, Client, ListKind } from '../../client';
import { describeServer } from '../../client';
import { InfluxDBException } from '../../core';
import { reasonOf } from '../shared';
import { clientOfProperties, serverTagsOf, type ConfigProperties } from './properties';

export type ConnectionSettings = ConfigProperties;

/** One line of the report: a key of locales/<lang>/inflow-config.json under inflow-config.test, and its values. */
export interface ReportLine {
  key: string;
  values?: Record<string, string | number>;
  /** A line that says what is wrong. */
  problem?: boolean;
}

export interface ConnectionReport {
  /** Whether writes with these settings can work, as far as the server tells without a write. */
  ok: boolean;
  lines: ReportLine[];
}

export async function testConnection(settings: ConnectionSettings): Promise<ConnectionReport> {
  const started = performance.now();
  const took = (): ReportLine => ({ key: 'took', values: { ms: Math.round(performance.now() - started) } });
  let client: Client;
  try {
    serverTagsOf(settings.tags);
    client = clientOfProperties(settings);
  } catch (error) {
    return { ok: false, lines: [{ key: 'settings', values: { why: messageOf(error) }, problem: true }] };
  }
  try {
    const lines = linesOfReport(await client.checkAccess(), client.serverUrl);
    lines.push(took());
    return { ok: !lines.some((line) => line.problem), lines };
  } catch (error) {
    const { reason, why, status } = reasonOf(InfluxDBException.from(error));
    const values = { where: client.serverUrl, why, status: status ?? '' };
    return { ok: false, lines: [{ key: `unreachable.${reason}`, values, problem: true }, took()] };
  } finally {
    await client.close();
  }
}

/** The names a server has of a kind, for the dialog's pick buttons, or the line that says why not. */
export async function listNames(
  settings: ConnectionSettings,
  kind: ListKind,
): Promise<{ names: string[] } | { line: ReportLine }> {
  let client: Client;
  try {
    client = clientOfProperties(settings, true);
  } catch (error) {
    return { line: { key: 'settings', values: { why: messageOf(error) }, problem: true } };
  }
  try {
    return { names: await client.listTargets(kind) };
  } catch (error) {
    const exception = InfluxDBException.from(error);
    return { line: { key: 'cannotList', values: { why: reasonOf(exception).why }, problem: true } };
  } finally {
    await client.close();
  }
}

/** The report of a check, a line each: the server, the credentials, each part of the target. */
export function linesOfReport(report: AccessReport, where: string): ReportLine[] {
  const { server } = report;
  if (server === undefined) {
    return [
      { key: 'reachedLocked', values: { where } },
      {
        key: `credentials.${report.credentials ?? 'refused'}`,
        values: { why: report.serverMessage ?? '', where },
        problem: true,
      },
    ];
  }
  const lines: ReportLine[] = [
    { key: 'reached', values: { server: describeServer(server), where, ms: Math.round(report.roundTrip ?? 0) } },
  ];
  if (report.chosen !== undefined) {
    // The editor names the kind chosen in the user's language (inflow-config.version.<kind>).
    lines.push({ key: 'wrongKind', values: { found: describeServer(server), chosen: report.chosen }, problem: true });
    return lines;
  }
  const credentials = report.credentials ?? 'refused';
  lines.push({
    key: `credentials.${credentials}`,
    values: { why: report.serverMessage ?? '', where },
    problem: credentials === 'refused' || credentials === 'needed',
  });
  for (const target of report.targets) {
    const state =
      server.api === 'victoriametrics' && target.state === 'onFirstWrite'
        ? 'label'
        : server.api === '2' && target.kind === 'database' && target.state === 'missing'
          ? 'unmapped'
          : target.state;
    lines.push({ key: `${target.kind}.${state}`, values: { name: target.name }, problem: target.state === 'missing' });
  }
  return lines;
}

function messageOf(error: unknown): string {
  if (error instanceof InfluxDBException) return error.message;
  return String(error);
}
