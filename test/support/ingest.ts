/**
 * The gateway flow most runtime tests deploy: readings POSTed to Node-RED's HTTP input, optionally
 * through a Function node, into "inflow out", answered once the message is done (a Complete node).
 */
import type { NodeRedProcess } from './node-red';

export interface IngestFlow {
  dsn: string;
  /** The server's request timeout, ms. Default 1000. */
  timeout?: number;
  /** The body of a Function node between the HTTP input and inflow out. */
  func?: string;
  /** Answer each request as it arrives, rather than once its message is done. */
  answerAtOnce?: boolean;
  /** Properties of the inflow out node (id `writer`) over the defaults: commit every 50, or after 200 ms, spool on. */
  writer?: Record<string, unknown>;
}

export function ingestFlow({ dsn, timeout = 1000, func, answerAtOnce = false, writer = {} }: IngestFlow): unknown[] {
  const into = func === undefined ? 'writer' : 'route';
  return [
    { id: 'tab1', type: 'tab', label: 'ingest' },
    { id: 'server1', type: 'inflow-config', dsn, precision: 'ms', retentionPolicy: '', timeout },
    {
      id: 'httpIn',
      type: 'http in',
      z: 'tab1',
      url: '/reading',
      method: 'post',
      upload: false,
      wires: [answerAtOnce ? [into, 'respond'] : [into]],
    },
    ...(func === undefined ? [] : [{ id: 'route', type: 'function', z: 'tab1', func, outputs: 1, wires: [['writer']] }]),
    {
      id: 'writer',
      type: 'inflow out',
      z: 'tab1',
      server: 'server1',
      measurement: 'readings',
      autocommitEvery: 50,
      flushInterval: 200,
      spool: true,
      wires: [],
      ...writer,
    },
    ...(answerAtOnce
      ? []
      : [{ id: 'whenWritten', type: 'complete', z: 'tab1', scope: ['writer'], uncaught: false, wires: [['respond']] }]),
    { id: 'respond', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] },
  ];
}

/** POSTs a reading as JSON to the flow; the answer's status (once the message is done), or 0 when Node-RED did not answer. */
export async function postReading(runtime: NodeRedProcess, reading: unknown, timeout = 60_000): Promise<number> {
  try {
    const response = await fetch(`${runtime.url}/reading`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reading),
      signal: AbortSignal.timeout(timeout),
    });
    await response.text();
    return response.status;
  } catch {
    return 0;
  }
}
