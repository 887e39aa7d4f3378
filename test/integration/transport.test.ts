import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { getEventListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, ClientClosedException } from '../../src';
import { InfluxServer, READER, WRITER } from '../support/influxd';
import { ConnectProxy } from '../support/connect-proxy';
import { FaultProxy } from '../support/proxy';
import { waitFor } from '../support/waiting';

let server: InfluxServer;
let proxy: FaultProxy;

before(async () => {
  server = await InfluxServer.start({ auth: true });
  proxy = await FaultProxy.start({ host: server.host, port: server.port });
});
after(async () => {
  await proxy.close();
  await server.stop();
});

/**
 * A server that answers /ping and holds every other request's answer (in `answers`), and a Client of it with
 * four connections: its writes wait on them, then for one of them.
 */
async function clientOfSilentServer(): Promise<{ answers: ServerResponse[]; sink: Server; client: Client }> {
  const answers: ServerResponse[] = [];
  const sink = createServer((request, response) =>
    request.resume().on('end', () => (request.url === '/ping' ? response.writeHead(204).end() : answers.push(response))),
  );
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const client = new Client(`http://127.0.0.1:${(sink.address() as AddressInfo).port}/db`, { maxConnections: 4 });
  return { answers, sink, client };
}

describe('transport, as seen on the wire', () => {
  it('sends credentials in an Authorization: Basic header, never in the URL', async () => {
    proxy.requests.length = 0;
    const client = new Client(proxy.dsn('authdb', WRITER));
    await client.write('cpu', { v: 1 });
    // The /ping that finds the server's API, then the write: both with the header, neither with the password in the URL.
    assert.deepEqual(
      proxy.requests.map((request) => request.url),
      ['/ping', '/write?db=authdb&precision=s'],
    );
    for (const request of proxy.requests) {
      assert.equal(
        request.headers.authorization,
        `Basic ${Buffer.from(`${WRITER.username}:${WRITER.password}`).toString('base64')}`,
      );
      assert.ok(!request.url.includes(WRITER.password));
      assert.doesNotMatch(request.url, /[?&](u|p)=/);
    }
    await client.close();
  });

  it('sends a token as Authorization: Token', async () => {
    proxy.requests.length = 0;
    const client = new Client(proxy.dsn('authdb'), { token: 'tok' });
    await client.write('cpu', { v: 1 }).catch(() => undefined);
    assert.equal(proxy.requests[0]?.headers.authorization, 'Token tok');
    await client.close();
  });

  it('gzips bodies from the threshold on, and not below it', async () => {
    proxy.requests.length = 0;
    const client = new Client(proxy.dsn('authdb', WRITER), { gzipThreshold: 1000 });
    await client.detectServer();
    proxy.requests.length = 0;
    await client.write('small', { v: 1 });
    const rows = Array.from({ length: 500 }, (_, i) => ({ v: i, timestamp: i + 1 }));
    await client.write({ name: 'large', tags: { host: 'gateway-1' } }, rows);
    const [small, large] = proxy.requests;
    assert.equal(small?.headers['content-encoding'], undefined);
    assert.equal(large?.headers['content-encoding'], 'gzip');
    assert.ok((large?.bodyBytes ?? 0) < 500 * 20, `gzipped body is ${large?.bodyBytes} bytes`);
    const count = await server.rows('SELECT count(v) FROM large', 'authdb');
    assert.equal(count[0]?.count, 500);
    await client.close();
  });

  it('sends plain bodies to a server on this machine unless told otherwise', async () => {
    proxy.requests.length = 0;
    const client = new Client(proxy.dsn('authdb', WRITER));
    await client.detectServer();
    proxy.requests.length = 0;
    const rows = Array.from({ length: 500 }, (_, i) => ({ v: i, timestamp: i + 1 }));
    await client.write({ name: 'plain', tags: { host: 'gateway-1' } }, rows);
    const [request] = proxy.requests;
    assert.equal(request?.headers['content-encoding'], undefined);
    assert.ok((request?.bodyBytes ?? 0) > 500 * 20, `plain body is ${request?.bodyBytes} bytes`);
    const count = await server.rows('SELECT count(v) FROM plain', 'authdb');
    assert.equal(count[0]?.count, 500);
    await client.close();
  });

  it('asks for gzipped query answers and reads them', async () => {
    proxy.requests.length = 0;
    const client = new Client(proxy.dsn('authdb'), { username: 'admin', password: 'admin-secret-Pa55' });
    await client.detectServer();
    proxy.requests.length = 0;
    const results = await client.query('SELECT count(v) FROM large');
    assert.equal(results[0]?.values[0]?.count, 500);
    assert.equal(proxy.requests[0]?.headers['accept-encoding'], 'gzip');
    assert.equal(proxy.requests[0]?.method, 'POST');
    await client.close();
  });

  it('reuses at most maxConnections keep-alive connections for many concurrent writes', async () => {
    const before = proxy.connections;
    const client = new Client(proxy.dsn('authdb', WRITER), { maxConnections: 2 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.write('concurrent', { v: i, timestamp: i + 1 })));
    assert.ok(proxy.connections - before <= 2, `opened ${proxy.connections - before} connections`);
    const count = await server.rows('SELECT count(v) FROM concurrent', 'authdb');
    assert.equal(count[0]?.count, 200);
    await client.close();
  });

  it('close() lets a request under way finish, then refuses new ones', async () => {
    const client = new Client(proxy.dsn('authdb', WRITER));
    await client.detectServer();
    proxy.inject({ delayMs: 300, times: 1 });
    const inFlight = client.write('closing', { v: 1, timestamp: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.close();
    await inFlight;
    assert.equal((await server.rows('SELECT * FROM closing', 'authdb')).length, 1);
  });

  it('close({ abandonAfter }) fails a request the server does not answer, rather than waiting for its timeout', async () => {
    proxy.inject({ delayMs: 5000, times: 1 });
    const client = new Client(proxy.dsn('authdb', WRITER), { timeout: 10_000 });
    const inFlight = client.write('abandoned', { v: 1, timestamp: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await client.close({ abandonAfter: 200 });
    const closing = Date.now() - started;
    assert.ok(closing < 2000, `close waited ${closing} ms`);
    const abandoned = await inFlight;
    assert.ok(abandoned instanceof ClientClosedException, String(abandoned));
    assert.match(abandoned.message, /^the client was closed before http:\/\/127\.0\.0\.1:\d+ answered/);
  });

  it('close({ abandonAfter }) with more writes than connections, none answered, ends then and fails every write', async () => {
    // Four writes wait on the connections, eight for one of them.
    const { answers, sink, client } = await clientOfSilentServer();
    try {
      const writes = Array.from({ length: 12 }, (_, i) =>
        client.writeLines([`m v=${i}`]).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
      await waitFor(() => answers.length === 4, 'four writes sent, eight waiting for a connection');
      const started = Date.now();
      const closed = await Promise.race([
        client.close({ abandonAfter: 200 }).then(() => 'closed'),
        new Promise((resolve) => setTimeout(resolve, 5000, 'still closing after 5 s')),
      ]);
      assert.equal(closed, 'closed');
      assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
      const outcomes = await Promise.all(writes);
      assert.deepEqual(
        outcomes.map((outcome) => (outcome as Error | undefined)?.constructor.name),
        Array.from({ length: 12 }, () => 'ClientClosedException'),
      );
    } finally {
      for (const answer of answers) answer.destroy();
      sink.close();
    }
  });

  it('a long-lived signal given to many writes keeps nothing of each (a writer runs for months)', async () => {
    // A server that answers 204 at once: influxd fsyncs every write, and this is about the client's memory.
    const sink = createServer((request, response) => request.resume().on('end', () => response.writeHead(204).end()));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const client = new Client(`http://127.0.0.1:${(sink.address() as AddressInfo).port}/db`);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const signal = new AbortController().signal;
    const writes = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 4) {
        await Promise.all([0, 1, 2, 3].map(() => client.writeLines(['m v=1'], { signal })));
      }
    };
    // node:test keeps a record of every promise of a test until its destroy hook runs, a turn after the
    // collection that found it dead: a second collection a moment later counts only what the client kept.
    const collect = async (): Promise<void> => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
      gc();
    };
    try {
      await writes(4000);
      await collect();
      const before = process.memoryUsage().heapUsed;
      await writes(60_000);
      await collect();
      const grown = process.memoryUsage().heapUsed - before;
      // Combining the signals with AbortSignal.any kept ~44 bytes a request on Node 20: 2.6 MB here.
      assert.ok(grown < 1.5 * 1024 * 1024, `the heap grew by ${(grown / 1024).toFixed(0)} KB over 60,000 writes`);
    } finally {
      await client.close();
      sink.close();
    }
  });

  it('two dozen writes waiting at once on one signal give it one listener: no leak warning, and abandoning it ends them all', async () => {
    // The writes wait on the four connections and in the pool's queue.
    const { answers, sink, client } = await clientOfSilentServer();
    const warnings: string[] = [];
    const onWarning = (warning: Error): number => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    const flowStopped = new AbortController();
    try {
      const writes = Array.from({ length: 24 }, (_, i) =>
        client.writeLines([`m v=${i}`], { signal: flowStopped.signal }).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
      await waitFor(() => answers.length === 4, 'four writes sent, twenty waiting for a connection');
      assert.equal(getEventListeners(flowStopped.signal, 'abort').length, 1);
      flowStopped.abort(new ClientClosedException('the flow was stopped'));
      const outcomes = await Promise.all(writes);
      assert.deepEqual(
        outcomes.map((outcome) => (outcome as Error | undefined)?.message),
        Array.from({ length: 24 }, () => 'the flow was stopped'),
      );
      // Node emits its warnings a tick after the listener that crossed the limit.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
      for (const answer of answers) answer.destroy();
      await client.close({ abandonAfter: 0 });
      sink.close();
    }
  });

  it('with a proxy set, writes and queries go through its CONNECT tunnel, credentials inside it', async () => {
    const forward = await ConnectProxy.start();
    const client = new Client(server.dsn('authdb', WRITER), { proxy: forward.url });
    try {
      await client.write('through_proxy', { v: 1, timestamp: 1 });
      const reader = new Client(server.dsn('authdb', READER), { proxy: forward.url });
      const stored = await reader.query('SELECT v FROM through_proxy', { epoch: 's' });
      await reader.close();
      assert.deepEqual(stored[0]?.values, [{ time: 1, v: 1 }]);
      assert.ok(forward.tunnels.length >= 2, `tunnels: ${forward.tunnels.join(', ')}`);
      for (const tunnel of forward.tunnels) assert.equal(tunnel, `${server.host}:${server.port}`);
      // The proxy sees the host asked for, and no credential in any form.
      for (const { username, password } of [WRITER, READER]) {
        const basic = Buffer.from(`${username}:${password}`).toString('base64');
        for (const headers of forward.headers) {
          assert.ok(!headers.includes(password) && !headers.includes(basic), `the proxy saw: ${headers}`);
          assert.doesNotMatch(headers, /authorization/i);
        }
      }
    } finally {
      await client.close();
      await forward.stop();
    }
  });

  it('shows a masked DSN, never the password', () => {
    const client = new Client(proxy.dsn('authdb', WRITER));
    assert.equal(client.displayDsn, `http://writer:***@127.0.0.1:${proxy.port}/authdb`);
    assert.ok(!String(client).includes(WRITER.password));
    const base64 = Buffer.from(`${WRITER.username}:${WRITER.password}`).toString('base64');
    for (const shown of [JSON.stringify(client), inspect(client, { depth: 10, showHidden: true })]) {
      assert.ok(!shown.includes(WRITER.password) && !shown.includes(base64), shown);
    }
    void client.close();
  });
});
