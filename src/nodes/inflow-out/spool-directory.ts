/**
 * Where "inflow out" keeps points on disk: `<userDir>/inflow-spool/<node id>/<target>/`, one spool
 * per target (database, retention policy, bucket, org), and an `owner.json` naming the server (config
 * node) the backlog belongs to, so that a backlog whose node is gone can be replayed by another node of
 * the same server, or reported. Node ids and targets are encoded into folder names that stay inside
 * the spool folder whatever they hold; folders and files are readable by their owner alone, and no
 * symbolic link is followed.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { WriteTarget } from '../../core';
import { Spool, SpoolLockedError, type SpoolBudget } from '../../delivery';
import { DEFAULT_TARGET } from './payload';

const OWNER_FILE = 'owner.json';
/** The folder of the server's own target (the config node's database or bucket): no target's encoded name is this. */
const DEFAULT_FOLDER = 'default';

/** The folder under the user directory that holds every node's spool. */
export function spoolBaseOf(userDir: string | undefined): string | undefined {
  return userDir ? path.join(userDir, 'inflow-spool') : undefined;
}

/** A node's folder name: its id, encoded so that no id (`..`, `a/b`) can name a place outside the spool folder. */
export function nodeFolder(nodeId: string): string {
  return encodeName(nodeId);
}

/** What the spool folder needs of a node: its id, and a way to warn its flow's author. */
export interface SpoolOwner {
  readonly id: string;
  warn(text: string): void;
}

/** Where a node keeps its spools, with its server noted in it; undefined without a user directory (said in a warning). */
export function spoolRootOf(userDir: string | undefined, node: SpoolOwner, serverId: string): string | undefined {
  const base = spoolBaseOf(userDir);
  if (base === undefined) {
    node.warn('no Node-RED user directory is set: points are kept in memory only while InfluxDB is away');
    return undefined;
  }
  const root = path.join(base, nodeFolder(node.id));
  try {
    ownFolder(base);
    ownFolder(root);
  } catch (error) {
    node.warn(`cannot keep points on disk in ${root} (${String(error)}): points are kept in memory only while InfluxDB is away`);
    return undefined;
  }
  try {
    const before = ownerOf(root);
    if (before !== undefined && before !== serverId && countSpoolFiles(root) > 0) {
      // Written for another server (the node was moved to another config node): never replayed to this one.
      const apart = path.join(base, nodeFolder(`${node.id}~${before}~${Date.now()}`));
      renameSync(root, apart);
      ownFolder(root);
      node.warn(
        `the points this node kept on disk were written for server ${before}, not this one: they are set apart in ${apart}, ` +
          'for a node of that server with the disk spool to replay',
      );
    }
    const owner = JSON.stringify({ server: serverId });
    if (readOwnFile(path.join(root, OWNER_FILE)) !== owner) replaceFile(path.join(root, OWNER_FILE), owner);
  } catch (error) {
    // A read-only or full disk: each spool then fails to open, and says so.
    node.warn(`cannot note the server of this node's spool (${String(error)})`);
  }
  return root;
}

/**
 * A target as a folder name: database and retention policy, percent-encoded (`~` and `.` too), `~`
 * between; then bucket and org, when the target has either. The server's own target is `default`.
 */
export function targetFolder(target: WriteTarget): string {
  const { database, retentionPolicy, bucket, org } = target;
  if (database === undefined && retentionPolicy === undefined && bucket === undefined && org === undefined) return DEFAULT_FOLDER;
  const folder = `${encodeName(database)}~${encodeName(retentionPolicy)}`;
  if (bucket === undefined && org === undefined) return folder;
  return `${folder}~${encodeName(bucket)}~${encodeName(org)}`;
}

