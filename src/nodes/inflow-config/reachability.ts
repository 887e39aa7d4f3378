/**
 * What the config node tells the nodes that use it about their server, from its check when the flows
 * start (and again when a write is refused for its credentials or its target): connected (to what, and
 * where), or what is wrong, as a status key under `inflow-config.status` and its values.
 */
import type { AccessReport, Client } from '../../client';
import { describeServer } from '../../client';
import { ConfigurationException, InfluxDBException } from '../../core';
import { reasonOf, type Reachability } from '../shared';
import { targetOf } from './properties';

/** Whether "Create if missing" can make the missing part of a target: a 1.x database, a 2.x bucket. */
export function canCreate(report: AccessReport): boolean {
  const api = report.server?.api;
  return report.targets.some(
    (target) =>
      target.state === 'missing' && ((api === '1' && target.kind === 'database') || (api === '2' && target.kind === 'bucket')),
  );
}

export function reachabilityOfReport(report: AccessReport, client: Client): Reachability {
  const { server } = report;
  if (server === undefined || report.credentials === 'refused' || report.credentials === 'needed') {
    return {
      ok: false,
      key: report.credentials === 'needed' ? 'needed' : 'refused',
      values: { why: report.serverMessage ?? '' },
    };
  }
  if (report.chosen !== undefined) {
    return { ok: false, key: 'wrongKind', values: { found: describeServer(server), chosen: report.chosen } };
  }
  const missing = report.targets.find((target) => target.state === 'missing');
  if (missing !== undefined) {
    // On 2.x a database is reached through a DBRP mapping, which is not made here.
    const kind = server.api === '2' && missing.kind === 'database' ? 'dbrp' : missing.kind;
    return { ok: false, key: `missing.${kind}`, values: { name: missing.name } };
  }
  const values = { server: describeServer(server), target: targetOf(client) };
  const states = new Set(report.targets.map((target) => target.state));
  if (states.has('created')) return { ok: true, key: 'connectedCreated', values };
  if (states.has('hidden')) return { ok: true, key: 'connectedHidden', values };
  if (states.has('onFirstWrite') && server.api !== 'victoriametrics') return { ok: true, key: 'connectedFirstWrite', values };
  return { ok: true, key: 'connected', values };
}

export function reachabilityOfError(error: unknown): Reachability {
  if (error instanceof ConfigurationException) return { ok: false, key: 'settings', values: { why: error.message } };
  const { reason, why, status } = reasonOf(InfluxDBException.from(error));
  return { ok: false, key: `unreachable.${reason}`, values: { why, status: status ?? '' } };
}
