import type { Dispatcher } from 'undici';
import { onAbort } from '../util';

/** How a request ended early, if it did: what the Transport names in the exception it throws. */
export interface Ending {
  /** The caller's signal abandoned the request. */
  readonly abandoned: boolean;
  readonly abandonReason: unknown;
  /** The answer did not come whole within `timeout` ms of its headers. */
  readonly timedOut: boolean;
  readonly timeout: number;
}

/** The most of an answer read, by its status. */
export interface AnswerCaps {
  /** For a 2xx answer. */
  success: number;
  /** For any other. */
  error: number;
}

/** An answer read into memory. */
export interface ReadAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  /** The most of it read: the cap for its status. */
  cap: number;
  /** More came than its cap: `bytes` holds the first cap bytes, and the rest was not read (the connection dropped). */
  truncated: boolean;
}

/**
 * One request's answer read whole, as undici hands it over to a dispatch handler: no stream and no
 * AbortController per request, which a request that a write sends five times a second would pay for
 * every time. The answer is read up to the cap for its status and no further; from its headers on, it
 * must come whole within `timeout` ms; the caller's signal abandons it (a signal the caller keeps for
 * months holds no listener of a request once it has ended).
 */
export class WholeAnswer implements Dispatcher.DispatchHandler, Ending {
  readonly answer: Promise<ReadAnswer>;
  timedOut = false;
  private resolve!: (answer: ReadAnswer) => void;
  private reject!: (error: unknown) => void;
  private controller: Dispatcher.DispatchController | undefined;
  /** Why the request was ended before undici started it: it is ended as soon as it starts. */
  private endedEarly: Error | undefined;
  private status = 0;
  private headers: ReadAnswer['headers'] = {};
  private cap = 0;
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly caps: AnswerCaps,
    readonly timeout: number,
    private readonly abandon: AbortSignal | undefined,
  ) {
    this.answer = new Promise<ReadAnswer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Abandoned already: the Transport does not send it.
    if (abandon !== undefined && !abandon.aborted) this.stopListening = onAbort(abandon, () => this.end(new Error('abandoned')));
  }

  get abandoned(): boolean {
    return this.abandon?.aborted === true;
  }

  get abandonReason(): unknown {
    return this.abandon?.reason as unknown;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.endedEarly !== undefined) controller.abort(this.endedEarly);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: ReadAnswer['headers']): void {
    // A request already ended (its signal fired inside undici) starts no timer.
    if (this.settled) return;
    // 1xx answers come before the answer itself, and each starts undici's headers timeout again: a server
    // sending "102 Processing" forever would hold the request forever. The first starts a deadline of its own.
    if (status < 200) {
      this.timer ??= this.deadline();
      return;
    }
    this.status = status;
    this.headers = headers;
    this.cap = status < 300 ? this.caps.success : this.caps.error;
    clearTimeout(this.timer);
    this.timer = this.deadline();
  }

  private deadline(): NodeJS.Timeout {
    return setTimeout(() => {
      this.timedOut = true;
      this.end(new Error(`no whole answer within ${this.timeout} ms`));
    }, this.timeout);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.length + chunk.length <= this.cap) {
      this.chunks.push(chunk);
      this.length += chunk.length;
      return;
    }
    this.chunks.push(chunk.subarray(0, this.cap - this.length));
    this.length = this.cap;
    this.settle(true);
    controller.abort(new Error('the answer was cut at its cap'));
  }

  onResponseEnd(): void {
    if (!this.settled) this.settle(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.settled) return;
    this.release();
    this.reject(error);
  }

  private settle(truncated: boolean): void {
    this.release();
    const bytes = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.length);
    this.resolve({ status: this.status, headers: this.headers, bytes, cap: this.cap, truncated });
  }

  private release(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.stopListening?.();
  }

  /**
   * Ends the request with `reason`. One still waiting for a connection fails at once, and is ended as soon
   * as undici starts it.
   */
  private end(reason: Error): void {
    if (this.controller !== undefined) {
      this.controller.abort(reason);
      return;
    }
    this.endedEarly = reason;
    if (this.settled) return;
    this.release();
    this.reject(reason);
  }
}
