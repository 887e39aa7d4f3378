/** The HTTP part the test servers share: a loopback server on a free port, bodies (gzip too), a log, faults on demand. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type Route = (request: Received) => Answer | Promise<Answer>;

/** Answers the next `count` requests to a path with `answer` instead (429 or 503 with Retry-After, say). */
interface Fault {
  path: string;
  count: number;
  answer: Answer;
}

export class TestHttpServer {
  readonly received: Received[] = [];
  private server: Server | undefined;
  private readonly faults: Fault[] = [];
  port = 0;

  constructor(
    private readonly route: Route,
    private readonly everyAnswer: Record<string, string> = {},
    private readonly maxBodyBytes = 50 * 1024 * 1024,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  failNext(path: string, count: number, answer: Answer): void {
    this.faults.push({ path, count, answer });
  }

  /** Requests received on a path. */
  requestsTo(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      chunks.push(chunk as Buffer);
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    let answer: Answer;
    let body: string;
    try {
      const raw = Buffer.concat(chunks);
      body = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
        for (const [key, value] of new URLSearchParams(body)) url.searchParams.set(key, value);
      }
      const received: Received = {
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        authorization: request.headers.authorization,
        body,
      };
      this.received.push(received);
      const fault = this.faults.find((candidate) => candidate.path === received.path && candidate.count > 0);
      if (fault !== undefined) {
        fault.count--;
        answer = fault.answer;
      } else if (size > this.maxBodyBytes) {
        answer = { status: 413, body: 'too large' };
      } else {
        answer = await this.route(received);
      }
    } catch (error) {
      answer = { status: 500, body: JSON.stringify({ code: 'internal error', message: String(error) }) };
    }
    response.writeHead(answer.status, { ...this.everyAnswer, ...answer.headers });
    response.end(answer.body ?? '');
  }
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}
