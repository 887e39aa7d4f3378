/**
 * influxd stopped during a steady run of messages, on short retry timings (set through the node's
 * settings, as a user can): none lost, every message done exactly once. The same on production
 * timings, with a 60 s outage, is `npm run test:soak`.
 */
import { describe, it } from 'node:test';
import { outageServer } from '../support/outage';

const outages = outageServer({ firstDelay: 200, maxDelay: 1000, jitter: 0.2 });

describe('outages during a 6,000-message run at 1,000 messages/s, on short retry timings', () => {
  it('influxd stopped for 2 s, points kept in memory (no disk): none lost', async () => {
    await outages.run('outage_memory', { messages: 6000, rate: 1000, outageAfter: 1500, outageFor: 2000, spool: false });
  });

  it('influxd stopped for 2 s, points kept on disk: none lost', async () => {
    await outages.run('outage_disk', { messages: 6000, rate: 1000, outageAfter: 1500, outageFor: 2000, spool: true });
  });
});
