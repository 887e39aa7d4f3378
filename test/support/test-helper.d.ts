// The parts of node-red-node-test-helper these tests use (it ships no types).
declare module 'node-red-node-test-helper' {
  import type { EventEmitter } from 'node:events';

  export interface TestNode extends EventEmitter {
    id: string;
    type: string;
    credentials: Record<string, unknown>;
    receive(msg: Record<string, unknown>): void;
    status: ((status: unknown) => void) & { args: unknown[][] };
    [key: string]: unknown;
  }

  interface Helper {
    init(runtimePath: string, settings?: Record<string, unknown>): void;
    settings(settings: Record<string, unknown>): Record<string, unknown>;
    load(nodes: unknown[], flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
    unload(): Promise<void>;
    /** The spy on Node-RED's log: each call's first argument is a log entry ({ level, id, type, msg }); ERROR and WARN are level numbers. */
    log(): { args: Array<[{ level: number; id?: string; msg: unknown }]>; ERROR: number; WARN: number };
    getNode(id: string): TestNode;
    startServer(done: () => void): void;
    stopServer(done: () => void): void;
  }

  const helper: Helper;
  export default helper;
}
