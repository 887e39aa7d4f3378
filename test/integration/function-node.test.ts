/**
 * The most common flow of all: a Function node builds msg.payload (in its own JavaScript realm, a
 * `vm` context) and inflow out writes it; a Function node sets msg.params for inflow query. Every
 * payload form, read back from a real influxd; and the package's examples, run as they are.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  collect,
  helper,
  inflowNodes,
  loadFunctionFlow,
  statusTexts,
  waitFor,
  watched,
  watchersOf,
  type Message,
} from '../support/flows';
import { FaultProxy } from '../support/proxy';
import { server, useOutServer } from '../support/out-flows';

const functionModule: unknown = require('@node-red/nodes/core/function/10-function.js');
const coreNodes: unknown[] = [
  functionModule,
  require('@node-red/nodes/core/common/20-inject.js'),
  require('@node-red/nodes/core/common/90-comment.js'),
];

let counter = 0;
useOutServer();

const T = 1_700_000_000_000;

interface FunctionFlow {
  db: string;
  caught: Message[];
  completed: Message[];
  /** Triggers the Function node, and resolves once `messages` messages are done or caught. */
  run: (messages: number, within?: number) => Promise<void>;
}

/** Function node body -> inflow out -> influxd, in a database of its own. */
async function functionFlow(
  func: string,
  out: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
): Promise<FunctionFlow> {
  const db = `fn_${++counter}`;
  await server.createDatabase(db);
  const { caught, completed } = await loadFunctionFlow({ dsn: server.dsn(db), retentionPolicy: '', ...config }, func, {
    out,
    modules: coreNodes.filter((module) => module !== functionModule),
  });
  return {
    db,
    caught,
    completed,
    run: async (messages, within) => {
      helper.getNode('fn').receive({ payload: '' });
      await waitFor(() => caught.length + completed.length === messages, `the ${messages} message(s) done`, within);
    },
  };
}

/** Function node body -> inflow out -> influxd; resolves once the message is done (or caught). */
/** A Function node running `func` in front of inflow query (`SELECT value FROM reading WHERE room = $room`), and a helper after it. */
async function loadQueryBehindFunction(dsn: string, func: string): Promise<void> {
  await helper.load(
    [...inflowNodes, ...coreNodes],
    [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'inflow-config', dsn, precision: 'ms', retentionPolicy: '', timeout: 5000 },
      { id: 'fn', type: 'function', z: 'tab', func, outputs: 1, wires: [['query']] },
      {
        id: 'query',
        type: 'inflow query',
        z: 'tab',
        server: 'cfg',
        query: 'SELECT value FROM reading WHERE room = $room',
        epoch: 'ms',
        wires: [['answers']],
      },
      { id: 'answers', type: 'helper', z: 'tab' },
      ...watchersOf('query'),
    ],
  );
}

async function writeThroughFunction(func: string, out: Record<string, unknown> = {}): Promise<{ db: string; caught: Message[] }> {
  const flow = await functionFlow(func, out);
  await flow.run(1);
  return flow;
}

