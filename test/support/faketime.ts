/**
 * A wall clock that a test can step, for one child process: libfaketime (Debian's `faketime`)
 * preloaded, reading its offset from a file on every call, with the monotonic clock left alone, as
 * when NTP or a person steps the system clock. Fails loudly when libfaketime is missing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LIBRARIES = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'];

export class SteppableClock {
  private readonly directory = mkdtempSync(path.join(tmpdir(), 'inflow-clock-'));
  private readonly file = path.join(this.directory, 'offset');

  constructor() {
    this.set('+0');
  }

  /** The environment that puts a child process on this clock. */
  get env(): Record<string, string> {
    const library = LIBRARIES.find((candidate) => existsSync(candidate));
    if (library === undefined) {
      throw new Error(
        'libfaketime was not found, and this test steps the wall clock with it: install it with `apt-get install faketime`',
      );
    }
    return { LD_PRELOAD: library, FAKETIME_TIMESTAMP_FILE: this.file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  }

  /** Sets the wall clock's offset from the real time, such as "-1h" or "+0". */
  set(offset: string): void {
    writeFileSync(this.file, `${offset}\n`);
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
