import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { findOrphans, nodeFolder, spoolRootOf, targetFolder, type SpoolOwner } from '../../src/nodes/inflow-out/spool-directory';

const folders: string[] = [];
function folder(): string {
  const made = mkdtempSync(path.join(tmpdir(), 'inflow-spool-dir-'));
  folders.push(made);
  return made;
}
afterEach(() => {
  for (const made of folders.splice(0)) rmSync(made, { recursive: true, force: true });
});

const nodeWith = (id: string, warnings: string[] = []): SpoolOwner => ({ id, warn: (text: string) => warnings.push(text) });

describe('where inflow out keeps points on disk', () => {
  it('a node id names a folder inside the spool folder, whatever it holds', () => {
    const base = '/data/inflow-spool';
    for (const id of ['..', '.', '../../x', 'a/b', '..\\x', '%2E%2E', 'ab12.cd34', '~']) {
      const place = path.join(base, nodeFolder(id));
      assert.equal(path.dirname(place), base, `${JSON.stringify(id)} -> ${place}`);
      assert.notEqual(nodeFolder(id), '..');
      assert.notEqual(nodeFolder(id), '.');
    }
    assert.equal(nodeFolder('8f1c2b3a4d5e6f70'), '8f1c2b3a4d5e6f70', "Node-RED's own ids as they are");
  });

  it("the server's own target is the folder default; no target of a name is", () => {
    assert.equal(targetFolder({}), 'default');
    assert.equal(targetFolder({ database: 'default' }), 'default~');
    assert.equal(targetFolder({ database: 'a~b', retentionPolicy: '..' }), 'a%7Eb~%2E%2E');
    assert.equal(targetFolder({ bucket: 'b', org: 'o' }), '~~b~o');
  });

  it('writes owner.json as a file of its own: a link of that name is replaced, not written through, and folders are 0700', () => {
    const userDir = folder();
    const outside = path.join(folder(), 'precious');
    writeFileSync(outside, 'keep me');
    const root = path.join(userDir, 'inflow-spool', 'n1');
    mkdirSync(root, { recursive: true });
    symlinkSync(outside, path.join(root, 'owner.json'));
    const warnings: string[] = [];
    assert.equal(spoolRootOf(userDir, nodeWith('n1', warnings), 'cfg'), root);
    assert.deepEqual(warnings, []);
    assert.equal(readFileSync(outside, 'utf8'), 'keep me');
    assert.ok(lstatSync(path.join(root, 'owner.json')).isFile());
    assert.equal(readFileSync(path.join(root, 'owner.json'), 'utf8'), '{"server":"cfg"}');
    assert.equal(statSync(path.join(root, 'owner.json')).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(userDir, 'inflow-spool')).mode & 0o777, 0o700);
  });

  it('a node folder that is a link to another folder: nothing is kept on disk (memory only, said in a warning), nothing written there', () => {
    const userDir = folder();
    const elsewhere = folder();
    mkdirSync(path.join(userDir, 'inflow-spool'), { recursive: true });
    symlinkSync(elsewhere, path.join(userDir, 'inflow-spool', 'n2'));
    const warnings: string[] = [];
    assert.equal(spoolRootOf(userDir, nodeWith('n2', warnings), 'cfg'), undefined);
    assert.match(warnings.join('\n'), /not a folder of its own \(a symbolic link\?\).*points are kept in memory only/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  it("a node's folder is read back as its id, and a folder that no id makes is no node's", () => {
    const base = folder();
    for (const name of [nodeFolder('../../x'), nodeFolder('plain'), 'not%ZZencoded', '%2e%2e']) {
      mkdirSync(path.join(base, name, 'default'), { recursive: true });
      writeFileSync(path.join(base, name, 'default', '0000000001.spool'), 'x');
    }
    const orphans = findOrphans(base, () => false);
    assert.deepEqual(orphans.map((orphan) => orphan.nodeId).sort(), ['../../x', 'plain']);
  });
});
