import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationException, ConnectionFailedException, DatabaseNotFoundException, type WriterState } from '../../src';
import { outStatus as statusIn } from '../../src/nodes/inflow-out/status';
import { english, translatorOf } from '../../src/nodes/shared';

const outStatus = (view: Parameters<typeof statusIn>[0]) => statusIn(view, english);

const idle: WriterState = {
  pendingEntries: 0,
  pendingPoints: 0,
  dropped: 0,
  spooledRecords: 0,
  setAsideRecords: 0,
  lastWritten: undefined,
  lastError: undefined,
  retryAt: undefined,
  spoolError: undefined,
  replaying: false,
};
const at = new Date(2026, 11, 1, 9, 30, 5);
const view = (...writers: Array<Partial<WriterState>>) => ({
  problem: undefined,
  reachability: undefined,
  writers: writers.map((writer) => ({ ...idle, ...writer })),
});

describe('the status of inflow out', () => {
  it('before anything is written: what the ping at start found', () => {
    assert.deepEqual(outStatus(view()), { fill: 'grey', shape: 'ring', text: 'connecting' });
    assert.deepEqual(outStatus({ ...view(), reachability: { server: 'InfluxDB 1.6.7, db mydb' } }), {
      fill: 'green',
      shape: 'ring',
      text: 'connected, InfluxDB 1.6.7, db mydb',
    });
  });

  it('records set aside on disk, unreadable: yellow, counted, whatever else is done', () => {
    assert.deepEqual(outStatus(view({ setAsideRecords: 2, lastWritten: at })), {
      fill: 'yellow',
      shape: 'ring',
      text: '0 pending, 2 set aside on disk (unreadable)',
    });
  });

  it('settings that cannot work: red, with why', () => {
    const problem = new ConfigurationException('autocommit every must be a whole number of at least 1, not "x"');
    assert.deepEqual(outStatus({ ...view({ pendingPoints: 3 }), problem }), {
      fill: 'red',
      shape: 'ring',
      text: 'autocommit every must be a whole number of at least 1, not "x"',
    });
  });

  it('points pending: blue, counted over every target', () => {
    assert.deepEqual(outStatus(view({ pendingPoints: 3 }, { pendingPoints: 4 })), {
      fill: 'blue',
      shape: 'ring',
      text: '7 pending',
    });
  });

  it('written: green, with the time of the latest write and what was dropped', () => {
    assert.deepEqual(outStatus(view({ lastWritten: new Date(at.getTime() - 5000) }, { lastWritten: at, dropped: 2 })), {
      fill: 'green',
      shape: 'dot',
      text: 'written 09:30:05, 2 dropped',
    });
  });

  it('retrying: yellow, with what is pending and on disk, and why', () => {
    const lastError = new ConnectionFailedException('could not reach http://127.0.0.1:8086: connect ECONNREFUSED');
    assert.deepEqual(outStatus(view({ pendingPoints: 10, spooledRecords: 2, lastError, retryAt: at })), {
      fill: 'yellow',
      shape: 'ring',
      text: '10 pending, 2 batches on disk, retrying at 09:30:05: ConnectionFailedException: could not reach http://127.0.0...',
    });
  });

  it('a disk that fails: yellow, and says why the points are not on disk', () => {
    const spoolError = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    assert.deepEqual(outStatus(view({ pendingPoints: 5, spoolError })), {
      fill: 'yellow',
      shape: 'ring',
      text: '5 pending, not on disk: ENOSPC',
    });
  });

  it("a failure that is not retried: red, with the server's words", () => {
    const lastError = new DatabaseNotFoundException('write failed with HTTP 404: database not found: "nodb"', {
      status: 404,
      serverMessage: 'database not found: "nodb"',
    });
    assert.deepEqual(outStatus(view({ lastWritten: at }, { lastError })), {
      fill: 'red',
      shape: 'dot',
      text: 'DatabaseNotFoundException: database not found: "nodb"',
    });
  });

  it("speaks the runtime's language when its catalog has the text, and English when it answers with the key", () => {
    const german = translatorOf({
      _: (key: string, values?: Record<string, unknown>) =>
        key === 'node-red-contrib-inflow/inflow-out:inflow-out.status.pending' ? `${String(values?.count)} ausstehend` : key,
    } as never);
    assert.equal(statusIn(view({ pendingPoints: 7 }), german).text, '7 ausstehend');
    assert.equal(statusIn(view({ pendingPoints: 7, dropped: 1 }), german).text, '7 ausstehend, 1 dropped');
    const helperLike = translatorOf({ _: (key: string) => key } as never);
    assert.equal(statusIn(view(), helperLike).text, 'connecting');
  });

  it("asks the runtime's catalog once a text, not once a status, but again while it has no answer", () => {
    let loaded = false;
    let asked = 0;
    const german = translatorOf({
      _: (key: string, values?: Record<string, unknown>) => {
        asked++;
        return loaded && key.endsWith('status.pending') ? `${String(values?.count)} ausstehend` : key;
      },
    } as never);
    assert.equal(statusIn(view({ pendingPoints: 7 }), german).text, '7 pending');
    loaded = true;
    for (const pendingPoints of [7, 8, 1000])
      assert.equal(statusIn(view({ pendingPoints }), german).text, `${pendingPoints} ausstehend`);
    assert.equal(asked, 2);
  });
});
