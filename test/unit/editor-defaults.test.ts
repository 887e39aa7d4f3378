/**
 * The editor's defaults are the runtime's: what a new node shows in its dialog, what a node saved
 * without a property (an older flow, an example) does, and what the validators accept, are one truth.
 */
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '../../src';
import { clientOfProperties, serverTagsOf } from '../../src/nodes/inflow-config/properties';
import { DEFAULT_API, DEFAULT_PRECISION } from '../../src/nodes/inflow-config/defaults';
import { API_CHOICES, ConfigurationException, LANGUAGES_OF, QUERY_LANGUAGES } from '../../src/core';
import { optionsOf, type OutDef } from '../../src/nodes/inflow-out/settings';
import {
  DEFAULT_EPOCH,
  DEFAULT_FORMAT,
  DEFAULT_LANGUAGE,
  DEFAULT_MAX_ANSWER_MB,
  DEFAULT_OUTPUT,
} from '../../src/nodes/inflow-query/defaults';
import { nodeShapingOf, optionsOf as optionsOfQuery, outputOf, type QueryDef } from '../../src/nodes/inflow-query/settings';

interface EditorDefault {
  value: unknown;
  required?: boolean;
  validate?: (value: unknown) => boolean;
}

/** A list the editor template of a node type declares as `var NAME = ...;` (JSON-like), as a value. */
function editorList(type: string, name: string): unknown {
  const html = readFileSync(path.join(__dirname, '..', '..', 'src', 'nodes', type, `${type}.html`), 'utf8');
  const source = new RegExp(`var ${name} = ([\\s\\S]*?);\\n`).exec(html)?.[1];
  assert.ok(source !== undefined, `${type}.html declares ${name}`);
  // Made in another realm: through JSON, so that it compares with this realm's arrays and objects.
  return JSON.parse(JSON.stringify(runInNewContext(`(${source})`))) as unknown;
}

