#!/usr/bin/env node
'use strict';
// `npm start`: the demo. Builds the package, starts a local influxd (data in .influxdb/), then
// Node-RED on 127.0.0.1:1880 (user directory .node-red/) with this package loaded and a demo flow
// deployed: a simulated sensor into "inflow out", and "inflow query" into a debug node.
// Ctrl-C stops both.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { influxdConfig } = require('./influxd-config');
const { demoFlow } = require('./demo-flow');
const { findProgram, freePort } = require('./programs-and-ports');
const { root, run } = require('./run');

const influxDir = path.join(root, '.influxdb');
const userDir = path.join(root, '.node-red');
const DATABASE = 'sensors';
const EDITOR_PORT = Number(process.env.PORT || 1880);

async function waitForInflux(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error('influxd exited while starting');
    try {
      if ((await fetch(`${url}/ping`)).status === 204) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('influxd did not answer within 30 s');
}

function prepareUserDir(url) {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  // Node-RED finds packages in its user directory's node_modules: link this one in.
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-inflow');
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'inflow-demo', private: true, dependencies: { 'node-red-contrib-inflow': '*' } }, null, 2),
  );
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${EDITOR_PORT},
  flowFile: 'flows.json',
  credentialSecret: false,
  functionExternalModules: true,
  telemetry: { enabled: false },
  // The editor opens on the demo flow, with no welcome tour in front of it.
  editorTheme: { tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  const flowFile = path.join(userDir, 'flows.json');
  let flow = demoFlow(url, DATABASE);
  if (fs.existsSync(flowFile)) {
    // Keep what was edited in the editor; only point the demo's servers at this run's influxd.
    const demoServers = new Set(flow.filter((node) => node.type === 'inflow-config').map((node) => node.id));
    flow = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
    for (const node of flow) {
      if (!demoServers.has(node.id)) continue;
      node.dsn = url;
      node.database ||= DATABASE;
    }
  }
  fs.writeFileSync(flowFile, JSON.stringify(flow, null, 2));
}

async function main() {
  run(process.execPath, [path.join(root, 'scripts', 'setup.js')]);
  run(process.execPath, [path.join(root, 'scripts', 'build.js')]);

  fs.mkdirSync(influxDir, { recursive: true });
  const influxPort = await freePort(8086);
  const rpcPort = await freePort(8088);
  const configPath = path.join(influxDir, 'influxdb.conf');
  fs.writeFileSync(configPath, influxdConfig({ dataDir: influxDir, port: influxPort, rpcPort }));
  // Its own process group: Ctrl-C in the terminal must not stop InfluxDB before Node-RED has
  // committed what it holds. It is stopped once Node-RED has exited.
  const influxd = spawn(findProgram('influxd', 'INFLUXD') || 'influxd', ['-config', configPath], {
    stdio: 'inherit',
    detached: true,
  });
  process.on('exit', () => influxd.kill('SIGKILL'));
  const influxUrl = `http://127.0.0.1:${influxPort}`;
  await waitForInflux(influxUrl, influxd);
  await fetch(`${influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${DATABASE}` }) });
  console.log(`InfluxDB: ${influxUrl} (database "${DATABASE}", data in ${path.relative(root, influxDir)}/)`);

  prepareUserDir(influxUrl);
  const nodeRed = spawn(
    process.execPath,
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  nodeRed.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (String(chunk).includes('Started flows')) {
      console.log(`\nNode-RED editor: http://127.0.0.1:${EDITOR_PORT}/   (Ctrl-C stops Node-RED and InfluxDB)\n`);
    }
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    nodeRed.kill('SIGINT');
    nodeRed.once('exit', () => influxd.kill('SIGTERM'));
    setTimeout(() => influxd.kill('SIGKILL'), 20_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  // If whatever started us (npm, a terminal) goes away without a signal reaching us, stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
  nodeRed.on('exit', (code) => {
    if (!stopping) {
      console.error(`Node-RED exited (${code})`);
      stop();
      influxd.kill('SIGTERM');
    }
  });
  influxd.on('exit', (code) => {
    if (!stopping) {
      console.error(`influxd exited (${code})`);
      stop();
    }
    process.exitCode = stopping ? 0 : 1;
  });
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
