/**
 * The package as a user gets it: `npm pack` builds and packs it from a copy of the source, `npm install`
 * puts the tarball into a fresh Node-RED user directory, and Node-RED (the one in node_modules on the
 * current `node`, or NODE_RED_HOME's) loads it and serves the editor what the source holds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NODE_RED_HOME, NodeRedProcess } from '../support/node-red';

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = 'node-red-contrib-inflow';
/** Each node set (its file name) and the type it registers. */
const SETS: Record<string, string> = {
  'inflow-config': 'inflow-config',
  'inflow-out': 'inflow out',
  'inflow-query': 'inflow query',
};
/** What is left out of the copy that is packed: what is installed or made there, not source. */
const NOT_SOURCE = new Set(['.git', 'node_modules', 'dist', '.node-red', '.influxdb', 'coverage']);

const nodeRedVersion = (JSON.parse(readFileSync(path.join(NODE_RED_HOME, 'package.json'), 'utf8')) as { version: string })
  .version;

let work: string;
let packed: { stderr: string };
let installed: { stderr: string };
let nodeRed: NodeRedProcess;

/** npm as a user runs it from a shell: without the npm_* variables of an `npm test` around this test. */
function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return new Promise((resolve, reject) => {
    execFile('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm ${args.join(' ')} failed in ${cwd}: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

function warnings(stderr: string): string[] {
  // npm 11 (Node 24's) warns of settings in the machine's own npmrc it no longer knows (such as nodedir):
  // those are the machine's, not the package's.
  return stderr.split('\n').filter((line) => /^npm warn/i.test(line) && !/^npm warn Unknown \w+ config/i.test(line));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'inflow-package-'));
  // Packed from a copy, so that its build (prepack) leaves alone the dist/ other tests load meanwhile.
  const source = path.join(work, 'source');
  cpSync(ROOT, source, {
    recursive: true,
    filter: (from) => !NOT_SOURCE.has(path.relative(ROOT, from).split(path.sep)[0] ?? '') && !from.endsWith('.tgz'),
  });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  packed = await npm(['pack', '--pack-destination', work], source);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  assert.ok(tarball !== undefined, `npm pack made no tarball:\n${packed.stderr}`);

  // A fresh user directory, with the package.json Node-RED makes in one, then the install a user types.
  const userDir = path.join(work, 'node-red');
  mkdirSync(userDir);
  writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }),
  );
  installed = await npm(['install', '--no-audit', '--no-fund', path.join(work, tarball)], userDir);
  nodeRed = await NodeRedProcess.start({ userDir });
  const settings = await getJson<{ version: string }>(`${nodeRed.url}/settings`);
  // Node-RED adds "-git" to its version when a .git folder is four levels above its runtime: this project's.
  assert.equal(settings.version.replace(/-git$/, ''), nodeRedVersion, 'the Node-RED started is not the one named');
});