/** The `defaults` a node type's editor template registers, read by running its script with a stand-in RED. */
function editorDefaults(type: string): Record<string, EditorDefault> {
  const html = readFileSync(path.join(__dirname, '..', '..', 'src', 'nodes', type, `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  let defaults: Record<string, EditorDefault> = {};
  const RED = {
    nodes: {
      registerType: (_type: string, definition: { defaults: Record<string, EditorDefault> }) => (defaults = definition.defaults),
    },
  };
  // The template's script, run as the editor runs it: after the package's shared editor script, with a
  // stand-in RED and jQuery, and the browser's URL.
  const loadsShared = html.startsWith('<script src="resources/node-red-contrib-inflow/tags.js"></script>');
  const shared = loadsShared ? readFileSync(path.join(__dirname, '..', '..', 'resources', 'tags.js'), 'utf8') : '';
  runInNewContext(`${shared}\n${script}`, { RED, $: () => ({}), URL });
  return defaults;
}

const missing = { id: 'n', type: 'inflow out', name: '', z: 'tab', server: 'cfg' } as OutDef;

describe('editor defaults', () => {
  it('inflow out: every default in the dialog is what the runtime does with the property missing', () => {
    const editor = editorDefaults('inflow-out');
    const runtime = optionsOf(missing, 'ms');
    assert.equal(editor.autocommitEvery?.value, runtime.batchSize);
    assert.equal(editor.flushInterval?.value, runtime.flushInterval);
    assert.equal(editor.bufferLimit?.value, runtime.maxBufferLines);
    assert.equal(editor.spool?.value, runtime.spool);
    assert.equal(Number(editor.spoolLimit?.value) * 1024 * 1024, runtime.spoolMaxBytes);
    assert.equal(editor.errorOutput?.value, runtime.errorOutput !== undefined);
    assert.equal(editor.measurement?.value, runtime.payload.measurement);
    assert.equal(editor.tags?.value, '');
    assert.equal(runtime.payload.tags, undefined);
    assert.equal(editor.payloadFormat?.value, runtime.payload.format);
    assert.equal(editor.jitter?.value, runtime.jitterInterval);
    assert.equal(editor.maxRetries?.value, '');
    assert.equal(runtime.maxRetries, undefined);
    assert.equal(editor.matchFieldTypes?.value, runtime.matchFieldTypes);
    assert.equal(editor.invalidValues?.value, runtime.invalidValues);
  });

  it('inflow out: the validators accept what the runtime accepts, a missing or empty value among it', () => {
    const editor = editorDefaults('inflow-out');
    for (const key of ['autocommitEvery', 'flushInterval', 'bufferLimit', 'spoolLimit', 'jitter', 'maxRetries']) {
      const validate = editor[key]?.validate as (value: unknown) => boolean;
      assert.equal(editor[key]?.required, undefined, `${key} is not required: empty is the default`);
      for (const value of [undefined, '', editor[key]?.value, '5']) {
        assert.equal(validate(value), true, `${key} = ${JSON.stringify(value)}`);
        assert.doesNotThrow(() => optionsOf({ ...missing, [key]: value }, 'ms'));
      }
      for (const value of ['x', '1.5', '-1']) {
        assert.equal(validate(value), false, `${key} = ${JSON.stringify(value)}`);
        assert.throws(() => optionsOf({ ...missing, [key]: value }, 'ms'));
      }
    }
    assert.equal((editor.autocommitEvery?.validate as (value: unknown) => boolean)('0'), false);
    assert.equal((editor.flushInterval?.validate as (value: unknown) => boolean)('0'), true);
  });

  it('tags, of inflow out and of inflow-config: the validators accept the JSON objects the runtime accepts, and no other', () => {
    const out = editorDefaults('inflow-out').tags;
    const config = editorDefaults('inflow-config').tags;
    assert.equal(config?.value, '');
    assert.equal(clientOfProperties({ dsn: 'http://127.0.0.1:8086/db' }).defaultTags, undefined);
    const dsn = 'http://127.0.0.1:8086/db';
    const validators = { 'inflow out': out?.validate, 'inflow-config': config?.validate } as Record<
      string,
      (value: unknown) => boolean
    >;
    const judged = (value: unknown): boolean[] => Object.values(validators).map((validate) => validate(value));
    const valid = [
      undefined,
      '',
      ' ',
      '{}',
      JSON.stringify({ site: 'barn' }),
      JSON.stringify({ floor: 3, indoor: true, gain: -0.5 }),
      JSON.stringify({ 'a b': 'c,d=e', path: 'C:\\data', emoji: '\u{1F600}', crlf: 'a\rb' }),
      '{"__proto__":"x","constructor":"y"}',
    ];
    for (const value of valid) {
      assert.deepEqual(judged(value), [true, true], `the editor takes ${JSON.stringify(value)}`);
      assert.doesNotThrow(() => optionsOf(value === undefined ? missing : { ...missing, tags: value }, 'ms'));
      assert.doesNotThrow(() => clientOfProperties({ dsn, tags: value }));
      assert.doesNotThrow(() => serverTagsOf(value));
    }
    // Node-RED fills in a value that is exactly ${VARIABLE} before the runtime reads it.
    assert.deepEqual(judged('${INFLOW_TAGS}'), [true, true]);
    const invalid = [
      '{site: barn}',
      '[]',
      '"barn"',
      'null',
      '{"n":1e400}',
      '{"a":"b"}${X}',
      ...[
        { site: '' },
        { site: null },
        { site: {} },
        { site: ['a'] },
        { '': 'x' },
        { time: 'x' },
        { a: 'x\ny' },
        { 'a\nb': 'x' },
        { a: 'x\\' },
        { a: 'x\\ y' },
        { a: '\\,b' },
        { 'a\\=': 'b' },
        { a: '\ud800' },
      ].map((tags) => JSON.stringify(tags)),
    ];
    const names = (property: string) => (error: unknown) =>
      error instanceof ConfigurationException && error.message.startsWith(property);
    for (const value of invalid) {
      assert.deepEqual(judged(value), [false, false], `the editor refuses ${value}`);
      assert.throws(() => optionsOf({ ...missing, tags: value }, 'ms'), names('tags'), value);
      assert.throws(() => serverTagsOf(value), names('default tags'), value);
    }
  });

  it('inflow-config: precision and timeout default as the runtime does', () => {
    const editor = editorDefaults('inflow-config');
    assert.equal(editor.precision?.value, DEFAULT_PRECISION);
    assert.equal(editor.timeout?.value, new Client('http://127.0.0.1:8086/db').timeout);
    const validate = editor.timeout?.validate as (value: unknown) => boolean;
    for (const value of [undefined, '', 10000, '250']) assert.equal(validate(value), true, JSON.stringify(value));
    for (const value of ['0', '-5', 'soon']) assert.equal(validate(value), false, JSON.stringify(value));
    assert.equal(editor.precision?.required, undefined, 'a flow without a precision is valid: it means ms');
  });

  it('inflow-config: the server kind defaults to finding out, as the runtime does with the property missing', () => {
    const editor = editorDefaults('inflow-config');
    assert.equal(editor.version?.value, DEFAULT_API);
    assert.deepEqual(editorList('inflow-config', 'KINDS'), [...API_CHOICES], "the kinds offered are the library's");
    const validate = editor.version?.validate as (value: unknown) => boolean;
    for (const value of [undefined, '', ...API_CHOICES]) assert.equal(validate(value), true, String(value));
    assert.equal(validate('4'), false);
    // The address needs a database as its path unless a bucket or database is set apart: as the runtime reads it.
    const dsn = editor.dsn?.validate as (this: unknown, value: unknown) => boolean;
    assert.equal(dsn.call({}, 'http://127.0.0.1:8086/sensors'), true);
    assert.equal(dsn.call({}, 'http://127.0.0.1:8086'), false);
    assert.equal(dsn.call({ bucket: 'home' }, 'http://127.0.0.1:8086'), true);
    assert.equal(dsn.call({ database: 'sensors' }, 'http://127.0.0.1:8086'), true);
    assert.equal(dsn.call({}, 'http://u:secret@127.0.0.1:8086/db'), false);
    // Values Node-RED takes from the environment are not judged in the editor.
    assert.equal(dsn.call({}, '${INFLUX_URL}'), true);
    assert.equal(dsn.call({}, 'http://${INFLUX_HOST}:8086/sensors'), true);
    assert.equal((editor.timeout?.validate as (value: unknown) => boolean)('${INFLUX_TIMEOUT}'), true);
    assert.equal(validate('${INFLUX_KIND}'), true);
    assert.equal(editor.tlsVerify?.value, true);
    // The runtime reads them alike: a DSN's path is the database; a bucket or database set apart leaves the URL the server's.
    assert.equal(clientOfProperties({ dsn: 'http://127.0.0.1:8086/sensors' }).database, 'sensors');
    assert.throws(() => clientOfProperties({ dsn: 'http://127.0.0.1:8086' }), /names no database/);
    assert.equal(clientOfProperties({ dsn: 'http://127.0.0.1:8086', bucket: 'home', org: 'o' }).bucket, 'home');
    assert.equal(clientOfProperties({ dsn: 'http://127.0.0.1:8086/proxy', database: 'sensors' }).database, 'sensors');
  });

  it('inflow query: times as ms, InfluxQL, one message, answers up to 32 MB, series, every point, unless set otherwise', () => {
    const editor = editorDefaults('inflow-query');
    // The languages offered for each kind of server are those it answers; one that finds out may be any.
    assert.deepEqual(editorList('inflow-query', 'LANGUAGES'), { auto: [...QUERY_LANGUAGES], ...LANGUAGES_OF });
    assert.equal(editor.maxAnswerMb?.value, DEFAULT_MAX_ANSWER_MB);
    assert.equal(editor.epoch?.value, DEFAULT_EPOCH);
    assert.equal(editor.language?.value, DEFAULT_LANGUAGE);
    assert.equal(editor.output?.value, DEFAULT_OUTPUT);
    const missing = {
      id: 'q',
      type: 'inflow query',
      z: 't',
      name: '',
      server: 'c',
      query: 'x',
      epoch: 'ms',
      raw: false,
      errorOutput: false,
    };
    const shaping = nodeShapingOf(missing);
    assert.deepEqual(shaping, { format: DEFAULT_FORMAT, maxPoints: undefined });
    assert.equal(editor.format?.value, DEFAULT_FORMAT);
    assert.equal(editor.maxPoints?.value, '');
    assert.ok('format' in shaping, 'the node shapes its answers');
    assert.equal(optionsOfQuery({}, missing, shaping).language, DEFAULT_LANGUAGE);
    assert.equal(optionsOfQuery({}, missing, shaping).maxAnswerBytes, DEFAULT_MAX_ANSWER_MB * 1024 * 1024);
    assert.equal(outputOf(missing), DEFAULT_OUTPUT);
    const validate = editor.language?.validate as (value: unknown) => boolean;
    for (const value of [undefined, '', 'influxql', 'sql', 'flux']) assert.equal(validate(value), true, String(value));
    assert.equal(validate('promql'), false);
  });

  it('inflow query: the dialog marks the format and the points a series invalid where the runtime refuses them', () => {
    const editor = editorDefaults('inflow-query');
    const base = { id: 'q', type: 'inflow query', z: 't', name: '', server: 'c', query: 'x', epoch: 'ms', errorOutput: false };
    const cases: QueryDef[] = [];
    for (const format of ['', 'series', 'rows', 'chart', 'chart-dashboard1', 'table'])
      for (const maxPoints of ['', '1', '2', '300', '2.5', 'x'])
        for (const output of ['message', 'parts'])
          for (const raw of [false, true]) cases.push({ ...base, format, maxPoints, output, raw });
    for (const def of cases) {
      const formatValid = (editor.format?.validate as (this: unknown, value: unknown) => boolean).call(def, def.format);
      const pointsValid = (editor.maxPoints?.validate as (this: unknown, value: unknown) => boolean).call(def, def.maxPoints);
      const runtime = nodeShapingOf(def);
      assert.equal(formatValid && pointsValid, 'format' in runtime, JSON.stringify(def));
    }
  });
});
