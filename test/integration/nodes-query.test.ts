import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { InfluxServer, READER, WRITER } from '../support/influxd';
import { collect, helper, inflowNodes, sleep, statusTexts, waitFor, type Message } from '../support/flows';
import { FaultProxy } from '../support/proxy';
import type { Series } from '../../src';

let server: InfluxServer;

interface Setup {
  results: Message[];
  caught: Message[];
  errors: Message[];
  send: (msg: Message) => void;
}

async function setup(
  query: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
): Promise<Setup> {
  await helper.load(
    inflowNodes,
    [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn: server.dsn('q'), precision: 'ms', timeout: 5000, ...config },
      {
        id: 'query',
        type: 'inflow query',
        z: 'tab',
        server: 'cfg',
        query: '',
        epoch: 'ms',
        raw: false,
        errorOutput: false,
        wires: [['results'], ['errors']],
        ...query,
      },
      { id: 'catcher', type: 'catch', z: 'tab', scope: ['query'], uncaught: false, wires: [['caught']] },
      { id: 'results', type: 'helper', z: 'tab' },
      { id: 'caught', type: 'helper', z: 'tab' },
      { id: 'errors', type: 'helper', z: 'tab' },
    ],
    credentials,
  );
  const node = helper.getNode('query');
  return {
    results: collect(helper.getNode('results')),
    caught: collect(helper.getNode('caught')),
    errors: collect(helper.getNode('errors')),
    send: (msg) => node.receive(msg),
  };
}

before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase('q');
  await server.createDatabase('other');
  await server.rawWrite('q', 'climate,room=kitchen temperature=21.5 1000000000\nclimate,room=hall temperature=19 2000000000');
  await server.rawWrite('other', 'm v=1 1');
});
afterEach(async () => {
  await helper.unload();
});
after(async () => {
  await server.stop();
});

