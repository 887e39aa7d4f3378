import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionFailedException, ForbiddenException, RetryPolicy, WriteFailedException } from '../../src';

describe('RetryPolicy', () => {
  const refused = new ConnectionFailedException('refused');

  it('waits about 5 s, then twice as long each time, at most about 2 minutes', () => {
    const policy = new RetryPolicy({}, () => 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((retry) => policy.delay(retry, refused)),
      [5000, 10_000, 20_000, 40_000, 80_000, 125_000, 125_000, 125_000],
    );
  });

  it('adds up to 20% jitter', () => {
    const policy = new RetryPolicy({}, () => 0.999);
    const delay = policy.delay(1, refused);
    assert.ok(delay > 5900 && delay <= 6000, String(delay));
  });

  it("honours the server's Retry-After over its own backoff", () => {
    const policy = new RetryPolicy({}, () => 0);
    const throttled = new WriteFailedException('too many requests', { status: 429, retryAfter: 30_000 });
    assert.equal(policy.delay(1, throttled), 30_000);
  });

  it('retries network failures, timeouts, 5xx and 429, and nothing else, until maxRetryTime', () => {
    const policy = new RetryPolicy({ maxRetryTime: 1000 });
    assert.equal(policy.shouldRetry(refused, 0), true);
    assert.equal(policy.shouldRetry(new WriteFailedException('busy', { status: 503 }), 10), true);
    assert.equal(policy.shouldRetry(new WriteFailedException('slow down', { status: 429 }), 10), true);
    assert.equal(policy.shouldRetry(new WriteFailedException('bad line', { status: 400 }), 10), false);
    assert.equal(policy.shouldRetry(new ForbiddenException('no', { status: 403 }), 10), false);
    assert.equal(policy.shouldRetry(refused, 1000), false);
  });
});