function encodeName(name: string | undefined): string {
  return encodeURIComponent(name ?? '').replace(/[~.!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Makes a folder readable by its owner alone, or checks the one there is a folder, not a link to one. */
function ownFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const stats = lstatSync(folder);
  if (!stats.isDirectory()) throw new Error(`${folder} is not a folder of its own (a symbolic link?)`);
  if ((stats.mode & 0o077) !== 0) chmodSync(folder, 0o700);
}

/** A file's text, or undefined when it is missing or not a file of its own (a link is not followed). */
function readOwnFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Writes a file whole under another name, then puts it in place: a link of that name is replaced, not written through. */
function replaceFile(file: string, text: string): void {
  const temporary = `${file}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, text, { flag: 'wx', mode: 0o600 });
  try {
    renameSync(temporary, file);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/** The targets that have a folder under a node's spool root; folders that name no target are reported. */
export function spooledTargets(root: string, report: (text: string) => void): WriteTarget[] {
  if (!existsSync(root)) return [];
  const targets: WriteTarget[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (entry.name === DEFAULT_FOLDER) {
      targets.push(DEFAULT_TARGET);
      continue;
    }
    const parts = entry.name.split('~');
    let decoded: string[] | undefined;
    try {
      decoded = parts.length === 2 || parts.length === 4 ? parts.map((part) => decodeURIComponent(part)) : undefined;
    } catch {
      decoded = undefined;
    }
    if (decoded === undefined) {
      report(
        `the spool folder ${path.join(root, entry.name)} names no target (database, retention policy, bucket, org) that can be told apart; it is kept, not replayed`,
      );
      continue;
    }
    const [database = '', retentionPolicy = '', bucket = '', org = ''] = decoded;
    targets.push({
      ...(database === '' ? {} : { database }),
      ...(retentionPolicy === '' ? {} : { retentionPolicy }),
      ...(bucket === '' ? {} : { bucket }),
      ...(org === '' ? {} : { org }),
    });
  }
  return targets;
}

/**
 * Opens the spool of one target, or undefined (memory only) when it cannot be had: the disk fails,
 * or another process owns it. Says what it found: damaged records skipped, a torn last record.
 */
export function openSpool(
  root: string,
  target: WriteTarget,
  budget: SpoolBudget,
  warn: (text: string) => void,
): Spool | undefined {
  const directory = path.join(root, targetFolder(target));
  let spool: Spool;
  try {
    spool = Spool.open(directory, {
      budget,
      onSetAside: (file, why) => warn(`a record of points on disk was set aside in ${file} and is not written: ${why}`),
    });
  } catch (error) {
    const why =
      error instanceof SpoolLockedError ? error.message : `cannot keep points on disk in ${directory} (${String(error)})`;
    warn(`${why}: points are kept in memory only while InfluxDB is away`);
    return undefined;
  }
  for (const damage of spool.damage) {
    warn(
      `the spool file ${damage.file} had ${damage.bytes} damaged bytes at offset ${damage.offset}: about ${damage.points} point(s) ` +
        'there cannot be read back and are lost; every record before and after them is kept',
    );
  }
  for (const file of spool.skippedFiles)
    warn(`${file} is not a spool file of its own (a symbolic link?): it is left alone, not replayed`);
  if (spool.tornRecords > 0) {
    warn(
      `the spool's last record was cut short (a crash while it was written, before it was acknowledged); every complete record is kept`,
    );
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
    if (!entry.isDirectory()) continue;
    const nodeId = decodedName(entry.name);
    if (nodeId === undefined || nodeFolder(nodeId) !== entry.name || isDeployed(nodeId)) continue;
    const root = path.join(base, entry.name);
    const files = countSpoolFiles(root);
    if (files === 0) {
      rmSync(root, { recursive: true, force: true });
      continue;
    }
    orphans.push({ root, nodeId, server: ownerOf(root), files });
  }
  return orphans;
}

function decodedName(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

function ownerOf(root: string): string | undefined {
  try {
    const parsed = JSON.parse(readOwnFile(path.join(root, OWNER_FILE)) ?? '') as { server?: unknown };
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
