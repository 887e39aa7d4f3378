/**
 * Runs a real VictoriaMetrics (Debian's `victoria-metrics`) for tests: a free loopback port, a temporary
 * data directory, a retention long enough for the tests' old timestamps, stopped after. Fails loudly
 * when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, killOnExit, startOnFreePorts } from './influxd';

const { findProgram } = require('../../scripts/programs-and-ports.js') as {
  findProgram: (binary: string, env: string) => string | undefined;
};

export interface Exported {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export class VictoriaServer {
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<VictoriaServer> {
    const binary = findProgram('victoria-metrics', 'VICTORIA_METRICS');
    if (binary === undefined) {
      throw new Error(
        'victoria-metrics was not found, and these tests need a real one: apt-get install victoria-metrics (npm test does so as root)',
      );
    }
    const dataDir = mkdtempSync(path.join(tmpdir(), 'inflow-victoria-'));
    const { port, child } = await startListening(
      'victoria-metrics',
      binary,
      (port) => [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${dataDir}`,
        '-retentionPeriod=100y',
        '-search.disableCache',
        '-loggerLevel=ERROR',
      ],
      async (url) => (await fetch(`${url}/health`)).ok,
    );
    return new VictoriaServer(port, dataDir, child);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  dsn(database: string): string {
    return `${this.url}/${database}`;
  }

  /** The series matching a selector, through VictoriaMetrics's own export API (not the client under test). */
  async exported(selector: string): Promise<Exported[]> {
    await fetch(`${this.url}/internal/force_flush`);
    const response = await fetch(`${this.url}/api/v1/export?${new URLSearchParams({ 'match[]': selector })}`);
    const text = await response.text();
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Exported);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * A real `vmauth` (Debian's, beside victoria-metrics) in front of a VictoriaMetrics: it lets through
 * requests that carry `Authorization: Bearer <token>` and refuses the rest with 401.
 */
export class VmAuth {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(target: VictoriaServer, token: string): Promise<VmAuth> {
    const binary = findProgram('vmauth', 'VMAUTH');
    if (binary === undefined)
      throw new Error('vmauth was not found, and these tests need a real one: apt-get install victoria-metrics');
    const dir = mkdtempSync(path.join(tmpdir(), 'inflow-vmauth-'));
    const config = path.join(dir, 'auth.yml');
    writeFileSync(config, `users:\n  - bearer_token: "${token}"\n    url_prefix: "${target.url}"\n`);
    const { port, child } = await startListening(
      'vmauth',
      binary,
      (port) => [`-auth.config=${config}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR'],
      async (url) => {
        await fetch(`${url}/ping`);
        return true;
      },
    );
    return new VmAuth(port, dir, child);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Spawns a VictoriaMetrics program on a free loopback port (another, should that one be taken before it binds)
 * and waits until `ready` says it answers. Its errors are kept, to say why it ended.
 */
async function startListening(
  name: string,
  binary: string,
  args: (port: number) => string[],
  ready: (url: string) => Promise<boolean>,
): Promise<{ port: number; child: ChildProcess }> {
  return startOnFreePorts(async () => {
    const port = await freePort();
    const child = spawn(binary, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    killOnExit(child);
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (output.length < 10_000) output += chunk.toString('utf8');
    });
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      if (child.exitCode !== null) throw new Error(`${name} exited at start (code ${child.exitCode}):\n${output}`);
      try {
        if (await ready(`http://127.0.0.1:${port}`)) return { port, child };
      } catch {
        // not listening yet
      }
    }
    child.kill('SIGKILL');
    throw new Error(`${name} did not answer within 30 s:\n${output}`);
  });
}