describe('inflow query', () => {
  it("runs the node's query and sends the reshaped series as msg.payload, keeping the rest of msg", async () => {
    const { results, send } = await setup({ query: 'SELECT temperature FROM climate' });
    send({ topic: 'report' });
    await waitFor(() => results.length === 1, 'the results');
    assert.deepEqual(results[0]?.payload, [
      {
        name: 'climate',
        values: [
          { time: 1000, temperature: 21.5 },
          { time: 2000, temperature: 19 },
        ],
      },
    ]);
    assert.equal(results[0]?.topic, 'report');
  });

  it('runs msg.query when the node has none, with msg.params bound and msg.epoch', async () => {
    const { results, send } = await setup();
    send({ query: 'SELECT * FROM climate WHERE room = $room GROUP BY room', params: { room: 'hall' }, epoch: 's' });
    await waitFor(() => results.length === 1, 'the results');
    assert.deepEqual(results[0]?.payload, [{ name: 'climate', tags: { room: 'hall' }, values: [{ time: 2, temperature: 19 }] }]);
  });

  it('queries msg.database, and gives RFC3339 times when the node asks for no epoch', async () => {
    const { results, send } = await setup({ query: 'SELECT * FROM m', epoch: '' });
    send({ database: 'other' });
    await waitFor(() => results.length === 1, 'the results');
    assert.deepEqual(results[0]?.payload, [{ name: 'm', values: [{ time: '1970-01-01T00:00:00.000000001Z', v: 1 }] }]);
  });

  it('a node saved without an epoch (an older flow) gives ms times, as its dialog shows', async () => {
    const { results, send } = await setup({ query: 'SELECT temperature FROM climate', epoch: undefined });
    send({});
    await waitFor(() => results.length === 1, 'the results');
    assert.deepEqual(
      (results[0]?.payload as Array<{ values: Array<{ time: unknown }> }>)[0]?.values.map((row) => row.time),
      [1000, 2000],
    );
  });

  it('shows on its status that the server answers, then when it last answered a query', async () => {
    const { results, send } = await setup({ query: 'SELECT temperature FROM climate' });
    const node = helper.getNode('query');
    await waitFor(
      () => statusTexts(node).some((text) => /^connected: InfluxDB 1\.\d+\.\d+\S*, db \w+$/.test(text)),
      'a connected status',
      3000,
    );
    send({});
    await waitFor(() => results.length === 1, 'the results');
    assert.match(statusTexts(node).at(-1) ?? '', /^answered \d\d:\d\d:\d\d$/);
  });

  it('shows on its status when the server cannot be reached', async () => {
    await setup({ query: 'SELECT 1' }, { dsn: 'http://127.0.0.1:9/q' });
    const node = helper.getNode('query');
    await waitFor(
      () => statusTexts(node).some((text) => text === 'not reachable: connection refused'),
      'a not-reachable status',
      3000,
    );
  });

  it("sends the server's raw answer when asked", async () => {
    const { results, send } = await setup({ query: 'SELECT temperature FROM climate LIMIT 1', raw: true });
    send({});
    await waitFor(() => results.length === 1, 'the results');
    assert.deepEqual(results[0]?.payload, {
      results: [{ statement_id: 0, series: [{ name: 'climate', columns: ['time', 'temperature'], values: [[1000, 21.5]] }] }],
    });
  });

  it("bad InfluxQL reaches Catch as QueryFailedException with the server's words", async () => {
    const { caught, send } = await setup();
    send({ query: 'SELEC * FROM climate' });
    await waitFor(() => caught.length === 1, 'the error');
    const error = caught[0]?.error as { code: string; message: string };
    assert.equal(error.code, 'QueryFailedException');
    assert.match(error.message, /error parsing query: found SELEC/);
  });

  it('a missing database reaches Catch as DatabaseNotFoundException', async () => {
    const { caught, send } = await setup({ query: 'SELECT * FROM m' });
    send({ database: 'nodb' });
    await waitFor(() => caught.length === 1, 'the error');
    assert.equal((caught[0]?.error as { code: string }).code, 'DatabaseNotFoundException');
  });

  it('no query at all, and bad msg.params, are clear errors', async () => {
    const { caught, send } = await setup();
    send({});
    send({ query: 'SELECT * FROM climate', params: 'room=hall' });
    send({ query: 'SELECT * FROM climate', epoch: 'us' });
    await waitFor(() => caught.length === 3, 'three errors');
    const messages = caught.map((msg) => (msg.error as { message: string }).message);
    assert.match(messages[0] ?? '', /no query: set one in the node, or send msg.query/);
    assert.match(messages[1] ?? '', /msg.params must be an object of bound parameters, not string/);
    assert.match(messages[2] ?? '', /msg.epoch must be one of h, m, s, ms, u, ns, not "us"/);
  });

  it('errors go to the second output when the node is set so', async () => {
    const { caught, errors, results, send } = await setup({ errorOutput: true });
    send({ query: 'SELECT * FROM nowhere..m' });
    await waitFor(() => errors.length === 1, 'the error on the output');
    assert.equal(caught.length, 0);
    assert.equal(results.length, 0);
    assert.equal((errors[0]?.error as { code: string }).code, 'DatabaseNotFoundException');
  });

  for (const output of ['message', 'parts'] as const) {
    it(`answers leave in the order their messages came, though the first query is answered last (output: ${output})`, async () => {
      const proxy = await FaultProxy.start({ host: server.host, port: server.port });
      try {
        const { results, caught, send } = await setup({ output }, { dsn: proxy.dsn('q') });
        const node = helper.getNode('query');
        await waitFor(() => statusTexts(node).some((text) => text.startsWith('connected')), 'the server checked', 5000);
        // The first query waits 800 ms at the proxy; the second goes straight through.
        proxy.inject({ delayMs: 800, times: 1, path: '/query' });
        send({ topic: 'first', query: 'SELECT temperature FROM climate WHERE room = $room', params: { room: 'kitchen' } });
        send({ topic: 'second', query: 'SELECT temperature FROM climate WHERE room = $room', params: { room: 'hall' } });
        await waitFor(() => results.length === 2, 'the two answers', 5000);
        assert.deepEqual(caught, []);
        assert.deepEqual(
          // A message holds the series of the answer; a part, one series.
          results.map((msg) => {
            const series = (output === 'parts' ? msg.payload : (msg.payload as unknown[])[0]) as Series;
            return [msg.topic, series.values];
          }),
          [
            ['first', [{ time: 1000, temperature: 21.5 }]],
            ['second', [{ time: 2000, temperature: 19 }]],
          ],
        );
      } finally {
        await helper.unload();
        await proxy.close();
      }
    });
  }

  it('errors leave in their turn too: one refused before its query, and one of the server, between two answers', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const { results, errors, send } = await setup({ errorOutput: true }, { dsn: proxy.dsn('q') });
      const node = helper.getNode('query');
      await waitFor(() => statusTexts(node).some((text) => text.startsWith('connected')), 'the server checked', 5000);
      const left: string[] = [];
      helper.getNode('results').on('input', (msg: Message) => left.push(`${String(msg.topic)}: answer`));
      helper
        .getNode('errors')
        .on('input', (msg: Message) => left.push(`${String(msg.topic)}: ${(msg.error as { code: string }).code}`));
      proxy.inject({ delayMs: 800, times: 1, path: '/query' });
      send({ topic: '1', query: 'SELECT temperature FROM climate' });
      send({ topic: '2', query: 'SELECT temperature FROM climate', params: 'not an object' });
      send({ topic: '3', query: 'SELEC temperature FROM climate' });
      send({ topic: '4', query: 'SELECT temperature FROM climate' });
      await waitFor(() => results.length + errors.length === 4, 'the four messages out', 5000);
      assert.deepEqual(left, ['1: answer', '2: InvalidArgumentException', '3: QueryFailedException', '4: answer']);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  for (const output of ['message', 'parts'] as const) {
    it(`closed while queries wait their turn, every message is ended once and nothing is sent (output: ${output})`, async () => {
      const proxy = await FaultProxy.start({ host: server.host, port: server.port });
      try {
        const { results, send } = await setup({ output }, { dsn: proxy.dsn('q') });
        const node = helper.getNode('query') as ReturnType<typeof helper.getNode> & {
          _complete: (msg: Message, error?: unknown) => void;
          send: (msg: Message) => void;
        };
        await waitFor(() => statusTexts(node).some((text) => text.startsWith('connected')), 'the server checked', 5000);
        // What the node sends and ends, seen even once the flow is stopped.
        const ended: unknown[] = [];
        const sent: unknown[] = [];
        const complete = node._complete.bind(node);
        const sendOn = node.send.bind(node);
        node._complete = (msg, error) => {
          ended.push(msg.topic);
          complete(msg, error);
        };
        node.send = (msg) => {
          sent.push(msg.topic);
          sendOn(msg);
        };
        proxy.inject({ delayMs: 1000, times: 1, path: '/query' });
        for (const topic of ['1', '2', '3']) send({ topic, query: 'SELECT temperature FROM climate' });
        await sleep(200);
        await helper.unload();
        await waitFor(() => ended.length === 3, 'the three messages ended', 5000);
        await sleep(1200);
        assert.deepEqual(ended, ['1', '2', '3']);
        assert.deepEqual(sent, []);
        assert.deepEqual(results, []);
      } finally {
        await proxy.close();
      }
    });
  }

  it('a deploy while more queries than connections wait on a server that does not answer ends within seconds', async () => {
    // Five query nodes on one server: four queries hold its four connections, the fifth waits for one.
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const ids = ['q1', 'q2', 'q3', 'q4', 'q5'];
    try {
      await helper.load(inflowNodes, [
        { id: 'tab', type: 'tab' },
        { id: 'cfg', type: 'inflow-config', dsn: proxy.dsn('q'), precision: 'ms', timeout: 60_000 },
        ...ids.map((id) => ({
          id,
          type: 'inflow query',
          z: 'tab',
          server: 'cfg',
          query: 'SELECT temperature FROM climate',
          epoch: 'ms',
          wires: [[]],
        })),
      ]);
      await waitFor(
        () => statusTexts(helper.getNode('q1')).some((text) => text.startsWith('connected')),
        'the server checked',
        5000,
      );
      proxy.inject({ delayMs: 60_000, path: '/query' });
      for (const id of ids) helper.getNode(id).receive({ topic: id });
      await waitFor(() => proxy.requests.filter((request) => request.url.startsWith('/query')).length >= 4, 'four queries sent');
      const started = Date.now();
      await helper.unload();
      const stopping = Date.now() - started;
      // The config node gives requests still under way a second; Node-RED would wait 15 s for a node that hangs.
      assert.ok(stopping < 5000, `the flow took ${stopping} ms to stop`);
    } finally {
      await proxy.close();
    }
  });

  it('Unauthorized and Forbidden reach Catch from a server with authentication', async () => {
    const auth = await InfluxServer.start({ auth: true });
    try {
      await helper.load(
        inflowNodes,
        [
          { id: 'tab', type: 'tab' },
          { id: 'anonymous', type: 'inflow-config', dsn: auth.dsn('authdb'), precision: 'ms' },
          {
            id: 'writerConfig',
            type: 'inflow-config',
            dsn: auth.dsn('authdb').replace('http://', `http://${WRITER.username}@`),
            precision: 'ms',
          },
          {
            id: 'readerConfig',
            type: 'inflow-config',
            dsn: auth.dsn('authdb').replace('http://', `http://${READER.username}@`),
            precision: 'ms',
          },
          { id: 'q1', type: 'inflow query', z: 'tab', server: 'anonymous', query: 'SELECT * FROM m', wires: [['results']] },
          { id: 'q2', type: 'inflow query', z: 'tab', server: 'writerConfig', query: 'SELECT * FROM m', wires: [['results']] },
          { id: 'q3', type: 'inflow query', z: 'tab', server: 'readerConfig', query: 'SHOW MEASUREMENTS', wires: [['results']] },
          { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
          { id: 'results', type: 'helper', z: 'tab' },
          { id: 'caught', type: 'helper', z: 'tab' },
        ],
        { writerConfig: { password: WRITER.password }, readerConfig: { password: READER.password } },
      );
      const caught = collect(helper.getNode('caught'));
      const results = collect(helper.getNode('results'));
      helper.getNode('q1').receive({});
      helper.getNode('q2').receive({});
      helper.getNode('q3').receive({});
      await waitFor(() => caught.length === 2 && results.length === 1, 'two errors and one answer');
      const codes = caught.map((msg) => (msg.error as { code: string }).code).sort();
      assert.deepEqual(codes, ['ForbiddenException', 'UnauthorizedException']);
      for (const msg of caught) assert.ok(!JSON.stringify(msg).includes(WRITER.password));
    } finally {
      await helper.unload();
      await auth.stop();
    }
  });
});
