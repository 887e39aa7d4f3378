/**
 * Runs a real influxd for tests: a free loopback port, a temporary data directory, stopped after.
 * Fails loudly when influxd is missing; it never lets a test skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
const { influxdConfig } = require('../../scripts/influxd-config.js') as {
  influxdConfig: (options: { dataDir: string; port: number; rpcPort: number; auth?: boolean; http?: string[] }) => string;
};
const { findProgram, freePort: sharedFreePort } = require('../../scripts/programs-and-ports.js') as {
  findProgram: (binary: string, env: string) => string | undefined;
  freePort: (preferred: number | undefined) => Promise<number>;
};

export const ADMIN = { username: 'admin', password: 'admin-secret-Pa55' };
export const READER = { username: 'reader', password: 'reader-secret-Pa55' };
export const WRITER = { username: 'writer', password: 'writer-secret-Pa55' };

export interface InfluxOptions {
  /** Start with `[http] auth-enabled = true` and the users ADMIN, READER (read) and WRITER (write) on `authdb`. */
  auth?: boolean;
  /** Extra lines for the `[http]` section, such as `max-body-size = 1000`. */
  http?: string[];
}

export function findInfluxd(): string {
  const found = findProgram('influxd', 'INFLUXD');
  if (found !== undefined) return found;
  throw new Error(
    'influxd was not found, and these tests need a real InfluxDB 1.x server. ' +
      'Install it with `apt-get install influxdb` (Debian) or set INFLUXD to its path. ' +
      '`npm test` installs it by itself when it runs as root with apt-get.',
  );
}

export function freePort(): Promise<number> {
  return sharedFreePort(undefined);
}

/**
 * Starts a server on ports found free, and again on others when one was taken before the server bound it: a
 * port found free can be handed to another process meanwhile (an outgoing connection's own end, too).
 */
export async function startOnFreePorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 4 || !/address already in use/.test(String(error))) throw error;
    }
  }
}

