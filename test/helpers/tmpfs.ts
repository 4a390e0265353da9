import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { atEnd, tempDir } from './scratch.js';

/**
 * A small tmpfs mounted for one test, so "disk full" and "read-only" are the kernel's own
 * ENOSPC and EROFS, not a mock. Needs root (or CAP_SYS_ADMIN); without it the test fails with
 * this explanation instead of skipping.
 */
export class SmallDisk {
  private mounted = true;

  private constructor(readonly dir: string) {}

  static mount(sizeKiB: number): SmallDisk {
    const dir = tempDir('disk');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`cannot mount a ${sizeKiB} KiB tmpfs for the disk-trouble tests (run them as root or with CAP_SYS_ADMIN): ${(e as Error).message}`);
    }
    const disk = new SmallDisk(dir);
    // a test that fails before its unmount() must not leave the mount (and its directory) behind
    atEnd(() => disk.unmount());
    return disk;
  }

  /** Remount read-only. Linux refuses (EBUSY) while a file on it is open for writing. */
  readOnly(): void {
    execFileSync('mount', ['-o', 'remount,ro', this.dir], { stdio: 'pipe' });
  }

  writable(): void {
    execFileSync('mount', ['-o', 'remount,rw', this.dir], { stdio: 'pipe' });
  }

  /** Fill the disk to the last byte with a file `name`; returns its size. */
  fill(name = 'filler'): number {
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(this.dir, name)}`, 'bs=4k'], { stdio: 'pipe' });
    } catch {
      // dd stops with "No space left on device": that is the point
    }
    return Number(execFileSync('stat', ['-c', '%s', join(this.dir, name)]).toString().trim());
  }

  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    try {
      // lazily: a runtime killed a moment ago may still hold a file open on it
      execFileSync('umount', ['--lazy', this.dir], { stdio: 'pipe' });
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
