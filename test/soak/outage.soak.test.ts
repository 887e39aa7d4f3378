/**
 * influxd stopped for 5 s, and for 60 s, during a run of 20,000 messages at 1,000 messages/s:
 * none lost, every message done exactly once. Default retry settings, as users get them.
 */
import { describe, it } from 'node:test';
import { outageServer } from '../support/outage';

const outages = outageServer(undefined);

describe('outages during a 20,000-message run at 1,000 messages/s, on production retry timings', () => {
  it('influxd stopped for 5 s, points kept in memory (no disk): none lost', { timeout: 240_000 }, async () => {
    await outages.run('outage5', { messages: 20_000, rate: 1000, outageAfter: 5000, outageFor: 5000, spool: false });
  });

  it('influxd stopped for 60 s, points kept on disk: none lost', { timeout: 300_000 }, async () => {
    await outages.run('outage60', { messages: 20_000, rate: 1000, outageAfter: 5000, outageFor: 60_000, spool: true });
  });
});
