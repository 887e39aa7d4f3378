/**
 * No secret leaves the client in any form. A server that echoes the credentials it was sent, as it is,
 * JSON-escaped, percent-encoded, in base64 (the Basic pair, the whole Authorization header), or cut in
 * parts, on every path an answer takes (error statuses, a 2xx write with a page, a query answer that is
 * not JSON, errors inside query results, a streamed answer, a gzipped one, the X-Influxdb-Error header):
 * the library's errors, and in a flow the Catch node's msg.error, the node's status and the log, hold none.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client, describeServer, InfluxDBException } from '../../src';
import { collect, helper, inflowNodes, statusTexts, waitFor } from '../support/flows';

const USER = 'admin';
const PASSWORD = 'p@ss"wo\\rd/%:é-the-Longer-Secret';
const TOKEN = 'tok_Zm9vYmFyYmF6cXV4LXNlY3JldC10b2tlbi0xMjM0NTY3ODkw';

/** Text as a person reads it: HTML character references decoded, no white space, in lower case. */
const readable = (text: string): string =>
  text
    .replace(/&#(\d+);/g, (_all, code: string) => String.fromCodePoint(Number(code)))
    .replace(/\s+/g, '')
    .toLowerCase();

/** Every form a secret could be found in: as it is, escaped, encoded, and any ten characters of one of those, whatever their case. */
function leaksIn(shown: string): string[] {
  const text = readable(shown);
  const forms = new Map<string, string>();
  for (const [name, secret] of [
    ['password', PASSWORD],
    ['token', TOKEN],
    ['user:password', `${USER}:${PASSWORD}`],
  ] as const) {
    forms.set(`${name}`, secret);
    forms.set(`${name}, percent-encoded`, encodeURIComponent(secret));
    forms.set(`${name}, JSON-escaped`, JSON.stringify(secret).slice(1, -1));
    forms.set(`${name}, base64`, Buffer.from(secret).toString('base64').replace(/=+$/, ''));
    forms.set(`${name}, hex`, Buffer.from(secret).toString('hex'));
  }
  for (const scheme of ['Basic', 'Token', 'Bearer']) {
    const value = scheme === 'Basic' ? `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` : `${scheme} ${TOKEN}`;
    // The base64 of a whole header value, but its first group, which the scheme's letters share with any other.
    forms.set(`the ${scheme} header, base64`, Buffer.from(value).toString('base64').slice(8, -4));
  }
  const found: string[] = [];
  for (const [name, shape] of forms) {
    const form = readable(shape);
    if (text.includes(form)) found.push(name);
    else
      for (let i = 0; i + 10 <= form.length; i++) {
        if (text.includes(form.slice(i, i + 10))) {
          found.push(`ten characters of ${name}`);
          break;
        }
      }
  }
  return found;
}

/** What the echo server sent back the credentials in. */
type Echo = (secret: string, authorization: string) => string;
const ECHOES: Record<string, Echo> = {
  'as it is': (secret) => `credentials ${secret} refused`,
  'JSON-escaped': (secret) => `credentials ${JSON.stringify(secret).slice(1, -1)} refused`,
  'percent-encoded': (secret) => `credentials ${encodeURIComponent(secret)} refused`,
  'the header in base64': (_secret, authorization) => `you sent ${Buffer.from(authorization).toString('base64')}`,
  'the header as it is': (_secret, authorization) => `you sent ${authorization}`,
  'cut in two': (secret) => `part one ${secret.slice(0, secret.length >> 1)} and part two ${secret.slice(secret.length >> 1)}`,
  'in capitals': (secret) => `credentials ${secret.toUpperCase()} refused`,
  'in hex, in capitals': (secret) => `credentials ${Buffer.from(secret).toString('hex').toUpperCase()} refused`,
  'as HTML character references': (secret) =>
    `credentials ${[...secret].map((char) => `&#${char.codePointAt(0)};`).join('')} refused`,
  'wrapped over lines': (secret) => `credentials\n  ${(secret.match(/.{1,7}/g) ?? []).join('\n  ')}\n refused`,
  // U+0130 is two characters in lower case: the one character that moves every place after it.
  'after an İ, the header in base64 and the secret': (secret, authorization) =>
    `İnvalid: ${Buffer.from(authorization).toString('base64')} ${secret}`,
};

/** The secret a request carried: the password of Basic credentials, or the token. */
function secretOf(authorization: string): string {
  if (authorization.startsWith('Basic ')) {
    const pair = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    return pair.slice(pair.indexOf(':') + 1);
  }
  return authorization.slice(authorization.indexOf(' ') + 1);
}

/** Each path an answer takes, and how the server answers on it with the text given. */
type Answer = { status: number; headers?: Record<string, string>; body: string | Buffer };
const PATHS: Record<string, { operation: 'write' | 'query' | 'stream'; answer: (text: string) => Answer }> = {
  'a 401 write': { operation: 'write', answer: (text) => ({ status: 401, body: JSON.stringify({ error: text }) }) },
  'a 400 write, the words in X-Influxdb-Error': {
    operation: 'write',
    answer: (text) => ({ status: 400, headers: { 'x-influxdb-error': text.replace(/[^\x20-\x7e]/g, '?') }, body: '' }),
  },
  'a 500 write, gzipped': {
    operation: 'write',
    answer: (text) => ({ status: 500, headers: { 'content-encoding': 'gzip' }, body: gzipSync(text) }),
  },
  'a 200 write with a page': {
    operation: 'write',
    answer: (text) => ({ status: 200, headers: { 'content-type': 'text/html' }, body: `<p>${text}</p>` }),
  },
  'a query answer that is not JSON': { operation: 'query', answer: (text) => ({ status: 200, body: `<html>${text}</html>` }) },
  'an error inside the query results': {
    operation: 'query',
    answer: (text) => ({ status: 200, body: JSON.stringify({ results: [{ statement_id: 0, error: text }] }) }),
  },
  'an error line in a streamed answer': {
    operation: 'stream',
    answer: (text) => ({ status: 200, body: `${JSON.stringify({ results: [{ statement_id: 0, error: text }] })}\n` }),
  },
  'a 403 query': { operation: 'query', answer: (text) => ({ status: 403, body: JSON.stringify({ error: text }) }) },
};

let server: Server;
let url = '';
let answerWith: ((authorization: string) => Answer) | undefined;
/** Whether /ping names its version with the credentials it was sent in it. */
let pingEchoes = false;

before(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const authorization = request.headers.authorization ?? '';
      // A ping names an InfluxDB 1.x, so the client speaks its API; every other request gets the answer of the test.
      if (request.url?.startsWith('/ping')) {
        response.writeHead(204, { 'x-influxdb-version': pingEchoes ? `1.8.10 (${authorization})` : '1.8.10' });
        response.end();
        return;
      }
      const answer = answerWith?.(authorization) ?? { status: 204, body: '' };
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  pingEchoes = false;
  await helper.unload();
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Everything a person could see of an error: its text, stack, inspection (causes included) and JSON. */
const exposed = (error: unknown): string =>
  [
    String(error),
    (error as Error).stack ?? '',
    inspect(error, { depth: 6 }),
    JSON.stringify(error, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
  ].join('\n');

const clients = {
  'user and password': () => new Client(`${url}/db`, { username: USER, password: PASSWORD, version: 1, timeout: 2000 }),
  token: () => new Client(`${url}/db`, { token: TOKEN, version: 1, timeout: 2000 }),
};

describe('secrets echoed by a server', () => {
  for (const [credentials, makeClient] of Object.entries(clients)) {
    it(`with ${credentials}: no library error holds them, on any path, in any form`, async () => {
      const client = makeClient();
      const leaks: string[] = [];
      let failures = 0;
      for (const [pathName, path] of Object.entries(PATHS)) {
        for (const [echoName, echo] of Object.entries(ECHOES)) {
          answerWith = (authorization) => path.answer(echo(secretOf(authorization), authorization));
          let thrown: unknown;
          try {
            if (path.operation === 'write') await client.write('m', { v: 1 });
            else if (path.operation === 'query') await client.query('SELECT * FROM m');
            else for await (const series of client.querySeries('SELECT * FROM m')) void series;
          } catch (error) {
            thrown = error;
          }
          assert.ok(thrown !== undefined, `${pathName}, ${echoName}: no error at all`);
          failures++;
          const found = leaksIn(exposed(thrown));
          if (found.length > 0)
            leaks.push(`${pathName}, echoed ${echoName}: ${found.join(', ')} in ${exposed(thrown).split('\n')[0] ?? ''}`);
        }
      }
      await client.close();
      assert.equal(failures, Object.keys(PATHS).length * Object.keys(ECHOES).length);
      assert.deepEqual(leaks, []);
    });
  }

  it('in a flow: the Catch node, the status and the log of inflow out and inflow query hold none, a /ping that names its version with them too', async () => {
    pingEchoes = true;
    answerWith = (authorization) => ({
      status: 401,
      headers: { 'x-influxdb-error': `bad ${Buffer.from(authorization).toString('base64')}` },
      body: JSON.stringify({ error: `${ECHOES['cut in two']?.(secretOf(authorization), authorization)} / ${authorization}` }),
    });
    await helper.load(
      inflowNodes,
      [
        { id: 'tab', type: 'tab' },
        {
          id: 'cfg',
          type: 'inflow-config',
          dsn: `${url}/db`.replace('//', `//${USER}@`),
          precision: 'ms',
          timeout: 2000,
          version: '1',
        },
        {
          id: 'out',
          type: 'inflow out',
          z: 'tab',
          server: 'cfg',
          measurement: 'm',
          autocommitEvery: 1,
          flushInterval: 0,
          spool: false,
          wires: [],
        },
        { id: 'query', type: 'inflow query', z: 'tab', server: 'cfg', query: 'SELECT * FROM m', wires: [[]] },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['out', 'query'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
      { cfg: { password: PASSWORD } },
    );
    const caught = collect(helper.getNode('caught'));
    helper.getNode('out').receive({ payload: 1 });
    helper.getNode('query').receive({ payload: 'go' });
    await waitFor(() => caught.length === 2, 'both failures caught');
    // What the config node's check found, which its users show on their status: the server refused the
    // credentials, in its words (which echo them).
    const reachability = (helper.getNode('cfg') as unknown as { reachability?: { key?: string } }).reachability;
    assert.equal(reachability?.key, 'refused');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const seen = [
      JSON.stringify(reachability),
      ...caught.map((msg) => exposed(msg.error)),
      ...statusTexts(helper.getNode('out')),
      ...statusTexts(helper.getNode('query')),
      ...helper.log().args.map(([entry]) => exposed(entry)),
    ].join('\n');
    assert.match(seen, /UnauthorizedException/, 'the failures are there to be seen');
    assert.deepEqual(leaksIn(seen), []);
  });

  it('an error answer cut at 64 KiB inside the token: not even the first characters of it are left at the end', async () => {
    const CAP = 64 * 1024;
    const client = clients.token();
    try {
      for (const left of [3, 5, 7, 12]) {
        // The token starts `left` characters before the cap, so the cut leaves only its first characters.
        answerWith = () => ({ status: 400, body: `${'x'.repeat(CAP - left)}${TOKEN} and more after it` });
        const thrown = await client.write('m', { v: 1 }).then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(thrown instanceof InfluxDBException, `cut after ${left}: ${String(thrown)}`);
        assert.match(thrown.message, /cut there/);
        for (const shown of [exposed(thrown), thrown.serverMessage ?? '']) {
          assert.ok(!shown.includes(`x${TOKEN.slice(0, left)}`), `cut after ${left}: the token's start is shown`);
        }
        assert.match(thrown.serverMessage ?? '', /x\*\*\* \(an answer of more than 65536 bytes, cut there\)$/);
      }
    } finally {
      await client.close();
    }
  });

  it("a token with Latin-1 letters and &<>, echoed as the header's bytes, their base64 and Go's JSON escapes: the errors hold none of it", async () => {
    // No stretch of 8 ASCII characters: only the whole token, in the form it came back in, can be found.
    const token = 'abc&de<é1234567éABC>EFGéxyzwvut';
    const latin1 = (authorization: string): Buffer => Buffer.from(authorization, 'latin1');
    const goEscaped = (text: string): string =>
      JSON.stringify(text).replace(/[&<>]/g, (char) => `\\u00${char.charCodeAt(0).toString(16)}`);
    const echoes: Record<string, (authorization: string) => Answer> = {
      "the header's bytes": (authorization) => ({
        status: 401,
        body: Buffer.concat([Buffer.from('you sent '), latin1(authorization)]),
      }),
      "the base64 of the header's bytes": (authorization) => ({
        status: 401,
        body: `you sent ${latin1(authorization).toString('base64')}`,
      }),
      "Go's JSON escapes, in a field not read as the server's words": (authorization) => ({
        status: 401,
        body: `{"code":"unauthorized","detail":${goEscaped(authorization)}}`,
      }),
    };
    const forms = [
      token,
      latin1(token).toString('utf8'),
      latin1(token).toString('base64').slice(4, -4),
      goEscaped(token).slice(1, -1),
    ];
    const client = new Client(`${url}/db`, { token, version: 1, timeout: 2000 });
    try {
      for (const [name, echo] of Object.entries(echoes)) {
        answerWith = echo;
        const thrown = await client.write('m', { v: 1 }).then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(thrown instanceof InfluxDBException, `${name}: ${String(thrown)}`);
        const shown = exposed(thrown).toLowerCase();
        for (const form of forms)
          for (let i = 0; i + 10 <= form.length; i++)
            assert.ok(
              !shown.includes(form.slice(i, i + 10).toLowerCase()),
              `${name}: ${form.slice(i, i + 10)} shown in ${shown.split('\n')[0]}`,
            );
      }
    } finally {
      await client.close();
    }
  });

  it('a server that names its version with the credentials in it: what the client says of the server holds none', async () => {
    pingEchoes = true;
    for (const makeClient of Object.values(clients)) {
      const client = makeClient();
      const found = await client.detectServer();
      assert.deepEqual(
        leaksIn(`${JSON.stringify(found)} ${describeServer(found)} ${JSON.stringify((await client.ping()).server)}`),
        [],
      );
      await client.close();
    }
  });

  it('a Flux answer with the token in a cell that should hold a number: the error holds none', async () => {
    answerWith = (authorization) => ({
      status: 200,
      headers: { 'content-type': 'text/csv' },
      body: `#datatype,string,long,long\n#group,false,false,false\n#default,_result,,\n,result,table,_value\n,,0,${secretOf(authorization)}\n`,
    });
    const client = new Client({ url, token: TOKEN, org: 'o', bucket: 'b', api: 2, timeout: 2000 });
    const error = await client.query('from(bucket: "b")', { language: 'flux' }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    assert.ok(error !== undefined);
    assert.deepEqual(leaksIn(exposed(error)), []);
    await client.close();
  });

  it('an answer an HTTP parser chokes on, quoting the credentials: neither the error nor its cause holds them', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', (request: Buffer) => {
        const authorization = /authorization: ([^\r\n]*)/i.exec(request.toString())?.[1] ?? '';
        socket.end(`HTTP/1.1 200 OK\r\nX-Echo: \u0001${authorization}\r\n\r\n`);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      for (const options of [{ token: TOKEN }, { username: USER, password: PASSWORD }]) {
        const client = new Client(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/db`, {
          ...options,
          api: 1,
          timeout: 2000,
        });
        const error = await client.write('m', { v: 1 }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        assert.ok(error !== undefined);
        assert.deepEqual(leaksIn(exposed(error)), []);
        await client.close();
      }
    } finally {
      await new Promise((resolve) => raw.close(resolve));
    }
  });
});
