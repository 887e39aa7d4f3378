import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigurationException,
  ConnectionFailedException,
  DatabaseNotFoundException,
  InvalidMeasurementException,
  WriteFailedException,
  type WriterState,
} from '../../src';
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
  lastRejected: undefined,
  refusedPoints: 0,
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
  it("before anything is written: what the config node's check found, connected or what is wrong", () => {
    assert.deepEqual(outStatus(view()), { fill: 'grey', shape: 'ring', text: 'connecting' });
    const connected = { ok: true, key: 'connected', values: { server: 'InfluxDB 1.6.7', target: 'db mydb' } };
    assert.deepEqual(outStatus({ ...view(), reachability: connected }), {
      fill: 'green',
      shape: 'ring',
      text: 'connected: InfluxDB 1.6.7, db mydb',
    });
    const missing = { ok: false, key: 'missing.database', values: { name: 'ux' } };
    assert.deepEqual(outStatus({ ...view(), reachability: missing }), {
      fill: 'red',
      shape: 'ring',
      text: 'database ux not found: create it, or tick "Create the database or bucket if missing"',
    });
    const wrongKind = { ok: false, key: 'wrongKind', values: { found: 'InfluxDB 2.9.1', chosen: '3' } };
    assert.equal(
      outStatus({ ...view(), reachability: wrongKind }).text,
      'the server is InfluxDB 2.9.1, not InfluxDB 3 Core / Enterprise',
    );
  });

  it('one batch on disk, and several: the words agree with the count', () => {
    assert.equal(outStatus(view({ pendingPoints: 1, spooledRecords: 1 })).text, '1 pending, 1 batch on disk');
    assert.equal(outStatus(view({ pendingPoints: 1, spooledRecords: 3 })).text, '1 pending, 3 batches on disk');
  });

  it('points refused for what they hold, after the last write: yellow, when and why; a later write clears it', () => {
    const conflict = new WriteFailedException('write failed with HTTP 400: partial write', {
      status: 400,
      serverMessage:
        'partial write: field type conflict: input field "a" on measurement "m" is type string, already exists as type float dropped=1',
    });
    const before = new Date(at.getTime() - 1000);
    assert.deepEqual(outStatus(view({ lastWritten: before, lastRejected: { at, error: conflict } })), {
      fill: 'yellow',
      shape: 'dot',
      text: 'refused 09:30:05: field a is of type float in the database, not string',
    });
    const bad = new InvalidMeasurementException('msg.payload: field "value" is NaN');
    assert.equal(
      outStatus({ ...view({ lastWritten: before }), refused: { at, error: bad } }).text,
      'refused 09:30:05: msg.payload: field "value" is NaN',
    );
    const later = new Date(at.getTime() + 1000);
    assert.deepEqual(outStatus(view({ lastWritten: later, lastRejected: { at, error: conflict } })), {
      fill: 'green',
      shape: 'dot',
      text: 'written 09:30:06',
    });
  });

  it('records set aside on disk, unreadable: yellow, counted, whatever else is done', () => {
    assert.deepEqual(outStatus(view({ setAsideRecords: 2, lastWritten: at })), {
      fill: 'yellow',
      shape: 'ring',
      text: '0 pending, 2 batches set aside on disk (unreadable)',
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

  it('written: green with the time of the latest write, yellow when points were dropped or refused, counted', () => {
    assert.deepEqual(outStatus(view({ lastWritten: at })), { fill: 'green', shape: 'dot', text: 'written 09:30:05' });
    assert.deepEqual(outStatus(view({ lastWritten: new Date(at.getTime() - 5000), refusedPoints: 1 }, { lastWritten: at })), {
      fill: 'yellow',
      shape: 'dot',
      text: 'written 09:30:05, 1 refused',
    });
    assert.deepEqual(outStatus(view({ lastWritten: new Date(at.getTime() - 5000) }, { lastWritten: at, dropped: 2 })), {
      fill: 'yellow',
      shape: 'dot',
      text: 'written 09:30:05, 2 dropped',
    });
  });

  it('retrying: yellow, with what is pending and on disk, and why', () => {
    const lastError = new ConnectionFailedException('could not reach http://127.0.0.1:8086: connect ECONNREFUSED', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8086'), { code: 'ECONNREFUSED' }),
    });
    assert.deepEqual(outStatus(view({ pendingPoints: 10, spooledRecords: 2, lastError, retryAt: at })), {
      fill: 'yellow',
      shape: 'ring',
      text: '10 pending, 2 batches on disk, retrying at 09:30:05: connection refused',
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

  it("a failure that is not retried: red, what happened and the server's words, no class name", () => {
    const lastError = new DatabaseNotFoundException('write failed with HTTP 404: database not found: "nodb"', {
      status: 404,
      serverMessage: 'database not found: "nodb"',
    });
    assert.deepEqual(outStatus(view({ lastWritten: at }, { lastError })), {
      fill: 'red',
      shape: 'dot',
      text: 'not written: database not found: "nodb"',
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
