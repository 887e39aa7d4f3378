import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  ClientClosedException,
  ConfigurationException,
  ConnectionFailedException,
  DatabaseNotFoundException,
  ForbiddenException,
  InfluxDBException,
  InvalidArgumentException,
  QueryFailedException,
  RetentionPolicyNotFoundException,
  TimeoutException,
  UnauthorizedException,
  WriteFailedException,
} from '../../src';
import { ADMIN, freePort, InfluxServer, READER, WRITER } from '../support/influxd';
import { FaultProxy } from '../support/proxy';

const SECRETS = [ADMIN.password, READER.password, WRITER.password, 'wrong-Pa55word'];

/** Asserts a rejection of the given class whose message holds the server's words and no secret. */
async function rejectsWith(
  promise: Promise<unknown>,
  type: new (...args: never[]) => InfluxDBException,
  words: RegExp,
  status?: number,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal(error.name, type.name);
    assert.equal(error.code, type.name);
    if (status !== undefined) assert.equal(error.status, status);
    assert.match(error.message, words);
    for (const secret of SECRETS) assert.ok(!error.message.includes(secret), `secret in: ${error.message}`);
    assert.ok(!String(error.stack).includes(ADMIN.password));
    return true;
  });
}

describe('exceptions from a real server', () => {
  let server: InfluxServer;
  let client: Client;

  before(async () => {
    server = await InfluxServer.start({ http: ['max-body-size = 2000'] });
    await server.createDatabase('e');
    client = new Client(server.dsn('e'), { gzipThreshold: Number.POSITIVE_INFINITY });
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  it("WriteFailedException: a field type conflict, with the server's words", async () => {
    await client.write('cpu', { value: 1n, timestamp: 1 });
    await rejectsWith(
      client.write('cpu', { value: 1.5, timestamp: 2 }),
      WriteFailedException,
      /field type conflict: input field "value" on measurement "cpu" is type float, already exists as type integer/,
      400,
    );
  });

  it('WriteFailedException: a line the server cannot parse', async () => {
    await rejectsWith(
      client.writeLines(['cpu value=']),
      WriteFailedException,
      /unable to parse 'cpu value=': missing field value/,
      400,
    );
  });

  it("WriteFailedException: a body over the server's max-body-size (413)", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ value: i, timestamp: i + 1 }));
    await rejectsWith(client.write({ name: 'big' }, rows), WriteFailedException, /Request Entity Too Large/, 413);
  });

  it('DatabaseNotFoundException for a write to a missing database', async () => {
    await rejectsWith(
      client.write('cpu', { v: 1 }, { database: 'nodb' }),
      DatabaseNotFoundException,
      /database not found: "nodb"/,
      404,
    );
  });

  it('RetentionPolicyNotFoundException for a missing retention policy (a 500 on 1.x)', async () => {
    await rejectsWith(
      client.write('cpu', { v: 1 }, { retentionPolicy: 'nope' }),
      RetentionPolicyNotFoundException,
      /retention policy not found: nope/,
      500,
    );
  });

  it('QueryFailedException for bad InfluxQL', async () => {
    await rejectsWith(client.query('SELECT FROM'), QueryFailedException, /error parsing query/, 400);
  });

  it('DatabaseNotFoundException for a query of a missing database (an error inside a 200)', async () => {
    await rejectsWith(
      client.query('SELECT * FROM cpu', { database: 'nodb' }),
      DatabaseNotFoundException,
      /database not found: nodb/,
    );
  });

  it('ConnectionFailedException when nothing listens', async () => {
    const port = await freePort();
    const nowhere = new Client(`http://127.0.0.1:${port}/e`);
    await rejectsWith(
      nowhere.write('cpu', { v: 1 }),
      ConnectionFailedException,
      new RegExp(`could not reach http://127.0.0.1:${port}: .*ECONNREFUSED`),
    );
    await nowhere.close();
  });

  it('TimeoutException when the server answers later than the timeout', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    proxy.inject({ delayMs: 1500, times: 1 });
    const slow = new Client(proxy.dsn('e'), { timeout: 300 });
    const started = Date.now();
    await rejectsWith(slow.write('cpu', { v: 1 }), TimeoutException, /no answer from http:\/\/127.0.0.1:\d+ within 300 ms/);
    assert.ok(Date.now() - started < 1200, 'gave up at the timeout, not when the answer came');
    await slow.close();
    await proxy.close();
  });

  it('a write abandoned through its signal fails at once, with the reason given or a TimeoutException', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const client = new Client(proxy.dsn('e'), { timeout: 10_000 });
    try {
      proxy.inject({ delayMs: 3000, times: 2 });
      const started = Date.now();
      await rejectsWith(
        client.write('cpu', { v: 1 }, { signal: AbortSignal.timeout(200) }),
        TimeoutException,
        /abandoned before its answer/,
      );
      const stopping = new AbortController();
      setTimeout(() => stopping.abort(new ClientClosedException('the flow stopped')), 200);
      await rejectsWith(client.write('cpu', { v: 1 }, { signal: stopping.signal }), ClientClosedException, /^the flow stopped$/);
      assert.ok(Date.now() - started < 2500, 'each write gave up when abandoned, not when the answer came');
      await rejectsWith(
        client.write('cpu', { v: 1 }, { signal: 'soon' as never }),
        InvalidArgumentException,
        /write option signal must be an AbortSignal, not string/,
      );
    } finally {
      await client.close({ abandonAfter: 0 });
      await proxy.close();
    }
  });

  it('a write abandoned while it waits for a connection fails at once; the write on that connection is unharmed', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const client = new Client(proxy.dsn('e'), { timeout: 10_000, maxConnections: 1 });
    try {
      await client.write('queued_abandon', { v: 0, timestamp: 0 });
      proxy.inject({ delayMs: 1500, times: 1 });
      const first = client.write('queued_abandon', { v: 1, timestamp: 1 });
      const waiting = new AbortController();
      setTimeout(() => waiting.abort(new ClientClosedException('the flow stopped')), 200);
      const started = Date.now();
      await rejectsWith(
        client.write('queued_abandon', { v: 2, timestamp: 2 }, { signal: waiting.signal }),
        ClientClosedException,
        /^the flow stopped$/,
      );
      assert.ok(Date.now() - started < 1000, 'gave up when abandoned, not when the connection came free');
      await first;
      const stored = await client.query('SELECT v FROM queued_abandon', { epoch: 's' });
      assert.deepEqual(stored[0]?.values, [
        { time: 0, v: 0 },
        { time: 1, v: 1 },
      ]);
    } finally {
      await client.close({ abandonAfter: 0 });
      await proxy.close();
    }
  });

  it('a write whose signal was abandoned before it is sent fails with its reason and sends nothing', async () => {
    const client = new Client(server.dsn('e'));
    try {
      const stopped = new AbortController();
      stopped.abort(new ClientClosedException('the flow stopped'));
      await rejectsWith(
        client.write('sent_abandoned', { v: 1, timestamp: 1 }, { signal: stopped.signal }),
        ClientClosedException,
        /^the flow stopped$/,
      );
      await client.write('sent_abandoned', { v: 2, timestamp: 2 });
      const stored = await client.query('SELECT v FROM sent_abandoned', { epoch: 's' });
      assert.deepEqual(stored[0]?.values, [{ time: 2, v: 2 }]);
    } finally {
      await client.close();
    }
  });

  it('ClientClosedException after close', async () => {
    const closing = new Client(server.dsn('e'));
    await closing.ping();
    await closing.close();
    assert.equal(closing.closed, true);
    await rejectsWith(closing.write('cpu', { v: 1 }), ClientClosedException, /closed/);
  });

  it('ConfigurationException for options that cannot work', () => {
    assert.throws(() => new Client(server.dsn('e'), { precision: 'us' as never }), ConfigurationException);
    assert.throws(() => new Client(server.dsn('e'), { timeout: 0 }), /timeout must be a number of milliseconds above 0/);
    assert.throws(() => new Client(server.dsn('e'), { maxConnections: 0 }), /maxConnections must be a whole number/);
    assert.throws(
      () => new Client('http://user:hunter2@host'),
      (error: Error) => !error.message.includes('hunter2'),
    );
  });
});

