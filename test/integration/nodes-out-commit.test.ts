/**
 * inflow out in a flow: when it commits, across messages, and what a commit costs the server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helper, sleep, waitFor } from '../support/flows';
import { behindProxy, loadBehind, rows, setup, useOutServer } from '../support/out-flows';

useOutServer();

describe('inflow out: committing', () => {
  it('commits after autocommitEvery messages, and not before; done() only after the commit', async () => {
    const { db, completed, send } = await setup({ autocommitEvery: 5, flushInterval: 0 }, { precision: 'ns' });
    for (let i = 0; i < 4; i++) send({ payload: i });
    await sleep(300);
    assert.equal((await rows(db)).length, 0);
    assert.equal(completed.length, 0, 'nothing is done before it is written');
    send({ payload: 4 });
    await waitFor(() => completed.length === 5, 'five messages to complete');
    assert.equal((await rows(db)).length, 5);
  });

  it('commits after flushInterval at the latest', async () => {
    const { db, completed, send } = await setup({ autocommitEvery: 1000, flushInterval: 300 }, { precision: 'ns' });
    const started = Date.now();
    send({ payload: 1 });
    send({ payload: 2 });
    await sleep(100);
    assert.equal((await rows(db)).length, 0);
    await waitFor(() => completed.length === 2, 'the flush interval to pass');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 280 && elapsed < 2000, `committed after ${elapsed} ms`);
    assert.equal((await rows(db)).length, 2);
  });

  it('commits what is pending when the flow stops', async () => {
    const { db, send } = await setup({ autocommitEvery: 1000, flushInterval: 0 }, { precision: 'ns' });
    for (let i = 0; i < 10; i++) send({ payload: i });
    await sleep(100);
    assert.equal((await rows(db)).length, 0);
    await helper.unload();
    assert.equal((await rows(db)).length, 10);
  });

  it('sends many messages in few requests, never one request per message', async () => {
    await behindProxy(async (proxy, db) => {
      await loadBehind(proxy, db, {
        precision: 'ns',
        outs: [{ id: 'out', measurement: 'm', autocommitEvery: 100, flushInterval: 1000 }],
      });
      const out = helper.getNode('out');
      for (let i = 0; i < 1000; i++) out.receive({ payload: i, timestamp: undefined });
      await waitFor(
        async () => ((await rows(db, 'SELECT count(value) FROM m'))[0]?.count as number | undefined) === 1000,
        'all 1000 points',
      );
      const writes = proxy.requests.filter((request) => request.url.startsWith('/write')).length;
      assert.ok(writes <= 10, `${writes} write requests for 1000 messages`);
    });
  });

  it('two out nodes on one config node share one client and its connection pool', async () => {
    await behindProxy(async (proxy, db) => {
      await loadBehind(proxy, db, {
        precision: 'ns',
        outs: [
          { id: 'outA', measurement: 'a', autocommitEvery: 1, flushInterval: 0 },
          { id: 'outB', measurement: 'b', autocommitEvery: 1, flushInterval: 0 },
        ],
      });
      const before = proxy.connections;
      for (let i = 0; i < 200; i++) {
        helper.getNode('outA').receive({ payload: i });
        helper.getNode('outB').receive({ payload: i });
      }
      await waitFor(
        async () =>
          (await rows(db, 'SELECT count(value) FROM a, b')).reduce((sum, row) => sum + (row.count as number), 0) === 400,
        'all 400 points',
      );
      assert.ok(proxy.connections - before <= 4, `${proxy.connections - before} connections for two nodes`);
    });
  });

  it('the config node keeps the client open until the out node has committed, whatever the close order', async () => {
    await behindProxy(async (proxy, db) => {
      // The config node comes first, so the test helper closes it first.
      await loadBehind(proxy, db, {
        precision: 'ns',
        outs: [{ id: 'out', measurement: 'm', autocommitEvery: 1000, flushInterval: 0 }],
      });
      for (let i = 0; i < 50; i++) helper.getNode('out').receive({ payload: i });
      await sleep(50);
      proxy.inject({ delayMs: 300, times: 1, path: '/write' });
      await helper.unload();
      assert.equal((await rows(db, 'SELECT count(value) FROM m'))[0]?.count, 50);
    });
  });
});
