/**
 * Backlogs left on disk by "inflow out" nodes that are not deployed now: whenever flows start, each
 * goes to a node of the same server that keeps a spool, or is reported in the log (and kept).
 */
import type { NodeAPI } from 'node-red';
import { userDirOf } from './settings';
import { findOrphans, spoolBaseOf, type Orphan } from './spool-directory';

/** Nodes that may take over a backlog whose node is gone, by the id of their config node. */
const adopters = new Map<string, Set<(orphan: Orphan) => void>>();
/** Runtimes (by their event bus) that look for such backlogs whenever flows start. */
const sweeping = new WeakSet<object>();

/** Looks for such backlogs whenever the flows of this runtime start (once per runtime, however often called). */
export function watchForOrphans(RED: NodeAPI): void {
  if (sweeping.has(RED.events)) return;
  sweeping.add(RED.events);
  RED.events.on('flows:started', () => sweepOrphans(RED));
}

/** Offers a node to take over backlogs of its server; returns the way to withdraw the offer. */
export function offerToAdopt(server: string, adopt: (orphan: Orphan) => void): () => void {
  const ofServer = adopters.get(server) ?? new Set();
  adopters.set(server, ofServer.add(adopt));
  return () => ofServer.delete(adopt);
}

function sweepOrphans(RED: NodeAPI): void {
  const base = spoolBaseOf(userDirOf(RED.settings));
  if (base === undefined) return;
  let orphans: Orphan[];
  try {
    orphans = findOrphans(base, (id) => RED.nodes.getNode(id) !== null);
  } catch (error) {
    RED.log.warn(`inflow out: cannot look for backlogs of removed nodes in ${base}: ${String(error)}`);
    return;
  }
  for (const orphan of orphans) {
    const [adopt] = orphan.server === undefined ? [] : [...(adopters.get(orphan.server) ?? [])];
    if (adopt !== undefined) {
      adopt(orphan);
      continue;
    }
    RED.log.warn(
      `inflow out: ${orphan.files} spool file(s) of points in ${orphan.root} belong to node ${orphan.nodeId}, which is not deployed ` +
        `(removed or renamed)${orphan.server === undefined ? '' : ` and whose server ${orphan.server} has no inflow out node with a spool`}. ` +
        'They are kept on disk, not written: deploy an inflow out node with the disk spool on that server to replay them, or delete the folder.',
    );
  }
}
