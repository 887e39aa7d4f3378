/**
 * The package installed in a real Node-RED runtime: a flow deployed through the Admin API carries
 * data into InfluxDB, and the editor is served the nodes, their help, labels, icons and examples.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InfluxServer, WRITER } from '../support/influxd';
import { NodeRedProcess } from '../support/node-red';

let influx: InfluxServer;
let nodeRed: NodeRedProcess;

const flow = (dsn: string): unknown[] => [
  { id: 'tab1', type: 'tab', label: 'ingest' },
  {
    id: 'server1',
    type: 'inflow-config',
    name: '',
    dsn,
    precision: 'ms',
    retentionPolicy: '',
    timeout: 5000,
    credentials: { password: WRITER.password },
  },
  { id: 'httpIn', type: 'http in', z: 'tab1', url: '/ingest', method: 'post', upload: false, wires: [['writer']] },
  {
    id: 'writer',
    type: 'inflow out',
    z: 'tab1',
    server: 'server1',
    measurement: 'readings',
    autocommitEvery: 1000,
    flushInterval: 200,
    tags: '{"gateway":"pi-1"}',
    integerFields: '',
    errorOutput: false,
    wires: [],
  },
  { id: 'whenWritten', type: 'complete', z: 'tab1', scope: ['writer'], uncaught: false, wires: [['respond']] },
  { id: 'whenFailed', type: 'catch', z: 'tab1', scope: ['writer'], uncaught: false, wires: [['failure']] },
  {
    id: 'failure',
    type: 'change',
    z: 'tab1',
    rules: [
      { t: 'set', p: 'statusCode', pt: 'msg', to: '422', tot: 'num' },
      { t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' },
    ],
    wires: [['respond']],
  },
  { id: 'respond', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] },
];

before(async () => {
  influx = await InfluxServer.start({ auth: true });
  nodeRed = await NodeRedProcess.start();
  await nodeRed.deploy(flow(influx.dsn('authdb').replace('http://', `http://${WRITER.username}@`)));
});
after(async () => {
  await nodeRed?.remove();
  await influx?.stop();
});

async function post(body: unknown): Promise<{ status: number; body: string }> {
  const response = await fetch(`${nodeRed.url}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

describe('in a real Node-RED runtime', () => {
  it('a deployed flow writes messages into InfluxDB, answering once they are written', async () => {
    const answers = await Promise.all([
      post({ temperature: 21.5, timestamp: 1_700_000_000_000 }),
      post({ temperature: 22, timestamp: 1_700_000_001_000, tags: { room: 'loft' } }),
    ]);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200],
    );
    assert.deepEqual(await influx.rows('SELECT * FROM readings GROUP BY *', 'authdb', 'ms'), [
      { time: 1_700_000_000_000, temperature: 21.5, gateway: 'pi-1', room: '' },
      { time: 1_700_000_001_000, temperature: 22, gateway: 'pi-1', room: 'loft' },
    ]);
  });

  it('a bad message gets its error, with its type, and the next one is written', async () => {
    const bad = await post({ temperature: { celsius: 21 } });
    assert.equal(bad.status, 422);
    const error = JSON.parse(bad.body) as { code: string; message: string };
    assert.equal(error.code, 'InvalidMeasurementException');
    assert.match(error.message, /field "temperature" is of type Object/);
    assert.equal((await post({ temperature: 23, timestamp: 1_700_000_002_000 })).status, 200);
  });

  it('keeps the password out of the flow: in encrypted credentials only', async () => {
    const flows = await (await fetch(`${nodeRed.url}/flows`)).text();
    assert.ok(!flows.includes(WRITER.password), 'the Admin API flow holds the password');
    const onDisk = readFileSync(path.join(nodeRed.userDir, 'flows.json'), 'utf8');
    assert.ok(!onDisk.includes(WRITER.password), 'flows.json holds the password');
    const credentials = readFileSync(path.join(nodeRed.userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!credentials.includes(WRITER.password), 'flows_cred.json is not encrypted');
    const editorView = (await (await fetch(`${nodeRed.url}/credentials/inflow-config/server1`)).json()) as Record<
      string,
      unknown
    >;
    // The user name is in the DSN here; the Username field, a credential too, is empty.
    assert.deepEqual(editorView, { username: '', has_password: true, has_token: false });
  });

  it('serves the editor the three node types, their templates and help', async () => {
    const list = (await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } })).json()) as Array<{
      id: string;
      types: string[];
      err?: string;
    }>;
    const ours = list.filter((set) => set.id.startsWith('node-red-contrib-inflow/'));
    assert.deepEqual(ours.map((set) => [set.types, set.err]).sort(), [
      [['inflow out'], undefined],
      [['inflow query'], undefined],
      [['inflow-config'], undefined],
    ]);
    const html = await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    for (const type of ['inflow-config', 'inflow out', 'inflow query']) {
      assert.ok(html.includes(`registerType('${type}'`), `no editor definition for ${type}`);
      assert.ok(html.includes(`data-template-name="${type}"`), `no edit dialog for ${type}`);
      assert.ok(html.includes(`data-help-name="${type}"`), `no help for ${type}`);
    }
    assert.match(html, /Writes <code>msg.payload<\/code> to InfluxDB as measurements/);
  });

  it('serves the labels from locales/ and the icon from icons/', async () => {
    const catalog = async (set: string) =>
      (await (await fetch(`${nodeRed.url}/locales/node-red-contrib-inflow/${set}?lng=en-US`)).json()) as Record<
        string,
        { label: Record<string, string> }
      >;
    assert.equal((await catalog('inflow-out'))['inflow-out']?.label.measurement, 'Measurement');
    assert.equal((await catalog('inflow-config'))['inflow-config']?.label.dsn, 'URL');
    assert.equal((await catalog('inflow-query'))['inflow-query']?.label.query, 'Query');
    const icon = await fetch(`${nodeRed.url}/icons/node-red-contrib-inflow/inflow.svg`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get('content-type') ?? '', /svg/);
    assert.match(await icon.text(), /<svg/);
  });

  it('lists the examples under Import > Examples', async () => {
    const modules = (await (await fetch(`${nodeRed.url}/library/examples/flows/`)).json()) as string[];
    assert.ok(modules.includes('node-red-contrib-inflow'));
    const ours = (await (await fetch(`${nodeRed.url}/library/examples/flows/node-red-contrib-inflow`)).json()) as Array<{
      fn: string;
    }>;
    assert.deepEqual(ours.map((entry) => entry.fn).sort(), [
      'Query to a debug node',
      'Route errors by type',
      'Write a sensor value',
      'Write rows with a template',
    ]);
    const example = await fetch(`${nodeRed.url}/library/examples/flows/node-red-contrib-inflow/Write a sensor value`);
    const nodes = (await example.json()) as Array<{ type: string }>;
    assert.ok(nodes.some((node) => node.type === 'inflow out'));
  });
});
