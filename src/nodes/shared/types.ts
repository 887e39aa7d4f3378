/** Types shared by the node modules (each node module's own export is its Node-RED initializer). */
import type { Node, NodeDef } from 'node-red';
import type { Client } from '../../client';
import type { ConfigurationException, Precision } from '../../core';
import type { TextValues } from './texts';

export interface ConfigDef extends NodeDef {
  /** The server kind: 'auto', '1', '2', '3' or 'victoriametrics'; missing (a flow written by hand): 'auto'. */
  version?: string;
  /** The DSN (database as the path), or the server's URL when a bucket or database is set apart. */
  dsn: string;
  org?: string;
  bucket?: string;
  database?: string;
  tlsCa?: string;
  tlsVerify?: boolean | string;
  precision: string;
  retentionPolicy: string;
  timeout: string | number;
  /** Make the database (1.x) or bucket (2.x) when the check finds it missing. */
  createTarget?: boolean | string;
  /** Default tags for every point written through this server, as JSON text: a node's own tags win. */
  tags?: string;
}

export interface ConfigCredentials {
  username?: string;
  password?: string;
  token?: string;
}

/**
 * What the config node's check of its server found: whether writes can work as far as the server tells
 * without one, and the status that says so, a key under `inflow-config.status` with its values
 * ("connected: InfluxDB 3.5.0 Core, db sensors", "database ux not found").
 */
export interface Reachability {
  ok: boolean;
  key: string;
  values: TextValues;
}

export interface InflowConfigNode extends Node<ConfigCredentials> {
  /** The shared client, or undefined when the settings cannot work (see `problem`). */
  client: Client | undefined;
  /** The origin of its URL as deployed: the one server its stored secrets may be sent to by Test connection. */
  origin: string | undefined;
  /** Why there is no client, in words for the status of the nodes that use this one. */
  problem: string | undefined;
  precision: Precision;
  /** The default tags of every point written through it (its Tags), or the ConfigurationException that says why they cannot work. */
  defaultTags: Readonly<Record<string, string>> | ConfigurationException | undefined;
  /** Undefined until the check at start has answered. */
  reachability: Reachability | undefined;
  /** A user is told of the ping's answer (at once if it is in); it keeps the client open until it deregisters. */
  register(user: Node, onReachability?: (reachability: Reachability) => void): void;
  /** Called by a user once its final commit is done. */
  deregister(user: Node): void;
  /** Asks the server again (a write was refused for its credentials or its target); at most every few seconds. */
  recheck(): void;
}
