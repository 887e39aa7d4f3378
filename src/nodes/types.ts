/** Types shared by the node modules (each node module's own export is its Node-RED initializer). */
import type { Node, NodeDef } from 'node-red';
import type { Client, Precision } from '../index';

export interface ConfigDef extends NodeDef {
  dsn: string;
  precision: string;
  retentionPolicy: string;
  timeout: string | number;
}

export interface ConfigCredentials {
  password?: string;
  token?: string;
}

export interface InflowConfigNode extends Node<ConfigCredentials> {
  /** The shared client, or undefined when the settings cannot work (see `problem`). */
  client: Client | undefined;
  /** Why there is no client, in words for the status of the nodes that use this one. */
  problem: string | undefined;
  precision: Precision;
  register(user: Node): void;
  /** Called by a user once its final commit is done. */
  deregister(user: Node): void;
}
