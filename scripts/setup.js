#!/usr/bin/env node
'use strict';
// The set-up both README commands share, so each works on a fresh clone of a fresh machine:
// install the npm packages when they are missing, then make sure influxd (and, with --tests,
// Chromium) is there.
const fs = require('node:fs');
const path = require('node:path');
const { root, run } = require('./run');

if (
  !fs.existsSync(path.join(root, 'node_modules', 'typescript')) ||
  !fs.existsSync(path.join(root, 'node_modules', 'node-red'))
) {
  console.log('npm packages missing: running npm ci');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
run(process.execPath, [path.join(__dirname, 'ensure-packages.js'), ...process.argv.slice(2)]);
