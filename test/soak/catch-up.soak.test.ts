/**
 * A gateway on a slow link: Node-RED (a process of its own, production retry timings) takes 1,000 readings
 * a second over HTTP into inflow out, which writes through a proxy adding 300 ms to every request, to a
 * real influxd. influxd is stopped for 60 s; readings keep coming. Once it is back, the backlog on disk
 * must be written within 30 s while readings still come, and in the end every reading is stored once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxServer } from '../support/influxd';
import { ingestFlow, postReading } from '../support/ingest';
import { NodeRedProcess } from '../support/node-red';
import { FaultProxy } from '../support/proxy';
import { sleep, waitFor } from '../support/waiting';

const DB = 'catchup';
const RATE = 1000;
const T0 = 1_700_000_000_000;
let server: InfluxServer;
let proxy: FaultProxy;
let nodeRed: NodeRedProcess;

before(async () => {
  server = await InfluxServer.start();
  await server.createDatabase(DB);
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
  proxy.inject({ delayMs: 300 });
  nodeRed = await NodeRedProcess.start();
  await nodeRed.deploy(
    ingestFlow({
      dsn: proxy.dsn(DB),
      timeout: 10_000,
      answerAtOnce: true,
      func: 'msg.payload = { value: msg.payload.value, timestamp: msg.payload.timestamp };\nreturn msg;',
      // The node's defaults: a commit every 1,000 messages or 1 s, the disk spool on.
      writer: { autocommitEvery: 1000, flushInterval: 1000, spool: true },
    }),
  );
});

after(async () => {
  await nodeRed?.remove();
  await proxy?.close();
  await server?.stop();
});

async function storedBelow(value: number): Promise<number> {
  const [row] = await server.rows(`SELECT count(value) FROM readings WHERE value < ${value}`, DB);
  return (row?.count as number | undefined) ?? 0;
}

describe('a 60 s outage behind a link adding 300 ms a request, at 1,000 readings a second', () => {
  it(
    'the backlog is written within 30 s of the server coming back, readings still coming, and every reading is stored once',
    { timeout: 300_000 },
    async () => {
      let sent = 0;
      let sending = true;
      const answers: Array<Promise<number>> = [];
      // Paced by the clock, not by the sleeps (which run late on a busy machine): RATE a second on average.
      const started = performance.now();
      const pump = (async () => {
        while (sending) {
          const due = Math.floor(((performance.now() - started) * RATE) / 1000);
          while (sent < due) {
            const value = sent++;
            answers.push(postReading(nodeRed, { value, timestamp: T0 + value }));
          }
          await sleep(10);
        }
      })();
      await sleep(5000);
      await server.halt();
      await sleep(60_000);
      await server.resume();
      const back = performance.now();
      const sentBeforeReturn = sent;
      await waitFor(async () => (await storedBelow(sentBeforeReturn)) === sentBeforeReturn, 'the backlog written', 120_000);
      const seconds = (performance.now() - back) / 1000;
      console.log(
        `backlog of ${sentBeforeReturn.toLocaleString('en')} readings written ${seconds.toFixed(1)} s after influxd came back`,
      );
      sending = false;
      await pump;
      assert.deepEqual([...new Set(await Promise.all(answers))], [200], 'every reading taken by Node-RED');
      await waitFor(async () => (await storedBelow(sent)) === sent, 'every reading written', 60_000);
      const [distinct] = await server.rows('SELECT count(distinct(value)) FROM readings', DB);
      assert.equal(distinct?.count, sent, 'each reading stored once, none missing');
      assert.ok(seconds < 30, `the backlog took ${seconds.toFixed(1)} s after influxd came back`);
    },
  );
});