export class InfluxServer {
  readonly host = '127.0.0.1';
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly configPath: string,
    readonly auth: boolean,
  ) {}

  static async start(options: InfluxOptions = {}): Promise<InfluxServer> {
    const binary = findInfluxd();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'inflow-influxd-'));
    const configPath = path.join(dataDir, 'influxdb.conf');
    const server = await startOnFreePorts(async () => {
      const port = await freePort();
      const rpcPort = await freePort();
      writeFileSync(configPath, influxdConfig({ dataDir, port, rpcPort, auth: options.auth === true, http: options.http ?? [] }));
      const started = new InfluxServer(port, dataDir, configPath, options.auth === true);
      started.binary = binary;
      await started.resume();
      return started;
    });
    if (server.auth) await server.createUsers();
    return server;
  }

  private binary = '';

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** A DSN for this server, with credentials when given. */
  /** The influxd process's id while it runs (a benchmark reads its CPU time from /proc). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  dsn(database: string, credentials?: { username: string; password: string }): string {
    const auth = credentials ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@` : '';
    return `http://${auth}${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Starts (or restarts) influxd on the same port and data directory, and waits until it answers /ping. */
  async resume(): Promise<void> {
    if (this.running) return;
    this.output = '';
    const child = spawn(this.binary, ['-config', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    killOnExit(child);
    child.stdout?.on('data', (chunk: Buffer) => this.keepOutput(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.keepOutput(chunk));
    // A restart on a machine busy with fsyncs has been seen to stay silent for 30 s: a start gets 90.
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`influxd exited at start (code ${child.exitCode}):\n${this.output}`);
      try {
        const response = await fetch(`${this.url}/ping`);
        if (response.status === 204) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`influxd did not answer /ping within 90 s:\n${this.output}`);
  }

  /** Stops influxd (SIGTERM, then SIGKILL) and waits for it to exit. */
  async halt(): Promise<void> {
    const child = this.process;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Freezes influxd (SIGSTOP): connections are still accepted, nothing is answered, as with a hung server. */
  freeze(): void {
    if (this.running) this.process?.kill('SIGSTOP');
  }

  /** Lets a frozen influxd go on (SIGCONT). */
  thaw(): void {
    if (this.running) this.process?.kill('SIGCONT');
  }

  /** Stops influxd and removes its data. */
  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /**
   * InfluxQL straight over HTTP with fetch, independent of the client under test.
   * Returns the parsed JSON; throws on a non-200 status.
   */
  async rawQuery(
    q: string,
    options: { db?: string; epoch?: string; credentials?: { username: string; password: string } } = {},
  ): Promise<RawAnswer> {
    const form = new URLSearchParams({ q });
    if (options.db) form.set('db', options.db);
    if (options.epoch) form.set('epoch', options.epoch);
    const credentials = options.credentials ?? (this.auth ? ADMIN : undefined);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (credentials) {
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    const response = await fetch(`${this.url}/query`, { method: 'POST', headers, body: form });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`raw query ${q} failed with ${response.status}: ${text}`);
    return JSON.parse(text) as RawAnswer;
  }

  /** influxd's own count of the write requests it has taken since it started. */
  async writeRequests(): Promise<number> {
    const [httpd] = await this.rows("SHOW STATS FOR 'httpd'", '_internal');
    return Number(httpd?.writeReq);
  }

  /** The rows of a SELECT read back with plain HTTP, as objects keyed by column, with epoch times. */
  async rows(q: string, db: string, epoch = 'ns'): Promise<Array<Record<string, unknown>>> {
    const answer = await this.rawQuery(q, { db, epoch });
    const result = answer.results[0];
    if (result?.error) throw new Error(`raw query ${q} failed: ${result.error}`);
    const rows: Array<Record<string, unknown>> = [];
    for (const series of result?.series ?? []) {
      for (const values of series.values) {
        const row: Record<string, unknown> = {};
        series.columns.forEach((column, i) => (row[column] = values[i]));
        if (series.tags) Object.assign(row, series.tags);
        rows.push(row);
      }
    }
    return rows;
  }

  /** The line-protocol write, straight over HTTP, for setting up data. */
  async rawWrite(db: string, body: string, precision = 'ns'): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.auth) {
      headers.authorization = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    }
    const response = await fetch(`${this.url}/write?db=${encodeURIComponent(db)}&precision=${precision}`, {
      method: 'POST',
      headers,
      body,
    });
    if (response.status !== 204) throw new Error(`raw write failed with ${response.status}: ${await response.text()}`);
  }

  /** The databases the server has (as an admin sees them), but its own `_internal`. */
  async databases(): Promise<string[]> {
    const answer = await this.rawQuery('SHOW DATABASES');
    const values = answer.results[0]?.series?.[0]?.values ?? [];
    return values.map((row) => String(row[0])).filter((name) => name !== '_internal');
  }

  async createDatabase(name: string): Promise<void> {
    await this.rawQuery(`CREATE DATABASE ${quoteIdentifier(name)}`);
  }

  private async createUsers(): Promise<void> {
    await this.rawQuery(`CREATE USER ${ADMIN.username} WITH PASSWORD '${ADMIN.password}' WITH ALL PRIVILEGES`);
    await this.rawQuery('CREATE DATABASE authdb');
    await this.rawQuery(`CREATE USER ${READER.username} WITH PASSWORD '${READER.password}'`);
    await this.rawQuery(`CREATE USER ${WRITER.username} WITH PASSWORD '${WRITER.password}'`);
    await this.rawQuery(`GRANT READ ON authdb TO ${READER.username}`);
    await this.rawQuery(`GRANT WRITE ON authdb TO ${WRITER.username}`);
  }

  private keepOutput(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-20_000);
  }
}

export interface RawAnswer {
  results: Array<{
    statement_id: number;
    error?: string;
    series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
  }>;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A test process that ends abnormally (an uncaught error, a failed hook) must not leave servers behind. */
export function killOnExit(child: ChildProcess): void {
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
}