const forms: Array<{ form: string; func: string; query: string; expected: Array<Record<string, unknown>> }> = [
  {
    form: 'an object of fields',
    func: `msg.payload = { temperature: 21.3, timestamp: ${T} }; return msg;`,
    query: 'SELECT temperature FROM reading',
    expected: [{ time: T, temperature: 21.3 }],
  },
  {
    form: 'an object of fields with tags',
    func: `msg.payload = { temperature: 21.3, tags: { room: 'kitchen' }, timestamp: ${T} }; return msg;`,
    query: 'SELECT temperature, room FROM reading',
    expected: [{ time: T, temperature: 21.3, room: 'kitchen' }],
  },
  {
    form: 'a null-prototype object',
    func: `msg.payload = Object.assign(Object.create(null), { level: 4.5, timestamp: ${T} }); return msg;`,
    query: 'SELECT level FROM reading',
    expected: [{ time: T, level: 4.5 }],
  },
  {
    form: 'the dict form',
    func: `msg.payload = { measurement: 'air', tags: { site: 'roof' }, fields: { co2: 415 }, time: ${T} }; return msg;`,
    query: 'SELECT co2, site FROM air',
    expected: [{ time: T, co2: 415, site: 'roof' }],
  },
  {
    form: 'rows with msg.template',
    func: `msg.template = { name: 'power', tags: { site: 'workshop' } };
      msg.payload = [{ watts: 412.5, timestamp: ${T}, tags: { meter: 'lathe' } }, { watts: 88.1, timestamp: ${T + 1}, tags: { meter: 'lights' } }];
      return msg;`,
    query: 'SELECT watts, meter, site FROM power',
    expected: [
      { time: T, watts: 412.5, meter: 'lathe', site: 'workshop' },
      { time: T + 1, watts: 88.1, meter: 'lights', site: 'workshop' },
    ],
  },
  {
    form: 'an array of dict forms',
    func: `msg.payload = [{ measurement: 'a', fields: { x: 1 }, time: ${T} }, { measurement: 'a', fields: { x: 2 }, time: ${T + 1} }]; return msg;`,
    query: 'SELECT x FROM a',
    expected: [
      { time: T, x: 1 },
      { time: T + 1, x: 2 },
    ],
  },
  {
    form: 'a Date timestamp',
    func: `msg.payload = { value: 7, timestamp: new Date(${T}) }; return msg;`,
    query: 'SELECT value FROM reading',
    expected: [{ time: T, value: 7 }],
  },
  {
    form: 'a number, with msg.measurement',
    func: `msg.measurement = 'level'; msg.payload = 3.25; return msg;`,
    query: 'SELECT value FROM level',
    expected: [{ value: 3.25 }],
  },
];

