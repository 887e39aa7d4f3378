import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { onAbort, untilAborted } from '../../src/util';

describe('listening for a signal to abort', () => {
  it('gives the signal one listener however many wait on it, and calls each still waiting once', () => {
    const controller = new AbortController();
    const called: number[] = [];
    const stops = Array.from({ length: 30 }, (_, i) => onAbort(controller.signal, () => called.push(i)));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    for (const stop of stops.slice(0, 10)) stop();
    controller.abort();
    controller.abort();
    assert.deepEqual(
      called,
      Array.from({ length: 20 }, (_, i) => i + 10),
    );
  });

  it('calls the same function once for each time it was given, and stops one of them alone', () => {
    const controller = new AbortController();
    let calls = 0;
    const listener = (): number => calls++;
    const stopFirst = onAbort(controller.signal, listener);
    onAbort(controller.signal, listener);
    stopFirst();
    controller.abort();
    assert.equal(calls, 1);
  });

  it('calls nothing for a signal aborted already, and gives it no listener', () => {
    const signal = AbortSignal.abort();
    let calls = 0;
    onAbort(signal, () => calls++)();
    onAbort(signal, () => calls++);
    assert.equal(calls, 0);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});

describe('waiting for a promise until a signal aborts', () => {
  /** Unhandled rejections while `run` runs and for a few turns after. */
  async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
    const unhandled: unknown[] = [];
    const record = (reason: unknown): number => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      await run();
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', record);
    }
    return unhandled;
  }

  it("gives the promise's value when the signal does not abort, and leaves the signal no listener to call", async () => {
    const controller = new AbortController();
    let reasons = 0;
    const value = await untilAborted(Promise.resolve(42), controller.signal, () => new Error(`reason ${++reasons}`));
    controller.abort();
    assert.equal(value, 42);
    assert.equal(reasons, 0);
  });

  it('fails with the reason as soon as the signal aborts, and a later failure of the promise goes nowhere', async () => {
    const controller = new AbortController();
    let fail: (error: Error) => void = () => undefined;
    const pending = new Promise<number>((_resolve, reject) => (fail = reject));
    const unhandled = await unhandledDuring(async () => {
      const waiting = untilAborted(pending, controller.signal, () => new Error('abandoned by the caller'));
      controller.abort();
      await assert.rejects(waiting, /abandoned by the caller/);
      fail(new Error('the answer came too late'));
    });
    assert.deepEqual(unhandled, []);
  });

  it('fails at once for a signal aborted already, and a later failure of the promise goes nowhere', async () => {
    let fail: (error: Error) => void = () => undefined;
    const pending = new Promise<number>((_resolve, reject) => (fail = reject));
    const unhandled = await unhandledDuring(async () => {
      await assert.rejects(
        untilAborted(pending, AbortSignal.abort(), () => new Error('abandoned before it began')),
        /abandoned before it began/,
      );
      fail(new Error('the answer came too late'));
    });
    assert.deepEqual(unhandled, []);
  });

  it("passes the promise's own failure on when the signal has not aborted", async () => {
    const controller = new AbortController();
    await assert.rejects(
      untilAborted(Promise.reject(new Error('the server refused')), controller.signal, () => new Error('abandoned')),
      /the server refused/,
    );
  });
});
