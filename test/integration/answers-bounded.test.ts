/**
 * Every answer is bounded. A server that answers forever, or slowly, one byte at a time, or with a gzip
 * bomb, or with a line that never ends: the query fails with an exception that names the cap (or the
 * time), and no more than the cap is ever held in memory.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { AnswerTooLargeException, Client, QueryFailedException, TimeoutException } from '../../src';
import { collect, helper, inflowNodes, waitFor } from '../support/flows';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let url = '';
let handle: Handler = (_request, response) => response.end();
/** Bytes written to the answer under way, as the server counts them. */
let sent = 0;
const MiB = 1024 * 1024;

before(async () => {
  server = createServer((request, response) => {
    if (request.url?.startsWith('/ping')) {
      response.writeHead(204, { 'x-influxdb-version': '1.8.10' });
      response.end();
      return;
    }
    request.resume();
    request.on('end', () => handle(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await helper.unload();
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Writes `chunk` again and again, as fast as the client reads, until the client goes away; `sent` counts it. */
function pumpForever(response: ServerResponse, chunk: Buffer): void {
  const pump = (): void => {
    while (!response.destroyed) {
      sent += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
  };
  response.on('close', () => response.removeAllListeners('drain'));
  pump();
}

/** An answer of `start`, then `chunk` forever. */
function endless(chunk: Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, start = ''): Handler {
  return (_request, response) => {
    sent = 0;
    response.writeHead(200, headers);
    response.write(start);
    pumpForever(response, chunk);
  };
}

const client = (options: Record<string, unknown> = {}): Client =>
  new Client(`${url}/db`, { version: 1, timeout: 5000, ...options });

describe('answers without an end, or too large', () => {
  it('an answer that never ends, in one piece: AnswerTooLargeException at the cap, having read about the cap', async () => {
    handle = endless(
      Buffer.from(
        `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[${'[1,2],'.repeat(10_000)}`,
      ),
    );
    const reader = client({ maxAnswerBytes: 4 * MiB });
    await assert.rejects(reader.query('SELECT * FROM m'), (error: unknown) => {
      assert.ok(error instanceof AnswerTooLargeException);
      assert.match(error.message, /larger than 4194304 bytes.*maxAnswerBytes; in inflow query, "Largest".*a message per chunk/);
      return true;
    });
    assert.ok(sent < 4 * MiB + 16 * MiB, `the server sent ${sent} bytes before the client stopped reading`);
    await reader.close();
  });

  it('a gzip bomb (200 MB of JSON in 200 KB): refused at the cap once unpacked, never unpacked whole', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * MiB, 0x20), { level: 9 });
    assert.ok(bomb.length < 1 * MiB);
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(bomb);
    };
    const reader = client({ maxAnswerBytes: 8 * MiB });
    const heapBefore = process.memoryUsage().arrayBuffers;
    await assert.rejects(reader.query('SELECT * FROM m'), AnswerTooLargeException);
    assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 64 * MiB, 'far less than the 200 MB it would unpack to');
    await reader.close();
  });

  it('a gzip bomb as an error answer: its words cut at 64 KiB, and said so', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * MiB, 0x61), { level: 9 });
    handle = (_request, response) => {
      response.writeHead(500, { 'content-encoding': 'gzip' });
      response.end(bomb);
    };
    const writer = client();
    await assert.rejects(writer.write('m', { v: 1 }), (error: Error) => {
      assert.match(error.message, /an answer of more than 65536 bytes, cut there/);
      return true;
    });
    await writer.close();
  });

  it('an answer read whole that comes one byte at a time: a TimeoutException once the timeout after its headers is over', async () => {
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"results":[');
      const timer = setInterval(() => response.write(' '), 50);
      response.on('close', () => clearInterval(timer));
    };
    const reader = client({ timeout: 1000 });
    const started = Date.now();
    await assert.rejects(reader.query('SELECT * FROM m'), (error: unknown) => {
      assert.ok(error instanceof TimeoutException, String(error));
      assert.match(error.message, /no whole answer from .* within 1000 ms/);
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 4000, `ended by the timeout after the headers, not by the server: ${took} ms`);
    await reader.close();
  });

  it('a server that answers "102 Processing" again and again and never answers: a write, a query and a streamed query each fail with a TimeoutException', async () => {
    handle = (_request, response) => {
      response.writeProcessing();
      const timer = setInterval(() => response.writeProcessing(), 300);
      response.on('close', () => clearInterval(timer));
    };
    const reader = client({ timeout: 1000, streamTimeout: 1500 });
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['write', () => reader.writeLines(['m v=1 1'])],
      ['query', () => reader.query('SELECT * FROM m')],
      [
        'streamed query',
        async () => {
          for await (const series of reader.querySeries('SELECT * FROM m')) void series;
        },
      ],
    ];
    for (const [what, attempt] of attempts) {
      const started = Date.now();
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof TimeoutException, `${what}: ${String(error)}`);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took < 4000, `${what} ended by its timeout, not held by the 1xx answers: ${took} ms`);
    }
    await reader.close();
  });

  it('a streamed answer that comes one byte at a time: a TimeoutException once the stream timeout is over', async () => {
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => response.write(' '), 50);
      response.on('close', () => clearInterval(timer));
    };
    const reader = client({ streamTimeout: 1000 });
    const started = Date.now();
    await assert.rejects(
      (async () => {
        for await (const series of reader.querySeries('SELECT * FROM m')) void series;
      })(),
      (error: unknown) => {
        assert.ok(error instanceof TimeoutException);
        assert.match(error.message, /no whole answer from .* within 1000 ms/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000, 'ended by the stream timeout, not by the server');
    await reader.close();
  });

  it('a streamed answer whose line never ends: AnswerTooLargeException at the cap', async () => {
    handle = endless(Buffer.alloc(64 * 1024, 0x20));
    const reader = client({ maxAnswerBytes: 2 * MiB });
    await assert.rejects(
      (async () => {
        for await (const series of reader.querySeries('SELECT * FROM m')) void series;
      })(),
      (error: unknown) => {
        assert.ok(error instanceof AnswerTooLargeException);
        assert.match(error.message, /a line of the answer is larger than 2097152 bytes/);
        return true;
      },
    );
    await reader.close();
  });

  it('a long line within the cap, in small pieces, comes through whole', async () => {
    const values = Array.from({ length: 400_000 }, (_, i) => `[${i},${i}]`).join(',');
    const line = Buffer.from(
      `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[${values}]}]}]}\n`,
    );
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let at = 0; at < line.length; at += 16 * 1024) response.write(line.subarray(at, at + 16 * 1024));
      response.end();
    };
    const reader = client();
    let rows = 0;
    for await (const series of reader.querySeries('SELECT * FROM m')) rows += series.values.length;
    assert.equal(rows, 400_000);
    await reader.close();
  });

  it('query() and queryRaw() abandoned by their signal while the server has not answered: the request is dropped and the call fails at once', async () => {
    let closed = 0;
    handle = (request) => request.socket.on('close', () => closed++);
    const reader = client({ timeout: 30_000 });
    for (const run of [
      (signal: AbortSignal) => reader.query('SELECT * FROM m', { signal }),
      (signal: AbortSignal) => reader.queryRaw('SELECT * FROM m', { signal }),
    ]) {
      const controller = new AbortController();
      const call = run(controller.signal);
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      await assert.rejects(call, (error: unknown) => error instanceof TimeoutException && /abandoned/.test(error.message));
      assert.ok(Date.now() - started < 5000, 'not held until the 30 s timeout');
    }
    await waitFor(() => closed === 2, 'both requests dropped', 2000);
    await reader.close();
  });

  it('in a flow: a query node closed while its query waits for an answer drops the request at once, its server node staying', async () => {
    let requestClosed = false;
    let arrived = false;
    handle = (request) => {
      arrived = true;
      // Never answers.
      request.socket.on('close', () => (requestClosed = true));
    };
    await helper.load(inflowNodes, [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: `${url}/db`, version: '1', precision: 'ms', timeout: 30_000 },
      { id: 'query', type: 'inflow query', z: 'tab', server: 'cfg', query: 'SELECT * FROM m', wires: [['answers']] },
      { id: 'answers', type: 'helper', z: 'tab' },
    ]);
    const answers = collect(helper.getNode('answers'));
    helper.getNode('query').receive({ payload: 'go' });
    await waitFor(() => arrived, 'the query at the server');
    // As a deploy of the changed query node alone closes it: the server node runs on.
    await (helper.getNode('query') as unknown as { close(removed: boolean): Promise<void> }).close(false);
    await waitFor(() => requestClosed, 'the request dropped', 2000);
    assert.deepEqual(answers, []);
  });

  it('in a flow: inflow query with a 1 MB "Largest" fails its message with AnswerTooLargeException, and Node-RED carries on', async () => {
    handle = endless(
      Buffer.from(
        `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[${'[1,2],'.repeat(10_000)}`,
      ),
    );
    await helper.load(inflowNodes, [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: `${url}/db`, version: '1', precision: 'ms', timeout: 5000 },
      {
        id: 'query',
        type: 'inflow query',
        z: 'tab',
        server: 'cfg',
        query: 'SELECT * FROM m',
        maxAnswerMb: 1,
        wires: [['answers']],
      },
      { id: 'answers', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: ['query'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ]);
    const caught = collect(helper.getNode('caught'));
    helper.getNode('query').receive({ payload: 'go' });
    await waitFor(() => caught.length === 1, 'the failure caught');
    const error = caught[0]?.error as { code?: string; message?: string };
    assert.equal(error.code, 'AnswerTooLargeException');
    assert.match(String(error.message), /larger than 1048576 bytes/);
    // The next query, to a server that answers, is answered.
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[1,2]]}]}]}');
    };
    const answers = collect(helper.getNode('answers'));
    helper.getNode('query').receive({ payload: 'again' });
    await waitFor(() => answers.length === 1, 'the answer');
  });

  it('a Flux answer without end, kept whole by query(): AnswerTooLargeException at the cap for the whole answer', async () => {
    const header =
      '#datatype,string,long,dateTime:RFC3339,double\n#group,false,false,false,false\n#default,_result,,,\n,result,table,_time,_value\n';
    handle = endless(Buffer.from(',,0,2024-01-01T00:00:00Z,1.5\n'.repeat(1000)), { 'content-type': 'text/csv' }, header);
    const reader = new Client({ url, token: 't', org: 'o', bucket: 'b', api: 2, maxAnswerBytes: 2 * MiB, timeout: 5000 });
    await assert.rejects(reader.query('from(bucket: "b")', { language: 'flux' }), (error: unknown) => {
      assert.ok(error instanceof AnswerTooLargeException);
      assert.match(error.message, /the answer is larger than 2097152 bytes/);
      return true;
    });
    assert.ok(sent < 2 * MiB + 16 * MiB, `the server sent ${sent} bytes before the client stopped reading`);
    await reader.close();
  });

  it('a Flux answer whose quoted cell never closes: AnswerTooLargeException at the cap, read a chunk at a time too', async () => {
    const header = '#datatype,string,long,string\n#group,false,false,false\n#default,_result,,\n,result,table,_value\n,,0,"';
    handle = endless(Buffer.from('still inside the quotes\n'.repeat(2000)), { 'content-type': 'text/csv' }, header);
    const reader = new Client({ url, token: 't', org: 'o', bucket: 'b', api: 2, maxAnswerBytes: 2 * MiB, timeout: 5000 });
    await assert.rejects(
      (async () => {
        for await (const series of reader.querySeries('from(bucket: "b")', { language: 'flux' })) void series;
      })(),
      (error: unknown) => {
        assert.ok(error instanceof AnswerTooLargeException);
        assert.match(error.message, /a record of the answer is larger than 2097152 bytes/);
        return true;
      },
    );
    await reader.close();
  });

  it('a query answer that is not JSON is a QueryFailedException, quoting the start of it', async () => {
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>login</html>');
    };
    const reader = client();
    await assert.rejects(reader.query('SELECT * FROM m'), QueryFailedException);
    await reader.close();
  });
});

