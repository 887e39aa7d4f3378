/**
 * "inflow-config": holds the DSN, precision, retention policy and timeout, and owns one Client (one
 * connection pool) shared by every node that uses it. Nodes register when they start and deregister
 * when their final commit is done; the Client closes when the flows stop and the last user is gone,
 * whatever order Node-RED closes them in.
 */
import type { Node, NodeAPI } from 'node-red';
import { parseServerUrl, type Client } from '../../client';
import { ConfigurationException, InfluxDBException } from '../../core';
import type { ConfigCredentials, ConfigDef, InflowConfigNode, Reachability } from '../shared';
import { listNames, testConnection, type ConnectionSettings, type ReportLine } from './connection-test';
import { clientOfProperties, serverTagsOf } from './properties';
import { canCreate, reachabilityOfError, reachabilityOfReport } from './reachability';

/** What the editor sends for a password field the user did not change. */
const UNCHANGED = '__PWRD__';

/** When the flows stop, requests still without an answer this long after the last writer is done are abandoned. */
const ABANDON_AFTER = 1000;

/** A refused write asks the server again, at most this often. */
const RECHECK_AFTER = 5000;

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
      this.client = clientOfProperties({ ...def, ...this.credentials });
      this.precision = this.client.precision;
    } catch (error) {
      this.problem = error instanceof InfluxDBException ? error.message : String(error);
      this.error(`InfluxDB settings cannot work: ${this.problem}`);
    }
    try {
      // The writers' alone: Tags that cannot work fail the writes, never the queries.
      this.defaultTags = serverTagsOf(def.tags);
    } catch (error) {
      this.defaultTags = error instanceof ConfigurationException ? error : new ConfigurationException(String(error));
      this.error(`InfluxDB settings cannot work for writes: ${this.defaultTags.message}`);
    }

    // One check when the flows start (which is also how 'auto' finds the server's kind), and again when a
    // write is refused for its credentials or its target: users show "connected" only once the server has
    // taken the credentials and has the target, or say what is wrong, before their first write.
    const client = this.client;
    const createTarget = def.createTarget === true || def.createTarget === 'true';
    let checking = false;
    let lastCheck = 0;
    const check = async (found: Client): Promise<Reachability> => {
      try {
        const report = await found.checkAccess();
        if (!createTarget || !canCreate(report) || report.chosen !== undefined) return reachabilityOfReport(report, found);
        const made = await found.createTarget();
        if (made.state === 'created') this.log(`created ${made.kind} ${made.name}`);
        // Asked again, the server has it: the status says it was made now.
        const after = await found.checkAccess();
        const targets = after.targets.map((target) =>
          target.kind === made.kind && target.name === made.name && target.state === 'found' && made.state === 'created'
            ? made
            : target,
        );
        return reachabilityOfReport({ ...after, targets }, found);
      } catch (error) {
        return reachabilityOfError(error);
      }
    };
    const checkNow = (): void => {
      if (client === undefined || checking) return;
      checking = true;
      lastCheck = Date.now();
      void check(client).then((reachability) => {
        checking = false;
        if (closing !== undefined || client.closed) return;
        this.reachability = reachability;
        for (const tell of users.values()) tell?.(reachability);
      });
    };
    checkNow();
    this.recheck = (): void => {
      if (Date.now() - lastCheck >= RECHECK_AFTER) checkNow();
    };

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

  // "Test connection" and the pick buttons in the config dialog: the settings as typed. JSON bodies only: a
  // form posted by another site's page (which needs no preflight) is refused before anything is done.
  RED.httpAdmin.post('/inflow-config/test', RED.auth.needsPermission('inflow-config.write'), (req, res) => {
    const settings = settingsOf(req.body, req.is('application/json') !== false);
    if ('refused' in settings) {
      res.status(settings.status).json({ ok: false, lines: [settings.refused] });
      return;
    }
    testConnection(settings).then(
      (report) => res.json(report),
      (error: unknown) =>
        res.status(500).json({ ok: false, lines: [{ key: 'failed', values: { why: String(error) }, problem: true }] }),
    );
  });

  RED.httpAdmin.post('/inflow-config/list', RED.auth.needsPermission('inflow-config.write'), (req, res) => {
    const settings = settingsOf(req.body, req.is('application/json') !== false);
    const kind: unknown = (req.body as { kind?: unknown } | undefined)?.kind;
    if ('refused' in settings) {
      res.status(settings.status).json({ line: settings.refused });
      return;
    }
    if (kind !== 'databases' && kind !== 'retentionPolicies' && kind !== 'buckets' && kind !== 'orgs') {
      res.status(400).json({ line: { key: 'failed', values: { why: 'no such list' }, problem: true } });
      return;
    }
    listNames(settings, kind).then(
      (answer) => res.json(answer),
      (error: unknown) => res.status(500).json({ line: { key: 'failed', values: { why: String(error) }, problem: true } }),
    );
  });

  /** The settings of a request, with the secrets to use, or why the request is refused. */
  function settingsOf(body: unknown, isJson: boolean): ConnectionSettings | { refused: ReportLine; status: number } {
    if (!isJson) return { refused: { key: 'jsonOnly', problem: true }, status: 415 };
    const typed = (typeof body === 'object' && body !== null ? body : {}) as ConnectionSettings & { id?: unknown };
    const stored = storedSecrets(typed);
    if ('refused' in stored) return { refused: stored.refused, status: 200 };
    const username = typeof typed.username === 'string' ? typed.username : undefined;
    return { ...typed, username, password: stored.password, token: stored.token };
  }

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
    credentials: { username: { type: 'text' }, password: { type: 'password' }, token: { type: 'password' } },
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
