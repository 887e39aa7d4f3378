#!/usr/bin/env node
'use strict';
// Makes sure the programs the demo and the tests need are there: influxd (InfluxDB 1.x) and, with
// --tests, Chromium for the editor test, VictoriaMetrics and vmauth, libfaketime for the clock-step test and libfiu for
// the disk-fault tests. Installs Debian's packages when this machine can (root
// with apt-get), or stops with a message saying how.
const { spawnSync } = require('node:child_process');
const { findProgram: find } = require('./programs-and-ports');

const NEEDED = [{ binary: 'influxd', env: 'INFLUXD', debian: 'influxdb', what: 'InfluxDB 1.x' }];
if (process.argv.includes('--tests')) {
  NEEDED.push({ binary: 'chromium', env: 'CHROMIUM', debian: 'chromium', what: 'Chromium' });
  NEEDED.push({ binary: 'victoria-metrics', env: 'VICTORIA_METRICS', debian: 'victoria-metrics', what: 'VictoriaMetrics' });
  // The same package has vmauth, the token-checking proxy in front of VictoriaMetrics.
  NEEDED.push({ binary: 'vmauth', env: 'VMAUTH', debian: 'victoria-metrics', what: 'vmauth' });
  // libfaketime steps a test runtime's wall clock.
  NEEDED.push({ binary: 'faketime', env: 'FAKETIME_BIN', debian: 'faketime', what: 'libfaketime' });
  // libfiu makes a test runtime's reads and writes fail, or come back short.
  NEEDED.push({ binary: 'fiu-run', env: 'FIU_RUN', debian: 'fiu-utils', what: 'libfiu (fiu-run)' });
}

function canInstall() {
  return typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('apt-get', ['--version']).status === 0;
}

const missing = NEEDED.filter((need) => !find(need.binary, need.env));
if (missing.length > 0 && canInstall()) {
  const packages = [...new Set(missing.map((need) => need.debian))];
  console.log(`installing Debian's ${packages.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
}
const stillMissing = NEEDED.filter((need) => !find(need.binary, need.env));
for (const need of stillMissing) {
  console.error(
    `${need.what} (${need.binary}) is needed and was not found.\n` +
      `  Debian/Ubuntu: sudo apt-get install ${need.debian}\n` +
      `  elsewhere:     install it and put ${need.binary} on PATH, or set ${need.env}=/path/to/${need.binary}`,
  );
}
if (stillMissing.length > 0) process.exit(1);
const influxd = find('influxd', 'INFLUXD');
console.log(`using ${influxd}: ${spawnSync(influxd, ['version'], { encoding: 'utf8' }).stdout.trim()}`);
