/**
 * Misbehaving answers between inflow out and a real influxd, through a fault proxy: slow answers
 * under load, Retry-After extremes, endless and huge error bodies, a 200 that is a web page, and a
 * token no HTTP header can carry. Each must end the messages it concerns with the right error, and
 * never acknowledge what was not stored.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client, ConfigurationException } from '../../src';
import { InfluxServer } from '../support/influxd';
import { helper, inflowNodes, sleep, statusTexts, waitFor, type Message, watched, watchersOf } from '../support/flows';
import { FaultProxy } from '../support/proxy';

let server: InfluxServer;
let proxy: FaultProxy;
let userDir: string;
let counter = 0;

before(async () => {
  server = await InfluxServer.start();
  userDir = mkdtempSync(path.join(tmpdir(), 'inflow-faults-'));
});
afterEach(async () => {
  await helper.unload();
  await proxy?.close();
  helper.settings({ userDir: undefined, inflowOutRetry: undefined });
});
after(async () => {
  rmSync(userDir, { recursive: true, force: true });
  await server.stop();
});

interface Flow {
  db?: string;
  timeout?: number;
  spool?: boolean;
  autocommitEvery?: number;
  credentials?: Record<string, string>;
}

/** inflow out (with the disk spool unless told otherwise) writing through a fresh fault proxy, watched by Catch and Complete nodes. */
async function load(flow: Flow = {}): Promise<{ db: string; caught: Message[]; completed: Message[] }> {
  const db = flow.db ?? `faults_${++counter}`;
  await server.createDatabase(db);
  proxy = await FaultProxy.start({ host: server.host, port: server.port });
  helper.settings({ userDir, inflowOutRetry: { firstDelay: 200, maxDelay: 500, jitter: 0, maxRetryTime: 60_000 } });
  await helper.load(
    inflowNodes,
    [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: proxy.dsn(db), precision: 'ms', timeout: flow.timeout ?? 5000 },
      {
        id: `out${counter}`,
        type: 'inflow out',
        z: 'tab',
        server: 'cfg',
        measurement: 'm',
        autocommitEvery: flow.autocommitEvery ?? 10,
        flushInterval: 50,
        spool: flow.spool ?? true,
        wires: [],
      },
      ...watchersOf(`out${counter}`),
    ],
    flow.credentials === undefined ? {} : { cfg: flow.credentials },
  );
  return { db, ...watched() };
}

const out = (): ReturnType<typeof helper.getNode> => helper.getNode(`out${counter}`);
const writes = (): number => proxy.requests.filter((request) => request.url.startsWith('/write')).length;
const errorOf = (msg: Message | undefined): { message: string; code: string } => msg?.error as { message: string; code: string };

