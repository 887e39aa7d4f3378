/**
 * Where "inflow out" keeps points on disk: `<userDir>/inflow-spool/<node id>/<target>/`, one spool
 * per target (database and retention policy), and an `owner.json` naming the server (config node)
 * the backlog belongs to, so that a backlog whose node is gone can be replayed by another node of
 * the same server, or reported.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import type { WriteTarget } from '../../core';
import { Spool, SpoolLockedError } from '../../delivery';
import { DEFAULT_TARGET } from './payload';

const OWNER_FILE = 'owner.json';

/** The folder under the user directory that holds every node's spool. */
export function spoolBaseOf(RED: NodeAPI): string | undefined {
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir;
  return userDir ? path.join(userDir, 'inflow-spool') : undefined;
}

/** Where a node keeps its spools, with its server noted in it; undefined without a user directory (said in a warning). */
export function spoolRootOf(RED: NodeAPI, node: Node, serverId: string): string | undefined {
  const base = spoolBaseOf(RED);
  if (base === undefined) {
    node.warn('no Node-RED user directory is set: points are kept in memory only while InfluxDB is away');
    return undefined;
  }
  const root = path.join(base, node.id);
  try {
    mkdirSync(root, { recursive: true });
    const owner = JSON.stringify({ server: serverId });
    const file = path.join(root, OWNER_FILE);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== owner) writeFileSync(file, owner);
  } catch (error) {
    // A read-only or full disk: each spool then fails to open, and says so.
    node.warn(`cannot note the server of this node's spool (${String(error)})`);
  }
  return root;
}

/**
 * A target as a folder name: database and retention policy, percent-encoded (`~` too), `~` between;
 * then bucket and org, when the target has either (folders of 1.x targets keep their old names).
 */
export function targetFolder(target: WriteTarget): string {
  const folder = `${encodeName(target.database)}~${encodeName(target.retentionPolicy)}`;
  if (target.bucket === undefined && target.org === undefined) return folder;
  return `${folder}~${encodeName(target.bucket)}~${encodeName(target.org)}`;
}

function encodeName(name: string | undefined): string {
  return encodeURIComponent(name ?? '').replace(/~/g, '%7E');
}

/** The targets that have a folder under a node's spool root; folders that name no target are reported. */
export function spooledTargets(root: string, report: (text: string) => void): WriteTarget[] {
  if (!existsSync(root)) return [];
  const targets: WriteTarget[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const parts = entry.name.split('~');
    let decoded: string[] | undefined;
    try {
      decoded = parts.length === 2 || parts.length === 4 ? parts.map((part) => decodeURIComponent(part)) : undefined;
    } catch {
      decoded = undefined;
    }
    if (decoded === undefined) {
      report(`the spool folder ${path.join(root, entry.name)} names no target (database, retention policy, bucket, org) that can be told apart; it is kept, not replayed`);
      continue;
    }
    const [database = '', retentionPolicy = '', bucket = '', org = ''] = decoded;
    const target: WriteTarget = {
      ...(database === '' ? {} : { database }),
      ...(retentionPolicy === '' ? {} : { retentionPolicy }),
      ...(bucket === '' ? {} : { bucket }),
      ...(org === '' ? {} : { org }),
    };
    targets.push(Object.keys(target).length === 0 ? DEFAULT_TARGET : target);
  }
  return targets;
}

/**
 * Opens the spool of one target, or undefined (memory only) when it cannot be had: the disk fails,
 * or another process owns it. Says what it found: damaged records skipped, a torn last record.
 */
export function openSpool(root: string, target: WriteTarget, maxBytes: number, warn: (text: string) => void): Spool | undefined {
  const directory = path.join(root, targetFolder(target));
  let spool: Spool;
  try {
    spool = Spool.open(directory, { maxBytes });
  } catch (error) {
    const why = error instanceof SpoolLockedError ? error.message : `cannot keep points on disk in ${directory} (${String(error)})`;
    warn(`${why}: points are kept in memory only while InfluxDB is away`);
    return undefined;
  }
  for (const damage of spool.damage) {
    warn(
      `the spool file ${damage.file} had ${damage.bytes} damaged bytes at offset ${damage.offset}: about ${damage.points} point(s) ` +
        'there cannot be read back and are lost; every record before and after them is kept',
    );
  }
  if (spool.tornRecords > 0) {
    warn(`the spool's last record was cut short (a crash while it was written, before it was acknowledged); every complete record is kept`);
  }
  return spool;
}

/** A backlog left on disk by a node that is not deployed now. */
export interface Orphan {
  root: string;
  nodeId: string;
  /** The config node it wrote to, when it said. */
  server: string | undefined;
  /** Spool files in it. */
  files: number;
}

/** Backlogs under the spool base whose node is not deployed, with how many records each holds. */
export function findOrphans(base: string, isDeployed: (nodeId: string) => boolean): Orphan[] {
  if (!existsSync(base)) return [];
  const orphans: Orphan[] = [];
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    if (!entry.isDirectory() || isDeployed(entry.name)) continue;
    const root = path.join(base, entry.name);
    const files = countSpoolFiles(root);
    if (files === 0) {
      rmSync(root, { recursive: true, force: true });
      continue;
    }
    orphans.push({ root, nodeId: entry.name, server: ownerOf(root), files });
  }
  return orphans;
}

function ownerOf(root: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(root, OWNER_FILE), 'utf8')) as { server?: unknown };
    return typeof parsed.server === 'string' ? parsed.server : undefined;
  } catch {
    return undefined;
  }
}

/** Segment files under a node's root (a rough size of its backlog, without opening any spool). */
function countSpoolFiles(root: string): number {
  let files = 0;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory()) files += readdirSync(path.join(root, entry.name)).filter((name) => name.endsWith('.spool')).length;
  }
  return files;
}

/** Removes a node's spool root once its backlog is written: what is left is the owner note. */
export function removeRoot(root: string): void {
  const left = readdirSync(root).filter((name) => name !== OWNER_FILE);
  if (left.length === 0) rmSync(root, { recursive: true, force: true });
}