after(async () => {
  await nodeRed?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe(`the packed package, installed by npm into Node-RED ${nodeRedVersion} on Node ${process.version}`, () => {
  it('npm packs it and installs it without a warning', () => {
    assert.deepEqual(warnings(packed.stderr), [], `npm pack warned:\n${packed.stderr}`);
    assert.deepEqual(warnings(installed.stderr), [], `npm install warned:\n${installed.stderr}`);
  });

  it('holds no source map, and no JavaScript pointing at one', () => {
    const installedDir = path.join(nodeRed.userDir, 'node_modules', PACKAGE);
    const files = filesUnder(installedDir).map((file) => path.relative(installedDir, file));
    assert.ok(
      files.some((file) => file.endsWith('.js')),
      'the installed package holds no JavaScript',
    );
    assert.deepEqual(
      files.filter((file) => file.endsWith('.map')),
      [],
    );
    assert.deepEqual(
      files.filter(
        (file) => file.endsWith('.js') && readFileSync(path.join(installedDir, file), 'utf8').includes('sourceMappingURL'),
      ),
      [],
    );
  });

  it('Node-RED loads the installed copy: the three types enabled, no error, no warning about them in its log', async () => {
    const loaded = await getJson<{
      version: string;
      path: string;
      nodes: Array<{ name: string; types: string[]; enabled: boolean; err?: unknown }>;
    }>(`${nodeRed.url}/nodes/${PACKAGE}`);
    const ours = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(loaded.version, ours.version);
    assert.equal(loaded.path, path.join(nodeRed.userDir, 'node_modules', PACKAGE));
    assert.deepEqual(
      loaded.nodes
        .map((set) => ({ name: set.name, types: set.types, enabled: set.enabled, err: set.err }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      Object.entries(SETS).map(([name, type]) => ({ name, types: [type], enabled: true, err: undefined })),
    );
    const complaints = nodeRed.output.split('\n').filter((line) => /\[(warn|error)\]/.test(line) && /inflow/i.test(line));
    assert.deepEqual(complaints, []);
  });

  it("the editor gets each node's edit dialog, help and icon, and the editor code they share, as the source has them", async () => {
    const html = await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    for (const set of Object.keys(SETS)) {
      const template = readFileSync(path.join(ROOT, 'src', 'nodes', set, `${set}.html`), 'utf8').trim();
      const help = readFileSync(path.join(ROOT, 'src', 'nodes', set, 'locales', 'en-US', `${set}.html`), 'utf8').trim();
      assert.ok(html.includes(template), `the editor lacks the edit dialog of ${set}`);
      assert.ok(html.includes(help), `the editor lacks the help of ${set}`);
    }
    const icon = await fetch(`${nodeRed.url}/icons/${PACKAGE}/inflow.svg`);
    assert.equal(icon.status, 200);
    assert.equal(await icon.text(), readFileSync(path.join(ROOT, 'src', 'nodes', 'icons', 'inflow.svg'), 'utf8'));
    // The editor code the templates share, at the address they load it from.
    const shared = await fetch(`${nodeRed.url}/resources/${PACKAGE}/tags.js`);
    assert.equal(shared.status, 200);
    assert.equal(await shared.text(), readFileSync(path.join(ROOT, 'resources', 'tags.js'), 'utf8'));
  });

  it("the editor's catalog request gets each node's en-US labels as the source has them", async () => {
    // What the editor asks for at start (RED.i18n.loadNodeCatalogs): every node set's catalog at once.
    const catalogs = await getJson<Record<string, unknown>>(`${nodeRed.url}/nodes/messages?lng=en-US`);
    for (const set of Object.keys(SETS)) {
      const source: unknown = JSON.parse(
        readFileSync(path.join(ROOT, 'src', 'nodes', set, 'locales', 'en-US', `${set}.json`), 'utf8'),
      );
      assert.deepEqual(catalogs[`${PACKAGE}/${set}`], source, `the catalog of ${set}`);
    }
  });

  it('Import > Examples offers every example as the source has it, with only node types this Node-RED has', async () => {
    const examplesDir = path.join(ROOT, 'examples');
    const names = readdirSync(examplesDir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .sort();
    assert.ok(names.length > 0, 'the source has no examples');
    const listed = await getJson<Array<{ fn: string }>>(`${nodeRed.url}/library/examples/flows/${PACKAGE}`);
    assert.deepEqual(listed.map((entry) => entry.fn).sort(), names);

    const sets = await getJson<Array<{ types: string[] }>>(`${nodeRed.url}/nodes`);
    const known = new Set(['tab', 'group', 'junction', 'subflow', ...sets.flatMap((set) => set.types)]);
    for (const name of names) {
      const flow = await getJson<Array<{ type: string }>>(
        `${nodeRed.url}/library/examples/flows/${PACKAGE}/${encodeURIComponent(name)}`,
      );
      assert.deepEqual(flow, JSON.parse(readFileSync(path.join(examplesDir, `${name}.json`), 'utf8')), name);
      const unknown = flow.map((node) => node.type).filter((type) => !known.has(type) && !type.startsWith('subflow:'));
      assert.deepEqual(unknown, [], `${name} has node types this Node-RED lacks`);
    }
  });
});