describe('faults between inflow out and InfluxDB', () => {
  it('under load, writes to missing databases fail as DatabaseNotFoundException; waiting for a connection is no timeout, so none is spooled and acknowledged', async () => {
    const { caught, completed } = await load({ timeout: 400 });
    // Every answer takes 200 ms: 40 requests on 4 connections wait up to 2 s for one, far past the 400 ms timeout.
    proxy.inject({ delayMs: 200, path: '/write' });
    for (let i = 0; i < 400; i++) out().receive({ payload: { value: i }, database: `missing_${i % 20}` });
    await waitFor(() => caught.length + completed.length === 400, 'every message settled', 20_000);
    assert.equal(completed.length, 0, 'no message to a missing database may be acknowledged');
    assert.deepEqual([...new Set(caught.map((msg) => errorOf(msg).code))], ['DatabaseNotFoundException']);
  });

  for (const retryAfter of ['0', '3000000']) {
    it(`Retry-After: ${retryAfter} is clamped between the first and the longest retry delay: no storm, no stall`, async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): number => warnings.push(warning.name);
      process.on('warning', onWarning);
      try {
        const { db, completed } = await load({ spool: false, autocommitEvery: 1 });
        proxy.inject({
          respond: { status: 503, headers: { 'retry-after': retryAfter }, body: '{"error":"busy"}' },
          path: '/write',
        });
        out().receive({ payload: { value: 1, timestamp: 1_700_000_000_000 } });
        await sleep(3000);
        // Retries 200 ms (the first delay) to 500 ms (the longest) apart: 6 to 16 tries in 3 s.
        const tries = writes();
        assert.ok(tries >= 6 && tries <= 16, `${tries} requests in 3 s`);
        proxy.clearFaults();
        await waitFor(() => completed.length === 1, 'the point written once the server takes it', 3000);
        assert.equal((await server.rows('SELECT value FROM m', db)).length, 1);
        assert.deepEqual(
          warnings.filter((name) => name === 'TimeoutOverflowWarning'),
          [],
        );
      } finally {
        process.off('warning', onWarning);
      }
    });
  }

  it('an error answer that never ends is read up to a cap: the write fails at once, memory stays flat, and the error says it was cut', async () => {
    proxy = await FaultProxy.start({ host: server.host, port: server.port });
    proxy.inject({ stream: { status: 500, chunk: 'x'.repeat(64 * 1024) }, path: '/write' });
    const client = new Client(proxy.dsn('anything'), { timeout: 5000 });
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await assert.rejects(client.write('m', { value: 1 }), (error: Error & { serverMessage?: string }) => {
      assert.equal(error.name, 'WriteFailedException');
      assert.match(error.message, /an answer of more than 65536 bytes, cut there/);
      assert.ok((error.serverMessage ?? '').length < 1000, `serverMessage of ${error.serverMessage?.length} characters`);
      return true;
    });
    assert.ok(performance.now() - started < 2000, `took ${Math.round(performance.now() - started)} ms`);
    const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(grown < 50, `RSS grew by ${grown.toFixed(0)} MB`);
    await client.close();
  });

  it('a 10 MB error text is cut to 64 KiB: the exception holds that much at most, and each failed message a short error', async () => {
    const { caught } = await load({ spool: false });
    proxy.inject({ respond: { status: 400, body: 'y'.repeat(10 * 2 ** 20) }, path: '/write' });
    const client = new Client(proxy.dsn('anything'));
    await assert.rejects(client.write('m', { value: 1 }), (error: Error & { serverMessage?: string }) => {
      assert.match(error.message, /an answer of more than 65536 bytes, cut there/);
      assert.ok((error.serverMessage ?? '').length < 1000, `serverMessage of ${error.serverMessage?.length} characters`);
      return true;
    });
    await client.close();
    for (let i = 0; i < 3; i++) out().receive({ payload: { value: i } });
    await waitFor(() => caught.length === 3, 'the three messages failed', 10_000);
    for (const msg of caught) {
      assert.equal(errorOf(msg).code, 'WriteFailedException');
      assert.match(errorOf(msg).message, /cut there/);
      assert.ok(JSON.stringify(msg.error).length < 5000, `msg.error is ${JSON.stringify(msg.error).length} characters of JSON`);
    }
  });

  it('a 200 with a web page (a captive portal) is not "written": every message fails, and none is written later', async () => {
    const { db, caught, completed } = await load();
    proxy.inject({
      respond: { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Please log in</body></html>' },
      path: '/write',
    });
    for (let i = 0; i < 50; i++) out().receive({ payload: { value: i } });
    await waitFor(() => caught.length + completed.length === 50, 'every message settled', 10_000);
    assert.equal(completed.length, 0);
    assert.equal(errorOf(caught[0]).code, 'WriteFailedException');
    assert.match(errorOf(caught[0]).message, /answered HTTP 200 with a body \(text\/html.*nothing was stored/);
    proxy.clearFaults();
    await sleep(1000);
    assert.equal((await server.rows('SELECT value FROM m', db)).length, 0, 'a failed message is never written by a retry');
  });

  for (const [what, token, words] of [
    ['a trailing newline', 'my-token-1234\n', /line break at its end/],
    ['a character outside Latin-1', 'my-tökén€-1234', /outside Latin-1 at character 9 of 14/],
  ] as const) {
    it(`a token with ${what} is refused when the flows start, with a ConfigurationException that does not print it`, async () => {
      const { caught, completed } = await load({ credentials: { token } });
      out().receive({ payload: { value: 1 } });
      await waitFor(() => caught.length === 1, 'the message failed');
      assert.equal(completed.length, 0);
      assert.equal(errorOf(caught[0]).code, 'ConfigurationException');
      assert.match(errorOf(caught[0]).message, words);
      assert.doesNotMatch(errorOf(caught[0]).message, /my-t/);
      assert.ok(
        statusTexts(out()).some((text) => words.test(text)),
        statusTexts(out()).join(' | '),
      );
      assert.equal(writes(), 0, 'no request was ever sent');
    });
  }

  it('the library refuses such a token when the client is made', () => {
    assert.throws(() => new Client('http://127.0.0.1:8086/db', { token: 'abc\r\n' }), ConfigurationException);
    assert.throws(() => new Client('http://127.0.0.1:8086/db', { token: ' abc' }), /white space/);
  });
});
