#!/usr/bin/env node
'use strict';
// Compiles the TypeScript sources and assembles the directory Node-RED loads.
// Each node type lives in one folder, src/nodes/<type>/: its runtime, its editor template (<type>.html) and
// its locale files (locales/<lang>/<type>.json and .html, the help). Node-RED looks for the template, and for
// icons/ and locales/, beside the .js file a node is registered from, so the build puts them there.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

const nodesOut = path.join(dist, 'nodes');
const nodesIn = path.join(root, 'src', 'nodes');
fs.mkdirSync(nodesOut, { recursive: true });
for (const type of ['inflow-config', 'inflow-out', 'inflow-query']) {
  // The file Node-RED registers the type from, beside the compiled folder: it names the template and the locale files.
  fs.writeFileSync(path.join(nodesOut, `${type}.js`), `'use strict';\nmodule.exports = require('./${type}/index.js');\n`);
  fs.copyFileSync(path.join(nodesIn, type, `${type}.html`), path.join(nodesOut, `${type}.html`));
  fs.cpSync(path.join(nodesIn, type, 'locales'), path.join(nodesOut, 'locales'), { recursive: true });
}
fs.cpSync(path.join(nodesIn, 'icons'), path.join(nodesOut, 'icons'), { recursive: true });