describe('answers of the wrong shape', () => {
  const shapes: Array<[string, unknown, RegExp]> = [
    ['results that are not a list', { results: 5 }, /no "results"/],
    ['a statement that is not an object', { results: [7] }, /statement 0 is not a JSON object/],
    ['series that are not a list', { results: [{ statement_id: 0, series: {} }] }, /series of statement 0 are not a list/],
    [
      'a series without column names',
      { results: [{ statement_id: 0, series: [{ name: 'm', columns: 5 }] }] },
      /series 0 of statement 0 has no list of column names/,
    ],
    [
      'rows that are not lists',
      { results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time'], values: 5 }] }] },
      /rows of series 0/,
    ],
    [
      'a cell that is an object',
      { results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], values: [[1, { x: 1 }]] }] }] },
      /rows of series 0/,
    ],
    [
      'tags that are not text',
      { results: [{ statement_id: 0, series: [{ name: 'm', tags: { host: 1 }, columns: ['time'], values: [] }] }] },
      /tags of series 0/,
    ],
    [
      'a name that is not text',
      { results: [{ statement_id: 0, series: [{ name: ['m'], columns: ['time'] }] }] },
      /name of series 0/,
    ],
  ];
  for (const [what, answer, words] of shapes) {
    it(`${what}: a QueryFailedException that says where, not a TypeError or rows made up`, async () => {
      handle = (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      };
      const reader = client();
      await assert.rejects(
        reader.query('SELECT * FROM m'),
        (error: unknown) => error instanceof QueryFailedException && words.test(error.message),
      );
      await reader.close();
    });
  }

  it("a well-formed answer keeps the server's messages and a partial series' mark in queryRaw", async () => {
    const answer = {
      results: [
        {
          statement_id: 0,
          messages: [{ level: 'warning', text: 'deprecated' }],
          series: [{ name: 'm', columns: ['time', 'v'], values: [[1, 2]], partial: true }],
        },
      ],
    };
    handle = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    };
    const reader = client();
    assert.deepEqual(await reader.queryRaw('SELECT * FROM m'), answer);
    await reader.close();
  });
});
