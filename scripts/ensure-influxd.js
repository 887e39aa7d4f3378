#!/usr/bin/env node
'use strict';
// Makes sure a real influxd is there for the integration tests and the demo: installs Debian's
// influxdb package when this machine can (root with apt-get), or stops with a message saying how.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function findInfluxd() {
  const dirs = (process.env.PATH || '').split(path.delimiter);
  const candidates = [process.env.INFLUXD, ...dirs.map((dir) => path.join(dir, 'influxd')), '/usr/bin/influxd'];
  return candidates.find((candidate) => candidate && fs.existsSync(candidate));
}

function canInstall() {
  return typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('apt-get', ['--version']).status === 0;
}

let influxd = findInfluxd();
if (!influxd && canInstall()) {
  console.log('influxd not found: installing Debian\'s influxdb package');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'influxdb'], { stdio: 'inherit', env });
  if (install().status !== 0) {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
  influxd = findInfluxd();
}
if (!influxd) {
  console.error(
    'influxd (InfluxDB 1.x) is needed and was not found.\n' +
      '  Debian/Ubuntu: sudo apt-get install influxdb\n' +
      '  elsewhere:     install InfluxDB 1.x and put influxd on PATH, or set INFLUXD=/path/to/influxd',
  );
  process.exit(1);
}
const version = spawnSync(influxd, ['version'], { encoding: 'utf8' }).stdout.trim();
console.log(`using ${influxd}: ${version}`);
