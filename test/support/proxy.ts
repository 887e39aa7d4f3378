/**
 * A small HTTP proxy in front of a real server, for tests: it records what the client sent and can
 * inject faults (a delay, a canned answer) for the next requests. Everything else reaches the server.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  /** Lines of line protocol the body holds, unpacked when it came gzipped. */
  lines: number;
  /** When it arrived, on the monotonic clock (performance.now()). */
  at: number;
}

export interface Fault {
  /** Wait this long before forwarding (or answering). */
  delayMs?: number;
  /** Answer with this instead of forwarding. */
  respond?: { status: number; headers?: Record<string, string>; body?: string };
  /** Answer with this status and a body that never ends: `chunk` again and again, until the client hangs up. */
  stream?: { status: number; chunk: string };
  /** How many requests the fault applies to; then requests pass again. Default: all. */
  times?: number;
  /** Only requests whose path starts with this (such as `/write`); others pass. Default: every request. */
  path?: string;
}

export class FaultProxy {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections the client opened to the proxy. */
  connections = 0;
  /** Requests received and not yet answered, and the most there were at once. */
  inFlight = 0;
  peakInFlight = 0;
  private faults: Fault[] = [];

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server);
    server.on('connection', () => proxy.connections++);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        proxy.inFlight++;
        proxy.peakInFlight = Math.max(proxy.peakInFlight, proxy.inFlight);
        res.once('close', () => proxy.inFlight--);
        const plain = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
        proxy.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          bodyBytes: body.length,
          lines: plain
            .toString('utf8')
            .split('\n')
            .filter((line) => line !== '').length,
          at: performance.now(),
        });
        const fault = proxy.takeFault(req.url ?? '');
        const forward = (): void => {
          if (fault?.stream) {
            res.writeHead(fault.stream.status, { 'content-type': 'text/plain' });
            const chunk = Buffer.from(fault.stream.chunk);
            const pour = (): void => {
              while (!res.destroyed && res.write(chunk));
              if (!res.destroyed) res.once('drain', pour);
            };
            pour();
            return;
          }
          if (fault?.respond) {
            res.writeHead(fault.respond.status, fault.respond.headers ?? {});
            res.end(fault.respond.body ?? '');
            return;
          }
          const upstream = httpRequest(
            { host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          upstream.on('error', () => {
            res.writeHead(502);
            res.end('upstream unreachable');
          });
          upstream.end(body);
        };
        if (fault?.delayMs) setTimeout(forward, fault.delayMs);
        else forward();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  dsn(database: string, credentials?: { username: string; password: string }): string {
    const auth = credentials ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@` : '';
    return `http://${auth}127.0.0.1:${this.port}/${database}`;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(url: string): Fault | undefined {
    const fault = this.faults[0];
    if (fault === undefined || (fault.path !== undefined && !url.startsWith(fault.path))) return undefined;
    if (fault.times !== undefined) {
      fault.times--;
      if (fault.times <= 0) this.faults.shift();
    }
    return fault;
  }
}
