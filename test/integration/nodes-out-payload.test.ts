/**
 * inflow out in a flow: every payload form, read back from a real influxd.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../support/flows';
import { freshDb, rows, server, setup, useOutServer } from '../support/out-flows';

useOutServer();

describe('inflow out: payload forms, read back from the server', () => {
  it('a number is the field "value", stamped now, with the node\'s measurement and tags', async () => {
    const { db, completed, send } = await setup({ tags: '{"location":"garden"}' });
    const before = Date.now();
    send({ payload: 21.5 });
    await waitFor(() => completed.length === 1, 'the message to complete');
    const [row] = await rows(db);
    assert.equal(row?.value, 21.5);
    assert.equal(row?.location, 'garden');
    assert.ok((row?.time as number) >= before && (row?.time as number) <= Date.now());
  });

  it('booleans, strings and bigints as the value', async () => {
    const { db, completed, send } = await setup();
    send({ payload: true, measurement: 'b' });
    send({ payload: 'on', measurement: 's' });
    send({ payload: 42n, measurement: 'i' });
    await waitFor(() => completed.length === 3, 'three messages to complete');
    const answer = await server.rawQuery('SHOW FIELD KEYS', { db });
    assert.deepEqual(
      answer.results[0]?.series?.map((series) => [series.name, series.values]),
      [
        ['b', [['value', 'boolean']]],
        ['i', [['value', 'integer']]],
        ['s', [['value', 'string']]],
      ],
    );
  });

  it('an object is fields, with tags and timestamp reserved; msg.measurement names it', async () => {
    const { db, completed, send } = await setup({ tags: '{"site":"a","room":"default"}' });
    send({
      measurement: 'climate',
      payload: { temperature: 21.3, humidity: 40, tags: { room: 'kitchen' }, timestamp: 1475845863000 },
    });
    await waitFor(() => completed.length === 1, 'the message to complete');
    assert.deepEqual(await rows(db, 'SELECT * FROM climate GROUP BY *'), [
      { time: 1475845863000, humidity: 40, temperature: 21.3, room: 'kitchen', site: 'a' },
    ]);
  });

  it('an object with fields is a whole measurement (the dict form)', async () => {
    const { db, completed, send } = await setup();
    send({ payload: { measurement: 'cpu', tags: { host: 'a' }, fields: { idle: 0.5 }, time: '2016-10-07T13:11:03.123Z' } });
    await waitFor(() => completed.length === 1, 'the message to complete');
    assert.deepEqual(await rows(db, 'SELECT * FROM cpu GROUP BY *'), [{ time: 1475845863123, idle: 0.5, host: 'a' }]);
  });

  it("an array is rows for msg.template, or for the node's measurement", async () => {
    const { db, completed, send } = await setup();
    send({
      template: { name: 'power', tags: { meter: 'm1' } },
      payload: [
        { watts: 100, timestamp: 1000 },
        { watts: 120, timestamp: 2000, tags: { meter: 'm2' } },
      ],
    });
    send({
      payload: [
        { value: 1, timestamp: 1000 },
        { value: 2, timestamp: 2000 },
      ],
    });
    await waitFor(() => completed.length === 2, 'two messages to complete');
    assert.deepEqual(await rows(db, 'SELECT * FROM power GROUP BY *'), [
      { time: 1000, watts: 100, meter: 'm1' },
      { time: 2000, watts: 120, meter: 'm2' },
    ]);
    assert.deepEqual(
      (await rows(db)).map((row) => row.value),
      [1, 2],
    );
  });

  it('an array of dict-form measurements', async () => {
    const { db, completed, send } = await setup();
    send({
      payload: [
        { measurement: 'a', fields: { v: 1 }, timestamp: 1000 },
        { measurement: 'b', tags: { t: 'x' }, fields: { v: 2 }, timestamp: 2000 },
      ],
    });
    await waitFor(() => completed.length === 1, 'the message to complete');
    assert.deepEqual(await rows(db, 'SELECT * FROM a, b GROUP BY *'), [
      { time: 1000, v: 1, t: '' },
      { time: 2000, v: 2, t: 'x' },
    ]);
  });

  it('integer fields set in the node are written as integers', async () => {
    const { db, completed, send } = await setup({ integerFields: 'count, errors' });
    send({ payload: { count: 3, errors: 0, ratio: 0.5 } });
    await waitFor(() => completed.length === 1, 'the message to complete');
    const answer = await server.rawQuery('SHOW FIELD KEYS FROM temperature', { db });
    assert.deepEqual(answer.results[0]?.series?.[0]?.values, [
      ['count', 'integer'],
      ['errors', 'integer'],
      ['ratio', 'float'],
    ]);
  });

  it('msg.database and msg.retentionPolicy route a message elsewhere', async () => {
    const { db, completed, send } = await setup();
    const other = await freshDb();
    await server.rawQuery(`CREATE RETENTION POLICY week ON ${other} DURATION 1w REPLICATION 1`);
    send({ payload: 1, timestamp: undefined, database: other, retentionPolicy: 'week' });
    send({ payload: 2 });
    await waitFor(() => completed.length === 2, 'two messages to complete');
    assert.deepEqual(
      (await rows(other, 'SELECT * FROM week.temperature')).map((row) => row.value),
      [1],
    );
    assert.deepEqual(
      (await rows(db)).map((row) => row.value),
      [2],
    );
  });
});
