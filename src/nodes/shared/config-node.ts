/** A node's config node, and the shared client it owns (or why there is none). */
import type { Node, NodeAPI } from 'node-red';
import type { Client } from '../../client';
import {
  ConfigurationException,
  DatabaseNotFoundException,
  ForbiddenException,
  RetentionPolicyNotFoundException,
  UnauthorizedException,
  type InfluxDBException,
} from '../../core';
import type { Translate } from './texts';
import type { InflowConfigNode } from './types';

/** The config node a user names, or undefined (a missing one is reported on the user's status). */
export function configNodeOf(RED: NodeAPI, node: Node, id: string | undefined, text: Translate): InflowConfigNode | undefined {
  const config = id ? (RED.nodes.getNode(id) as InflowConfigNode | null) : null;
  if (config === null || typeof config.register !== 'function') {
    node.status({ fill: 'red', shape: 'ring', text: text('inflow-config.status.noServer') });
    return undefined;
  }
  return config;
}

/** The config node's client, or why a node cannot work with it, as an exception for its messages. */
export type ClientOrProblem = { client: Client; problem?: undefined } | { client?: undefined; problem: ConfigurationException };

export function sharedClientOf(config: InflowConfigNode | undefined): ClientOrProblem {
  if (config === undefined) return { problem: new ConfigurationException('no InfluxDB server is set in the node') };
  if (config.client === undefined)
    return { problem: new ConfigurationException(`the InfluxDB server settings cannot work: ${config.problem}`) };
  return { client: config.client };
}

/** Whether an error says something the config node's check should look at again: credentials, or a target gone. */
export function asksForRecheck(error: InfluxDBException): boolean {
  return (
    error instanceof UnauthorizedException ||
    error instanceof ForbiddenException ||
    error instanceof DatabaseNotFoundException ||
    error instanceof RetentionPolicyNotFoundException
  );
}
