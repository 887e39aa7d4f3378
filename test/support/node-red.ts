/**
 * A real Node-RED runtime in a child process, with this package installed in a temporary user
 * directory (as `npm install` would: a link in its node_modules), for tests through the Admin API.
 * It runs the Node-RED in node_modules on the current `node`, or the one in NODE_RED_HOME when that is
 * set (the folder of Node-RED's package, as Node-RED itself names it), to try another version by hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, killOnExit } from './influxd';

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** The folder of the Node-RED package the runtimes are started from. */
export const NODE_RED_HOME = process.env.NODE_RED_HOME ?? path.dirname(require.resolve('node-red/package.json'));

export class NodeRedProcess {
  private child: ChildProcess | undefined;
  output = '';

  private constructor(
    readonly userDir: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /**
   * Starts Node-RED with this package installed. `settings` adds entries to settings.js (JavaScript
   * source, such as `inflowOutRetry: { firstDelay: 200 }`); `env` is added to the process's
   * environment; `userDir` is a user directory made by the caller, shared with another runtime or with
   * this package installed by npm, into which nothing is linked (one is made when not given); `modules`
   * names other node packages of this project's node_modules to install beside it (such as a dashboard).
   */
  static async start(
    options: { settings?: string; env?: Record<string, string>; userDir?: string; wrap?: string[]; modules?: string[] } = {},
  ): Promise<NodeRedProcess> {
    const userDir = options.userDir ?? mkdtempSync(path.join(tmpdir(), 'inflow-node-red-'));
    if (options.userDir === undefined) {
      mkdirSync(path.join(userDir, 'node_modules'));
      symlinkSync(PACKAGE_ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-inflow'), 'dir');
      for (const name of options.modules ?? []) {
        const link = path.join(userDir, 'node_modules', name);
        mkdirSync(path.dirname(link), { recursive: true });
        symlinkSync(path.join(PACKAGE_ROOT, 'node_modules', name), link, 'dir');
      }
    }
    const port = await freePort();
    // A second runtime on a given user directory keeps its own settings and flows beside the first's.
    const ownFiles = options.userDir === undefined ? '' : `-${port}`;
    const settingsFile = `settings${ownFiles}.js`;
    writeFileSync(
      path.join(userDir, settingsFile),
      `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows${ownFiles}.json', credentialSecret: 'a-test-secret', ` +
        `telemetry: { enabled: false }, editorTheme: { tours: false }, logging: { console: { level: 'info' } }, ${options.settings ?? ''} };\n`,
    );
    const runtime = new NodeRedProcess(userDir, port, options.env ?? {});
    runtime.wrap = options.wrap ?? [];
    runtime.settingsFile = path.join(userDir, settingsFile);
    await runtime.resume();
    return runtime;
  }

  private settingsFile = '';
  /** A command the runtime is started under, such as `prlimit --nofile=256:256 --`. */
  private wrap: string[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts Node-RED on the same user directory and waits until the Admin API answers. */
  async resume(): Promise<void> {
    const [command = process.execPath, ...args] = [...this.wrap, process.execPath, path.join(NODE_RED_HOME, 'red.js')];
    const child = spawn(command, [...args, '--userDir', this.userDir, '--settings', this.settingsFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    this.child = child;
    killOnExit(child);
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const from = this.output.length;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Node-RED exited at start:\n${this.output}`);
      // The Admin API answers before the flows have started: a deploy made then could be taken for started by that first start.
      try {
        // Any answer will do: with adminAuth the Admin API answers 401.
        if (this.output.includes('Started flows', from) && (await fetch(`${this.url}/settings`)).status < 500) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Node-RED did not start within 60 s:\n${this.output}`);
  }

  /** Deploys a whole flow through the Admin API, as the editor's Deploy button does, and waits until it runs. */
  async deploy(flow: unknown[]): Promise<void> {
    const started = this.output.split('Started flows').length;
    const response = await fetch(`${this.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-api-version': 'v2', 'node-red-deployment-type': 'full' },
      body: JSON.stringify({ flows: flow }),
    });
    if (!response.ok) throw new Error(`deploy failed: ${response.status} ${await response.text()}`);
    const deadline = Date.now() + 30_000;
    while (this.output.split('Started flows').length === started) {
      if (Date.now() > deadline) throw new Error(`the deployed flows did not start:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops the runtime: SIGINT (a clean stop, flows closed) or SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** The process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.userDir, { recursive: true, force: true });
  }
}
