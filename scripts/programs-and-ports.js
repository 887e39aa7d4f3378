'use strict';
// What the scripts and the tests share about this machine: finding a program, and a free loopback port.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

/** The path of a program: from the environment variable `env`, else PATH, else /usr/bin; undefined when missing. */
function findProgram(binary, env) {
  const dirs = (process.env.PATH || '').split(path.delimiter);
  const candidates = [process.env[env], ...dirs.map((dir) => path.join(dir, binary)), `/usr/bin/${binary}`];
  return candidates.find((candidate) => candidate && fs.existsSync(candidate));
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1: `preferred` when it is free, else one the system picks. */
async function freePort(preferred) {
  if (preferred !== undefined && (await portIsFree(preferred))) return preferred;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { findProgram, freePort };
