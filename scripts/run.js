'use strict';
// Runs a command in the project directory with the terminal's output, and stops this script with its
// exit code when it fails: the steps of the README commands each need the one before.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

module.exports = { root, run };
