/**
 * A small RAM disk mounted at a folder, for the disk faults a Raspberry Pi's SD card brings: full
 * (a tmpfs of a few KiB) or read-only. Mounting needs root; without it the test fails and says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export class Tmpfs {
  private constructor(readonly directory: string) {}

  static mount(directory: string, options: { sizeKiB: number; readOnly?: boolean }): Tmpfs {
    mkdirSync(directory, { recursive: true });
    const flags = [`size=${options.sizeKiB}k`, ...(options.readOnly === true ? ['ro'] : [])].join(',');
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', flags, 'tmpfs', directory], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(
        `this test needs a tmpfs mounted at ${directory} (a full or read-only disk), and mount failed: ` +
          `${(result.stderr || String(result.error)).trim()}. Run the tests as root (CI does).`,
      );
    }
    return new Tmpfs(directory);
  }

  /** Remounts it read-only, as the kernel does to an SD card after an I/O error. */
  remountReadOnly(): void {
    const result = spawnSync('mount', ['-o', 'remount,ro', this.directory], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`remounting ${this.directory} read-only failed: ${result.stderr.trim()}`);
  }

  unmount(): void {
    spawnSync('umount', ['-l', this.directory]);
  }
}
