import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { onAbort } from '../../src/util';

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
