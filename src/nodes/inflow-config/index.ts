/**
 * "inflow-config": holds the DSN, precision, retention policy and timeout, and owns one Client (one
 * connection pool) shared by every node that uses it. Nodes register when they start and deregister
 * when their final commit is done; the Client closes when the flows stop and the last user is gone,
 * whatever order Node-RED closes them in.
 */
import type { Node, NodeAPI } from 'node-red';
import { describeServer, parseServerUrl, type ServerInfo } from '../../client';
import { InfluxDBException } from '../../core';
import type { ConfigCredentials, ConfigDef, InflowConfigNode, Reachability } from '../shared';
import { clientOfProperties, targetOf } from './properties';
import { testConnection, type ConnectionSettings, type ReportLine } from './connection-test';

/** What the editor sends for a password field the user did not change. */
const UNCHANGED = '__PWRD__';

/** When the flows stop, requests still without an answer this long after the last writer is done are abandoned. */
const ABANDON_AFTER = 1000;

export = function register(RED: NodeAPI): void {
  function InflowConfig(this: InflowConfigNode, def: ConfigDef): void {
    RED.nodes.createNode(this, def);
    const users = new Map<Node, ((reachability: Reachability) => void) | undefined>();
    let closing: (() => void) | undefined;

    this.client = undefined;
    this.origin = originOf(def.dsn);
    this.problem = undefined;
    this.reachability = undefined;
    this.precision = 'ms';
    try {
      this.client = clientOfProperties({ ...def, password: this.credentials.password, token: this.credentials.token });
      this.precision = this.client.precision;
    } catch (error) {
      this.problem = error instanceof InfluxDBException ? error.message : String(error);
      this.error(`InfluxDB settings cannot work: ${this.problem}`);
    }

    // One ping when the flows start, which is also how 'auto' finds the server's kind: users can show
    // "connected" and to what (or why not) before their first write, and the first write finds a connection open.
    const client = this.client;
    const found: Promise<ServerInfo> | undefined =
      client === undefined
        ? undefined
        : (def.version || 'auto') === 'auto'
          ? client.detectServer()
          : client.ping().then((answer) => answer.server);
    void found
      ?.then(
        (server): Reachability => ({ server: `${describeServer(server)}, ${targetOf(client as NonNullable<typeof client>)}` }),
        (error: unknown): Reachability => ({ error: InfluxDBException.from(error) }),
      )
      .then((reachability) => {
        if (closing !== undefined || this.client?.closed) return;
        this.reachability = reachability;
        for (const tell of users.values()) tell?.(reachability);
      });

    const finishClose = (): void => {
      const done = closing;
      closing = undefined;
      // Every writer has committed by now; what is left (the first ping, queries of stopped nodes) gets a second.
      const closed = this.client === undefined ? Promise.resolve() : this.client.close({ abandonAfter: ABANDON_AFTER });
      closed.catch((error: unknown) => this.warn(`closing the InfluxDB client: ${String(error)}`)).finally(() => done?.());
    };

    this.register = (user: Node, onReachability?: (reachability: Reachability) => void): void => {
      users.set(user, onReachability);
      if (this.reachability !== undefined) onReachability?.(this.reachability);
    };
    this.deregister = (user: Node): void => {
      users.delete(user);
      if (closing !== undefined && users.size === 0) finishClose();
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      closing = done;
      // Users may still be committing: the client stays open until the last one deregisters.
      if (users.size === 0) finishClose();
    });
  }

  // "Test connection" in the config dialog: the settings as typed. JSON bodies only: a form posted by another
  // site's page (which needs no preflight) is refused before anything is done.
  RED.httpAdmin.post('/inflow-config/test', RED.auth.needsPermission('inflow-config.write'), (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ ok: false, lines: [{ key: 'jsonOnly', problem: true }] });
      return;
    }
    const body = (req.body ?? {}) as ConnectionSettings & { id?: unknown };
    const stored = storedSecrets(body);
    if ('refused' in stored) {
      res.json({ ok: false, lines: [stored.refused] });
      return;
    }
    testConnection({ ...body, password: stored.password, token: stored.token }).then(
      (report) => res.json(report),
      (error: unknown) =>
        res.status(500).json({ ok: false, lines: [{ key: 'failed', values: { why: String(error) }, problem: true }] }),
    );
  });

  /**
   * The secrets to test with: as typed, or, for one left unchanged in the dialog (it comes as Node-RED's
   * placeholder), the deployed node's, but only that same inflow-config node's and only for the server it
   * was deployed with: a stored secret is never sent to a URL typed into a dialog, nor read for another node.
   */
  function storedSecrets(body: ConnectionSettings & { id?: unknown }): ConfigCredentials | { refused: ReportLine } {
    const typed = (value: unknown): string | undefined =>
      typeof value === 'string' && value !== '' && value !== UNCHANGED ? value : undefined;
    const secrets: ConfigCredentials = { password: typed(body.password), token: typed(body.token) };
    if (body.password !== UNCHANGED && body.token !== UNCHANGED) return secrets;
    const deployed = typeof body.id === 'string' ? (RED.nodes.getNode(body.id) as InflowConfigNode | null) : null;
    if (deployed === null || deployed.type !== 'inflow-config') {
      return { refused: { key: 'typeSecrets', problem: true } };
    }
    if (deployed.origin === undefined || originOf(body.dsn) !== deployed.origin) {
      return { refused: { key: 'otherServer', values: { deployed: deployed.origin ?? '?' }, problem: true } };
    }
    const stored = RED.nodes.getCredentials(deployed.id) as ConfigCredentials | undefined;
    if (body.password === UNCHANGED) secrets.password = stored?.password;
    if (body.token === UNCHANGED) secrets.token = stored?.token;
    return secrets;
  }

  RED.nodes.registerType<InflowConfigNode, ConfigDef, unknown, ConfigCredentials>('inflow-config', InflowConfig, {
    credentials: { password: { type: 'password' }, token: { type: 'password' } },
  });
};

/** A URL's origin (scheme, host and port), or undefined when it is not one. */
function originOf(url: unknown): string | undefined {
  try {
    return parseServerUrl(String(url)).origin;
  } catch {
    return undefined;
  }
}
