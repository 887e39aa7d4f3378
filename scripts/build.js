#!/usr/bin/env node
'use strict';
// Compiles the TypeScript sources and assembles the directory Node-RED loads.
// Node-RED looks for icons/ and locales/ beside the .js file a node is registered from,
// so the editor templates, icons and locales are copied next to the compiled runtime in dist/nodes/.
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
fs.mkdirSync(nodesOut, { recursive: true });
// Node-RED finds a node's help and labels by the name of the file it is registered from
// (locales/en-US/out.json for out.js): one small entry file per node, beside its folder.
for (const node of ['config', 'out', 'query']) {
  fs.writeFileSync(path.join(nodesOut, `${node}.js`), `'use strict';\nmodule.exports = require('./${node}/index.js');\n`);
}
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(nodesOut, file));
}
for (const dir of ['icons', 'locales']) {
  fs.cpSync(path.join(root, dir), path.join(nodesOut, dir), { recursive: true });
}
