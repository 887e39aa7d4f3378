/**
 * A signal's abort listeners behind one listener of its own. A long-lived signal (a writer's, or one a caller
 * gives every request) can have dozens of requests and schema lookups waiting on it at once. With a listener
 * each, Node prints "Possible EventTarget memory leak detected" past ten, though each is removed when its
 * request ends.
 */
const listenersOf = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `listener` once when `signal` aborts, unless the function returned is called first. The signal keeps
 * one listener for all of them for as long as it lives, and nothing of a listener removed. Like
 * addEventListener, nothing is called for a signal aborted already: look at `signal.aborted` first.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) return () => undefined;
  let listeners = listenersOf.get(signal);
  if (listeners === undefined) {
    const waiting = new Set<() => void>();
    listeners = waiting;
    listenersOf.set(signal, waiting);
    signal.addEventListener('abort', () => callAll(waiting), { once: true });
  }
  // Its own entry, so that the same function given twice is removed once each.
  const entry = (): void => listener();
  const waiting = listeners;
  waiting.add(entry);
  return () => void waiting.delete(entry);
}

/**
 * `promise`'s outcome, or a rejection with `reasonOf()` as soon as `signal` aborts (at once when it has
 * already), whichever comes first. Abandoning does not stop the work behind `promise`: its outcome is ignored.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, reasonOf: () => Error): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(reasonOf());
  }
  return new Promise<T>((resolve, reject) => {
    const stopListening = onAbort(signal, () => reject(reasonOf()));
    promise.then(resolve, reject);
    // Run as soon as the promise settles, before whoever awaits the outcome: no abort calls reasonOf after.
    void promise.then(stopListening, stopListening);
  });
}

/** Calls each listener, as an EventTarget would: one that throws is reported as uncaught, and the others still run. */
function callAll(listeners: Set<() => void>): void {
  const called = [...listeners];
  listeners.clear();
  for (const listener of called) {
    try {
      listener();
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