describe('payloads built in a Function node', () => {
  for (const { form, func, query, expected } of forms) {
    it(`${form} is written and reads back from InfluxDB`, async () => {
      const { db, caught } = await writeThroughFunction(func);
      assert.deepEqual(
        caught.map((msg) => (msg.error as { message?: string }).message),
        [],
      );
      const rows = await server.rows(query, db, 'ms');
      const compared = expected[0]?.time === undefined ? rows.map(({ time: _time, ...rest }) => rest) : rows;
      assert.deepEqual(compared, expected);
    });
  }

  it('a row that is not an object of fields is still refused, naming the row', async () => {
    const { caught } = await writeThroughFunction(`msg.payload = [{ value: 1 }, [2]]; return msg;`);
    assert.match(String((caught[0]?.error as { message?: string }).message), /msg\.payload\[1\] is a array/);
  });

  it("at the node's default commit size, messages of 1,000 rows are written once a full request waits, none dropped", async () => {
    // The default commit waits for 1,000 messages; the interval is set long, so only the size can send these.
    const { db, caught, run } = await functionFlow(
      `for (let m = 0; m < 20; m++) {
         const rows = [];
         for (let j = 0; j < 1000; j++) rows.push({ value: j, timestamp: ${T} + m * 1000 + j });
         node.send({ payload: rows });
       }
       return null;`,
      { autocommitEvery: undefined, flushInterval: 60_000 },
    );
    await run(20, 20_000);
    assert.deepEqual(
      caught.map((msg) => (msg.error as { message?: string }).message),
      [],
    );
    const [count] = await server.rows('SELECT count(value) FROM reading', db, 'ms');
    assert.equal(count?.count, 20_000);
  });

  it('messages sent at a steady pace go one request a commit, their Function-node Dates as times', async () => {
    // 40 messages 5 ms apart, committed every 10: a commit's write ends while the next messages come in.
    const { db, caught, run } = await functionFlow(
      `for (let m = 0; m < 40; m++) setTimeout(() => node.send({ payload: { value: m, timestamp: new Date(${T} + m) } }), 5 * m);
       return null;`,
      { autocommitEvery: 10, flushInterval: 60_000 },
    );
    const before = await server.writeRequests();
    await run(40, 20_000);
    assert.equal(caught.length, 0);
    assert.equal((await server.writeRequests()) - before, 4);
    const rows = await server.rows('SELECT value FROM reading', db, 'ms');
    assert.deepEqual(
      rows,
      Array.from({ length: 40 }, (_, m) => ({ time: T + m, value: m })),
    );
  });

  it('readings of twenty rooms, each its own measurement, are stored from one commit with no listener-leak warning', async () => {
    // Each new measurement's field types are read before the commit is written, all twenty at once.
    const warnings: string[] = [];
    const onWarning = (warning: Error): number => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const { db, caught, run } = await functionFlow(
        `for (let r = 0; r < 20; r++) node.send({ measurement: 'room_' + r, payload: { value: r, timestamp: ${T} + r } });
         return null;`,
        { autocommitEvery: undefined, flushInterval: 200 },
      );
      await run(20);
      assert.equal(caught.length, 0);
      const rows = await server.rows('SELECT value FROM /^room_/', db, 'ms');
      assert.deepEqual(
        rows.map((row) => row.value).sort((a, b) => Number(a) - Number(b)),
        Array.from({ length: 20 }, (_, r) => r),
      );
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('hundreds of readings at the default commit, some with non-ASCII tags and text, are stored as built, in order', async () => {
    // 600 messages: past the queue's groups of 256, every seventh with text that is not ASCII.
    const { db, caught, run } = await functionFlow(
      `for (let m = 0; m < 600; m++) {
         const special = m % 7 === 0;
         node.send({ payload: { value: m, note: special ? 'Sonne ☀️ 21 °C' : 'ok', tags: { city: special ? 'München' : 'Bonn' }, timestamp: ${T} + m } });
       }
       return null;`,
      { autocommitEvery: undefined, flushInterval: 200 },
    );
    await run(600, 20_000);
    assert.equal(caught.length, 0);
    const rows = await server.rows('SELECT value, note, city FROM reading', db, 'ms');
    assert.deepEqual(
      rows,
      Array.from({ length: 600 }, (_, m) =>
        m % 7 === 0
          ? { time: T + m, value: m, note: 'Sonne ☀️ 21 °C', city: 'München' }
          : { time: T + m, value: m, note: 'ok', city: 'Bonn' },
      ),
    );
  });

  it("line protocol text gets the node's tags and msg.tags as given, a backslash too; a tag InfluxDB cannot store fails its message", async () => {
    const { db, caught, run } = await functionFlow(
      `node.send({ payload: 'disk used=1 ${T}', tags: { share: 'a b,c' } });
       node.send({ payload: 'disk used=2 ${T + 1}', tags: { note: 'two\\nlines' } });
       return null;`,
      { payloadFormat: 'lineProtocol', tags: JSON.stringify({ path: 'C:\\data' }) },
    );
    await run(2);
    assert.equal(caught.length, 1);
    assert.match(String((caught[0]?.error as { message?: string }).message), /of tag "note" contains a line break/);
    assert.deepEqual(await server.rows('SELECT * FROM disk', db, 'ms'), [{ time: T, path: 'C:\\data', share: 'a b,c', used: 1 }]);
  });

  it('seconds from a device as text follow msg.precision; seconds without it, a field beside "fields" and a year-2300 Date each fail their message alone, named', async () => {
    const seconds = Math.floor(T / 1000);
    const { db, caught, run } = await functionFlow(
      `node.send({ precision: 's', payload: { value: 1, timestamp: '${seconds}' } });
       node.send({ payload: { value: 2, timestamp: '${seconds}' } });
       node.send({ payload: { fields: { value: 3 }, humidity: 40, timestamp: ${T} } });
       node.send({ payload: { value: 4, timestamp: new Date(Date.UTC(2300, 0, 1)) } });
       node.send({ payload: { value: 5, timestamp: new Date(${T + 5}) } });
       return null;`,
    );
    await run(5);
    const words = caught.map((msg) => String((msg.error as { message?: string }).message));
    assert.equal(words.length, 3, words.join('\n'));
    assert.match(words[0] ?? '', new RegExp(`^msg.payload: timestamp ${seconds} read as milliseconds .* it looks like seconds`));
    assert.match(words[1] ?? '', /^msg.payload: "humidity" stands beside "fields"/);
    assert.match(words[2] ?? '', /^msg.payload: timestamp 2300-01-01T00:00:00.000Z is outside the range InfluxDB can store/);
    assert.deepEqual(await server.rows('SELECT value FROM reading', db, 'ms'), [
      { time: seconds * 1000, value: 1 },
      { time: T + 5, value: 5 },
    ]);
  });

  it("the server's default tags go on every point, under the node's tags, msg.tags and a point's own tags", async () => {
    const { db, caught, run } = await functionFlow(
      `node.send({ payload: { value: 1, timestamp: ${T} } });
       node.send({ payload: { value: 2, timestamp: ${T + 1}, tags: { site: 'attic' } } });
       node.send({ payload: { value: 3, timestamp: ${T + 2} }, tags: { room: 'hall' } });
       return null;`,
      { tags: '{"room":"lab"}' },
      { tags: '{"site":"barn","room":"default","floor":2}' },
    );
    await run(3);
    assert.deepEqual(caught, []);
    assert.deepEqual(await server.rows('SELECT * FROM reading', db, 'ms'), [
      { time: T, floor: '2', room: 'lab', site: 'barn', value: 1 },
      { time: T + 1, floor: '2', room: 'lab', site: 'attic', value: 2 },
      { time: T + 2, floor: '2', room: 'hall', site: 'barn', value: 3 },
    ]);
  });

  it("the server's default tags go on line protocol text where a line has no tag of that key", async () => {
    const { db, caught, run } = await functionFlow(
      `node.send({ payload: 'disk used=1 ${T}' });
       node.send({ payload: 'disk,gateway=spare used=2 ${T + 1}' });
       return null;`,
      { payloadFormat: 'lineProtocol' },
      { tags: '{"gateway":"pi-3"}' },
    );
    await run(2);
    assert.deepEqual(caught, []);
    assert.deepEqual(await server.rows('SELECT * FROM disk', db, 'ms'), [
      { time: T, gateway: 'pi-3', used: 1 },
      { time: T + 1, gateway: 'spare', used: 2 },
    ]);
  });

  it('Tags of the server that cannot work fail each message written through it, naming them; its queries still answer', async () => {
    const db = `fn_${++counter}`;
    await server.createDatabase(db);
    await server.rawWrite(db, `reading value=7 ${T}`, 'ms');
    const { caught } = await loadFunctionFlow(
      { dsn: server.dsn(db), retentionPolicy: '', tags: '{"site":{"name":"barn"}}' },
      'return { payload: 1 };',
      {
        modules: coreNodes.filter((module) => module !== functionModule),
        more: [
          {
            id: 'query',
            type: 'inflow query',
            z: 'tab',
            server: 'cfg',
            query: 'SELECT value FROM reading',
            wires: [['answers']],
          },
          { id: 'answers', type: 'helper', z: 'tab' },
        ],
      },
    );
    const answers = collect(helper.getNode('answers'));
    helper.getNode('fn').receive({ payload: '' });
    helper.getNode('query').receive({});
    await waitFor(() => caught.length === 1 && answers.length === 1, 'the write failed and the query answered');
    assert.equal((caught[0]?.error as { code?: string }).code, 'ConfigurationException');
    assert.match(
      String((caught[0]?.error as { message?: string }).message),
      /default tags: the tag "site" must be text or a number, not an object/,
    );
    assert.deepEqual(answers[0]?.payload, [{ name: 'reading', values: [{ time: T, value: 7 }] }]);
  });

  it('inflow query takes msg.params set in a Function node', async () => {
    const db = `fn_${++counter}`;
    await server.createDatabase(db);
    await server.rawWrite(db, `reading,room=kitchen value=1 ${T}\nreading,room=hall value=2 ${T + 1}`, 'ms');
    await loadQueryBehindFunction(server.dsn(db), `msg.params = { room: 'hall' }; return msg;`);
    const answers = collect(helper.getNode('answers'));
    const { caught } = watched();
    helper.getNode('fn').receive({ payload: '' });
    await waitFor(() => answers.length + caught.length === 1, 'the answer');
    assert.deepEqual(caught, []);
    assert.deepEqual(answers[0]?.payload, [{ name: 'reading', values: [{ time: T + 1, value: 2 }] }]);
  });

  it('two queries a Function node sends at once are answered in the order it sent them, the first answered last', async () => {
    const db = `fn_${++counter}`;
    await server.createDatabase(db);
    await server.rawWrite(db, `reading,room=kitchen value=1 ${T}\nreading,room=hall value=2 ${T + 1}`, 'ms');
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      await loadQueryBehindFunction(
        proxy.dsn(db),
        `node.send({ topic: 'kitchen', params: { room: 'kitchen' } });
         node.send({ topic: 'hall', params: { room: 'hall' } });
         return null;`,
      );
      const answers = collect(helper.getNode('answers'));
      const { caught } = watched();
      const node = helper.getNode('query');
      await waitFor(() => statusTexts(node).some((text) => text.startsWith('connected')), 'the server checked', 5000);
      // The kitchen's query waits 800 ms at the proxy; the hall's goes straight through.
      proxy.inject({ delayMs: 800, times: 1, path: '/query' });
      helper.getNode('fn').receive({ payload: '' });
      await waitFor(() => answers.length + caught.length === 2, 'the two answers', 5000);
      assert.deepEqual(caught, []);
      assert.deepEqual(
        answers.map((msg) => [msg.topic, msg.payload]),
        [
          ['kitchen', [{ name: 'reading', values: [{ time: T, value: 1 }] }]],
          ['hall', [{ name: 'reading', values: [{ time: T + 1, value: 2 }] }]],
        ],
      );
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });
});

describe('the examples whose payloads a Function node builds, run as they are', () => {
  const examples = path.join(__dirname, '..', '..', 'examples');
  const cases = [
    { file: 'Write a sensor value.json', query: 'SELECT count(value) FROM temperature', count: 1 },
    { file: 'Write rows with a template.json', query: 'SELECT count(watts) FROM power', count: 3 },
  ];
  for (const { file, query, count } of cases) {
    it(`"${file}": its inject button writes ${count} point(s) to InfluxDB`, async () => {
      const db = `fn_${++counter}`;
      await server.createDatabase(db);
      const flow = JSON.parse(readFileSync(path.join(examples, file), 'utf8')) as Array<Record<string, unknown>>;
      for (const node of flow) {
        if (node.type === 'inflow-config') Object.assign(node, { dsn: server.url, database: db });
        if (node.type === 'inject') Object.assign(node, { repeat: '', once: false });
      }
      const out = flow.find((node) => node.type === 'inflow out') as { id: string; z: string };
      flow.push(...watchersOf(out.id).map((node) => ({ ...node, z: out.z })));
      await helper.load([...inflowNodes, ...coreNodes], flow);
      const { caught, completed } = watched();
      helper.getNode((flow.find((node) => node.type === 'inject') as { id: string }).id).receive({});
      await waitFor(() => caught.length + completed.length === 1, 'the message done');
      assert.deepEqual(
        caught.map((msg) => (msg.error as { message?: string }).message),
        [],
      );
      const rows = await server.rows(query, db);
      assert.equal(rows[0]?.count, count);
    });
  }
});