describe('exceptions from a server with authentication', () => {
  let server: InfluxServer;

  before(async () => {
    server = await InfluxServer.start({ auth: true });
  });
  after(async () => {
    await server.stop();
  });

  it('lets a writer write and a reader read', async () => {
    const writer = new Client(server.dsn('authdb', WRITER));
    const reader = new Client(server.dsn('authdb', READER));
    await writer.write('cpu', { v: 1, timestamp: 1 });
    assert.deepEqual(await reader.query('SELECT * FROM cpu', { epoch: 's' }), [{ name: 'cpu', values: [{ time: 1, v: 1 }] }]);
    await writer.close();
    await reader.close();
  });

  it('takes credentials from options instead of the DSN: the point is stored', async () => {
    const client = new Client(server.dsn('authdb'), { username: WRITER.username, password: WRITER.password });
    await client.write('cpu', { v: 2, timestamp: 2 });
    await client.close();
    const reader = new Client(server.dsn('authdb', READER));
    assert.deepEqual(await reader.query("SELECT v FROM cpu WHERE time = '1970-01-01T00:00:02Z'", { epoch: 's' }), [
      { name: 'cpu', values: [{ time: 2, v: 2 }] },
    ]);
    await reader.close();
  });

  it('UnauthorizedException without credentials', async () => {
    const anonymous = new Client(server.dsn('authdb'));
    await rejectsWith(anonymous.write('cpu', { v: 1 }), UnauthorizedException, /unable to parse authentication credentials/, 401);
    await rejectsWith(
      anonymous.query('SELECT * FROM cpu'),
      UnauthorizedException,
      /unable to parse authentication credentials/,
      401,
    );
    await anonymous.close();
  });

  it('UnauthorizedException for a wrong password, which never shows in the message', async () => {
    const wrong = new Client(server.dsn('authdb', { username: WRITER.username, password: 'wrong-Pa55word' }));
    await rejectsWith(wrong.write('cpu', { v: 1 }), UnauthorizedException, /authorization failed/, 401);
    await wrong.close();
  });

  it('UnauthorizedException for a token on a 1.x server (tokens are for 2.x and 3.x)', async () => {
    const token = new Client(server.dsn('authdb'), { token: 'some-token' });
    await rejectsWith(token.write('cpu', { v: 1 }), UnauthorizedException, /./, 401);
    await token.close();
  });

  it('ForbiddenException when a reader writes', async () => {
    const reader = new Client(server.dsn('authdb', READER));
    await rejectsWith(
      reader.write('cpu', { v: 1 }),
      ForbiddenException,
      /"reader" user is not authorized to write to database "authdb"/,
      403,
    );
    await reader.close();
  });

  it('ForbiddenException when a writer reads, or a non-admin creates', async () => {
    const writer = new Client(server.dsn('authdb', WRITER));
    await rejectsWith(writer.query('SELECT * FROM cpu'), ForbiddenException, /requires READ on authdb|not authorized/);
    await rejectsWith(writer.query('CREATE DATABASE nope'), ForbiddenException, /requires admin privilege|not authorized/);
    await writer.close();
  });

  it('ping answers without credentials', async () => {
    const anonymous = new Client(server.dsn('authdb'));
    const ping = await anonymous.ping();
    assert.match(ping.version ?? '', /^1\./);
    await anonymous.close();
  });
});
