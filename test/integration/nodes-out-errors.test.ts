/**
 * inflow out in a flow: errors to Catch nodes and the errors output, retries, and the status a person sees.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collect, helper, inflowNodes, sleep, statusTexts, waitFor, type Message } from '../support/flows';
import { InfluxServer } from '../support/influxd';
import { behindProxy, errorLines, hooks, loadBehind, rows, server, setup, useOutServer } from '../support/out-flows';

useOutServer();

describe('inflow out: errors and status', () => {
  it('bad input fails its own message with a clear InvalidMeasurementException, and no other', async () => {
    const { db, caught, completed, send } = await setup({ autocommitEvery: 3 }, { precision: 'ns' });
    send({ payload: 1 });
    send({ payload: { value: Number.NaN }, tag: 'bad' });
    send({ payload: 2 });
    send({ payload: 3 });
    await waitFor(() => completed.length === 3 && caught.length === 1, 'three written and one caught');
    assert.equal((caught[0]?.error as { code?: string }).code, 'InvalidMeasurementException');
    assert.match((caught[0]?.error as { message: string }).message, /msg.payload: field "value" is NaN/);
    assert.equal(caught[0]?.tag, 'bad');
    assert.deepEqual(
      (await rows(db)).map((row) => row.value),
      [1, 2, 3],
    );
  });

  it('a timestamp in the wrong precision gets an error naming the likely precision', async () => {
    const { caught, send } = await setup({}, { precision: 's' });
    send({ payload: { value: 1, timestamp: 1476191999000 } });
    await waitFor(() => caught.length === 1, 'the error');
    assert.match(
      (caught[0]?.error as { message: string }).message,
      /timestamp 1476191999000 read as seconds \(precision "s"\) is in the year \d+; it looks like milliseconds: set the precision to "ms"/,
    );
  });

  it('a seconds timestamp with precision ns gets an error naming seconds', async () => {
    const { caught, send } = await setup({}, { precision: 'ns' });
    send({ payload: { value: 1, timestamp: 1476191999 } });
    await waitFor(() => caught.length === 1, 'the error');
    assert.match((caught[0]?.error as { message: string }).message, /it looks like seconds/);
  });

  it('a server error reaches Catch with its exception type as msg.error.code', async () => {
    const { caught, send } = await setup({}, { dsn: server.dsn('nodb') });
    send({ payload: 1, topic: 'sensor/1' });
    await waitFor(() => caught.length === 1, 'the error');
    const error = caught[0]?.error as { code: string; message: string };
    assert.equal(error.code, 'DatabaseNotFoundException');
    assert.match(error.message, /database not found: "nodb"/);
    assert.equal(caught[0]?.topic, 'sensor/1');
  });

  it('errors go to the errors output, ready for a Switch node on the type, when the node is set so', async () => {
    const { caught, errors, send } = await setup({ errorOutput: true, wires: [['errors']] }, { retentionPolicy: 'nope' });
    send({ payload: 1 });
    await waitFor(() => errors.length === 1, 'the error on the output');
    assert.equal(caught.length, 0);
    assert.deepEqual(errors[0]?.error, {
      message: 'write failed with HTTP 500: retention policy not found: nope',
      code: 'RetentionPolicyNotFoundException',
      status: 500,
    });
  });

  it('an unreachable server: retried, shown on the status, then ConnectionFailedException once retrying is over', async () => {
    helper.settings({ inflowOutRetry: { firstDelay: 100, jitter: 0, maxRetryTime: 600 } });
    try {
      const { caught, send } = await setup({}, { dsn: 'http://127.0.0.1:9/db' });
      await waitFor(
        () => statusTexts(helper.getNode('out')).some((text) => text === 'not reachable: connection refused'),
        'a not-reachable status',
        3000,
      );
      const started = Date.now();
      send({ payload: 1 });
      await waitFor(
        () =>
          statusTexts(helper.getNode('out')).some((text) =>
            /^1 pending, retrying at \d\d:\d\d:\d\d: connection refused$/.test(text),
          ),
        'a retrying status',
        3000,
      );
      assert.equal(caught.length, 0, 'not failed while retrying');
      await waitFor(() => caught.length === 1, 'the error');
      assert.ok(Date.now() - started >= 500, 'failed only once retrying was over');
      assert.equal((caught[0]?.error as { code: string }).code, 'ConnectionFailedException');
    } finally {
      helper.settings({ inflowOutRetry: undefined });
    }
  });

  it("a retry delay in settings.js that cannot work ('5000' in quotes): the node says which setting, and fails each message with it", async () => {
    helper.settings({ inflowOutRetry: { firstDelay: '5000' } });
    try {
      const { caught, send } = await setup({});
      await waitFor(
        () => statusTexts(helper.getNode('out')).some((text) => /inflowOutRetry\.firstDelay in settings\.js/.test(text)),
        'a status naming the setting',
        3000,
      );
      send({ payload: 1 });
      await waitFor(() => caught.length === 1, 'the error');
      const error = caught[0]?.error as { code: string; message: string };
      assert.equal(error.code, 'ConfigurationException');
      assert.match(error.message, /inflowOutRetry\.firstDelay in settings\.js must be a number of at least 0, not "5000"/);
    } finally {
      helper.settings({ inflowOutRetry: undefined });
    }
  });

  it('past its buffer limit, drops the oldest points with BufferOverflowException, counted on the status', async () => {
    helper.settings({ inflowOutRetry: { firstDelay: 60_000 }, inflowOutCloseTimeout: 100 });
    try {
      const { caught, send } = await setup({ bufferLimit: 10, autocommitEvery: 1000 }, { dsn: 'http://127.0.0.1:9/db' });
      for (let i = 0; i < 30; i++) send({ seq: i, payload: i });
      await waitFor(() => caught.length >= 20, 'twenty dropped');
      assert.ok(caught.slice(0, 20).every((msg) => (msg.error as { code: string }).code === 'BufferOverflowException'));
      assert.deepEqual(
        caught.slice(0, 20).map((msg) => msg.seq),
        Array.from({ length: 20 }, (_, i) => i),
        'the oldest first',
      );
      assert.match(
        (caught[0]?.error as { message: string }).message,
        /dropped 1 of the oldest points: more than 10 were waiting/,
      );
      await waitFor(
        () => statusTexts(helper.getNode('out')).some((text) => text.includes('20 dropped')),
        'the dropped count on the status',
        3000,
      );
    } finally {
      helper.settings({ inflowOutRetry: undefined, inflowOutCloseTimeout: undefined });
    }
  });

  it('influxd stopped for 3 s in a run of messages: none lost, every message done once, none caught', async () => {
    helper.settings({ inflowOutRetry: { firstDelay: 200, maxDelay: 1000 } });
    try {
      const { db, caught, completed, send } = await setup({ autocommitEvery: 10, flushInterval: 100 }, { timeout: 1000 });
      const doneCount = new Map<number, number>();
      helper
        .getNode('completer')
        .on('input', (msg: Message) => doneCount.set(msg.seq as number, (doneCount.get(msg.seq as number) ?? 0) + 1));
      let seq = 0;
      const sendFor = async (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          send({ seq, payload: { value: seq, timestamp: 1_700_000_000_000 + seq } });
          seq++;
          await sleep(5);
        }
      };
      await sendFor(500);
      await server.halt();
      await sendFor(3000);
      await server.resume();
      await sendFor(500);
      await waitFor(() => completed.length === seq, `all ${seq} messages done`, 20_000);
      assert.equal(caught.length, 0);
      assert.ok([...doneCount.values()].every((count) => count === 1));
      assert.equal((await rows(db, 'SELECT count(value) FROM temperature'))[0]?.count, seq);
    } finally {
      helper.settings({ inflowOutRetry: undefined });
    }
  });

  it("one poisoned message among 1,000: exactly one error, on that message, with the server's words; 999 written", async () => {
    const { db, caught, completed, send } = await setup({ autocommitEvery: 1000, flushInterval: 0 });
    for (let i = 0; i < 1000; i++) {
      send({ seq: i, payload: { value: i === 500 ? 'five hundred' : i, timestamp: 1_700_000_000_000 + i } });
    }
    await waitFor(() => completed.length + caught.length === 1000, 'every message settled');
    assert.equal(caught.length, 1);
    assert.equal(caught[0]?.seq, 500);
    assert.equal((caught[0]?.error as { code: string }).code, 'WriteFailedException');
    assert.match((caught[0]?.error as { message: string }).message, /field type conflict/);
    assert.equal((await rows(db, 'SELECT count(value) FROM temperature'))[0]?.count, 999);
  });

  for (const [status, headers] of [
    [429, { 'retry-after': '1' }],
    [503, { 'retry-after': '1' }],
    [503, {}],
  ] as const) {
    it(`a ${status}${'retry-after' in headers ? ' with Retry-After: 1' : ''} is retried${'retry-after' in headers ? " after the server's delay" : ''}, and nothing is lost`, async () => {
      await behindProxy(
        async (proxy, db) => {
          const completed = await loadBehind(proxy, db, {
            outs: [{ id: 'out', measurement: 'm', autocommitEvery: 5, flushInterval: 0 }],
          });
          proxy.inject({ respond: { status, headers, body: '{"error":"busy"}' }, times: 2, path: '/write' });
          const started = Date.now();
          for (let i = 0; i < 5; i++) helper.getNode('out').receive({ payload: { value: i, timestamp: 1_700_000_000_000 + i } });
          await waitFor(() => completed.length === 5, 'all five written', 10_000);
          const took = Date.now() - started;
          const expected = 'retry-after' in headers ? 2000 : 300 + 600;
          assert.ok(took >= expected - 50 && took < expected + 2000, `took ${took} ms, expected about ${expected}`);
          assert.equal(proxy.requests.filter((request) => request.url.startsWith('/write')).length, 3);
          assert.equal((await rows(db, 'SELECT count(value) FROM m'))[0]?.count, 5);
        },
        { firstDelay: 300, jitter: 0 },
      );
    });
  }

  it('a server slower than the timeout: the write times out, is retried, and lands once', async () => {
    await behindProxy(
      async (proxy, db) => {
        const completed = await loadBehind(proxy, db, { timeout: 300 });
        proxy.inject({ delayMs: 1000, times: 1, path: '/write' });
        helper.getNode('out').receive({ payload: { value: 1, timestamp: 1_700_000_000_000 } });
        await waitFor(() => completed.length === 1, 'the write', 10_000);
        await sleep(1200);
        assert.deepEqual(
          (await rows(db, 'SELECT * FROM m')).map((row) => row.value),
          [1],
        );
        assert.equal(completed.length, 1);
      },
      { firstDelay: 100, jitter: 0 },
    );
  });

  it('a DSN that cannot work: ConfigurationException, and a red status', async () => {
    const { caught, send } = await setup({}, { dsn: 'http://localhost:8086' });
    send({ payload: 1 });
    await waitFor(() => caught.length === 1, 'the error');
    assert.equal((caught[0]?.error as { code: string }).code, 'ConfigurationException');
    assert.match(statusTexts(helper.getNode('out')).join('|'), /names no database/);
  });

  it('a failed commit of many messages with a Catch node: each message caught, nothing logged', async () => {
    const { caught, send } = await setup({ autocommitEvery: 50 }, { dsn: server.dsn('missing_db') });
    for (let i = 0; i < 50; i++) send({ seq: i, payload: i });
    await waitFor(() => caught.length === 50, 'every message caught');
    assert.deepEqual(
      caught.map((msg) => msg.seq),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.ok(caught.every((msg) => (msg.error as { code: string }).code === 'DatabaseNotFoundException'));
    assert.deepEqual(errorLines('out'), []);
  });

  for (const [what, others, group] of [
    ['no Catch node', []],
    [
      'a Catch node for other nodes only',
      [{ id: 'elsewhere', type: 'catch', z: 'tab', scope: ['cfg'], uncaught: false, wires: [] }],
    ],
    [
      "a Catch node for another group's nodes (this one is in a group of its own)",
      [
        { id: 'ours', type: 'group', z: 'tab', nodes: ['out'] },
        { id: 'theirs', type: 'group', z: 'tab', nodes: ['theirCatch'] },
        { id: 'theirCatch', type: 'catch', z: 'tab', g: 'theirs', scope: 'group', uncaught: false, wires: [] },
      ],
      'ours',
    ],
  ] as Array<readonly [string, readonly Record<string, unknown>[], string?]>) {
    it(`a failed commit of many messages with ${what}: one log line that counts them, each message failed once`, async () => {
      const failures = new Map<unknown, number>();
      hooks.add('onComplete.inflow-test', (event: { node: { id: string }; msg: Message; error?: unknown }) => {
        if (event.node.id === 'out' && event.error !== undefined)
          failures.set(event.msg.seq, (failures.get(event.msg.seq) ?? 0) + 1);
      });
      try {
        await helper.load(inflowNodes, [
          { id: 'tab', type: 'tab' },
          { id: 'cfg', type: 'inflow-config', dsn: server.dsn('missing_db'), precision: 'ms', timeout: 5000 },
          {
            id: 'out',
            type: 'inflow out',
            z: 'tab',
            ...(group === undefined ? {} : { g: group }),
            server: 'cfg',
            measurement: 'm',
            autocommitEvery: 50,
            flushInterval: 0,
            wires: [],
          },
          ...others,
        ]);
        for (let i = 0; i < 50; i++) helper.getNode('out').receive({ seq: i, payload: i });
        await waitFor(() => failures.size === 50, 'every message failed');
        await sleep(50);
        assert.ok(
          [...failures.values()].every((count) => count === 1),
          'each message failed once',
        );
        const lines = errorLines('out');
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(
          lines[0] ?? '',
          /database not found: "missing_db".*\(50 messages failed with this error; a Catch node gets each of them\)/,
        );
      } finally {
        hooks.remove('*.inflow-test');
      }
    });
  }

  it('a database that is not there: named on the status at deploy; with "Create the database or bucket if missing", made, said, and written to', async () => {
    await setup({}, { dsn: server.dsn('not_there_yet') });
    const out = helper.getNode('out');
    await waitFor(
      () =>
        statusTexts(out).includes(
          'database not_there_yet not found: create it, or tick "Create the database or bucket if missing"',
        ),
      'a status naming the database',
      3000,
    );
    assert.equal((await server.databases()).includes('not_there_yet'), false);
    await helper.unload();
    const { completed, send } = await setup({}, { dsn: server.dsn('not_there_yet'), createTarget: true });
    await waitFor(
      () =>
        statusTexts(helper.getNode('out')).some((text) =>
          /^connected: InfluxDB 1\.\S+, db not_there_yet \(created\)$/.test(text),
        ),
      'a status saying it was created',
      3000,
    );
    send({ payload: 1 });
    await waitFor(() => completed.length === 1, 'the write');
    assert.equal((await server.rows('SELECT * FROM temperature', 'not_there_yet')).length, 1);
  });

  it('shows pending points, then the time of the last write, then the last error', async () => {
    const { completed, send } = await setup({ autocommitEvery: 1000, flushInterval: 400 });
    const out = helper.getNode('out');
    await waitFor(
      () => statusTexts(out).some((text) => /^connected: InfluxDB 1\.\d+\.\d+\S*, db \w+$/.test(text)),
      'a connected status',
      3000,
    );
    send({ payload: 1 });
    send({ payload: 2 });
    await waitFor(() => statusTexts(out).includes('2 pending'), 'a pending status', 3000);
    await waitFor(() => completed.length === 2, 'the commit');
    await waitFor(() => statusTexts(out).some((text) => /^written \d\d:\d\d:\d\d$/.test(text)), 'a written status', 3000);
    send({ payload: { value: 1 }, database: 'nodb' });
    await waitFor(
      () => statusTexts(out).some((text) => text === 'not written: database not found: "nodb"'),
      'an error status',
      3000,
    );
  });

  it('the password is a credential: absent from the flow, and it works', async () => {
    const auth = await InfluxServer.start({ auth: true });
    try {
      const flow = [
        { id: 'tab', type: 'tab' },
        {
          id: 'cfg',
          type: 'inflow-config',
          dsn: auth.dsn('authdb').replace('http://', 'http://writer@'),
          precision: 'ms',
          timeout: 5000,
        },
        {
          id: 'out',
          type: 'inflow out',
          z: 'tab',
          server: 'cfg',
          measurement: 'm',
          autocommitEvery: 1,
          flushInterval: 0,
          wires: [],
        },
        { id: 'completer', type: 'complete', z: 'tab', scope: ['out'], wires: [['completed']] },
        { id: 'completed', type: 'helper', z: 'tab' },
      ];
      assert.ok(!JSON.stringify(flow).includes('writer-secret'));
      await helper.load(inflowNodes, flow, { cfg: { password: 'writer-secret-Pa55' } });
      const completed = collect(helper.getNode('completed'));
      helper.getNode('out').receive({ payload: 7 });
      await waitFor(() => completed.length === 1, 'the write');
      assert.equal(helper.getNode('cfg').credentials.password, 'writer-secret-Pa55');
      assert.deepEqual(
        (await auth.rows('SELECT * FROM m', 'authdb')).map((row) => row.value),
        [7],
      );
      assert.ok(!statusTexts(helper.getNode('out')).join().includes('secret'));
    } finally {
      await helper.unload();
      await auth.stop();
    }
  });
});
