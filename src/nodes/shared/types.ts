/** Types shared by the node modules (each node module's own export is its Node-RED initializer). */
import type { Node, NodeDef } from 'node-red';
import type { Client } from '../../client';
import type { InfluxDBException, Precision } from '../../core';

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
}

export interface ConfigCredentials {
  password?: string;
  token?: string;
}

/**
 * What the config node's ping found when the flows started: the server and where it writes
 * ("InfluxDB 3.5.0 Core, db sensors"), or why it did not answer.
 */
export type Reachability = { server: string; error?: undefined } | { error: InfluxDBException; server?: undefined };

export interface InflowConfigNode extends Node<ConfigCredentials> {
  /** The shared client, or undefined when the settings cannot work (see `problem`). */
  client: Client | undefined;
  /** The origin of its URL as deployed: the one server its stored secrets may be sent to by Test connection. */
  origin: string | undefined;
  /** Why there is no client, in words for the status of the nodes that use this one. */
  problem: string | undefined;
  precision: Precision;
  /** Undefined until the ping at start has answered. */
  reachability: Reachability | undefined;
  /** A user is told of the ping's answer (at once if it is in); it keeps the client open until it deregisters. */
  register(user: Node, onReachability?: (reachability: Reachability) => void): void;
  /** Called by a user once its final commit is done. */
  deregister(user: Node): void;
}
