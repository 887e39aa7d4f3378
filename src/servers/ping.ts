/**
 * `/ping`, which every server answers, and what its answer says the server is: 1.x and 2.x name their
 * version in `X-Influxdb-Version` (2.x as "v2.9.1"), 3.x there and in a JSON body with its product
 * name, and VictoriaMetrics names none.
 */
import type { ApiName } from '../core';
import { MAX_ERROR_ANSWER_BYTES, type TokenScheme, type Transport, type TransportResponse } from '../transport';
import { exceptionFromResponse } from './responses';

/** What a server was found to be (or was said to be). */
export interface ServerInfo {
  /** The API the client speaks to it ('victoriametrics' for VictoriaMetrics, the one server that is no InfluxDB). */
  api: ApiName;
  /** The version the server names, if it names one. */
  version: string | undefined;
  /** The product the server names (InfluxDB 3: "InfluxDB 3 Core", "InfluxDB 3 Enterprise"). */
  product: string | undefined;
}

/** Asks `/ping`; throws the exception a failed answer means. */
export async function ping(transport: Transport, signal?: AbortSignal, tokenScheme?: TokenScheme): Promise<TransportResponse> {
  const response = await transport.request({
    method: 'GET',
    path: '/ping',
    signal,
    tokenScheme,
    cut: MAX_ERROR_ANSWER_BYTES,
  });
  if (response.status !== 204 && response.status !== 200) throw exceptionFromResponse('ping', response);
  return response;
}

/** What a `/ping` answer says the server is. */
export function serverOfPing(response: TransportResponse): ServerInfo {
  const header = response.headers['x-influxdb-version'];
  const named = (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
  const body = jsonObject(response.body);
  const version = named ?? (typeof body?.version === 'string' ? body.version : undefined);
  const product = typeof body?.product_name === 'string' && body.product_name !== '' ? body.product_name : undefined;
  if (version === undefined) return { api: 'victoriametrics', version: undefined, product: undefined };
  const major = /^v?(\d+)\./.exec(version)?.[1];
  const api: ApiName = major === '2' ? '2' : major === '3' || product?.startsWith('InfluxDB 3') ? '3' : '1';
  return { api, version, product };
}

/** The server for a status line: "InfluxDB 1.6.7", "InfluxDB 2.9.1", "InfluxDB 3.5.0 Core", "VictoriaMetrics". */
export function describeServer(server: ServerInfo): string {
  if (server.api === 'victoriametrics') return 'VictoriaMetrics';
  const version = server.version?.replace(/^v/, '');
  const edition = server.product?.replace(/^InfluxDB 3\s*/, '') ?? '';
  if (version === undefined) return server.api === '1' ? 'InfluxDB' : `InfluxDB ${server.api}.x`;
  return edition === '' ? `InfluxDB ${version}` : `InfluxDB ${version} ${edition}`;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
