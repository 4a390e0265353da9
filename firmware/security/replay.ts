import { appendFileSync, chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The nonces of accepted commands, kept until their envelope could no longer pass anyway, in a
 * file that survives restarts (`<storage.dir>/command-nonces`, 0600):
 *
 * - the **floor** is the earliest `exp` that can still be accepted: it only rises (trusted wall
 *   time − skew, or, with an untrusted clock, an accepted command's `iat` − skew). An envelope
 *   with `exp` below the floor is refused as expired, so a nonce is forgotten once its `exp`
 *   is below the floor, and every nonce that could still pass is remembered;
 * - at most `maxEntries` nonces: when that many unexpired nonces are held, new commands are
 *   refused (`add` returns false) instead of forgetting one that could be replayed. With the
 *   default rate limit and command lifetime the bound cannot be reached by signed commands;
 * - one line per accepted nonce is appended and synced before the command runs
 *   (`N <nonce> <exp>`); `F <floor>` lines record the floor; the file is rewritten (temp +
 *   rename) when it holds more than twice what is live.
 */
export class ReplayCache {
  private readonly entries = new Map<string, number>();
  private floorMs = 0;
  private writtenFloor = 0;
  private fileLines = 0;
  private writeFailed = false;

  constructor(
    private readonly file: string | undefined,
    private readonly maxEntries: number,
    private readonly onWriteError?: (e: Error) => void,
  ) {
    if (file) this.load(file);
  }

  get size(): number {
    return this.entries.size;
  }

  get floor(): number {
    return this.floorMs;
  }

  has(nonce: string): boolean {
    return this.entries.has(nonce);
  }

  /** Raise the floor (never lowers it) and forget the nonces below it. */
  raiseFloor(ms: number): void {
    if (!(ms > this.floorMs)) return;
    this.floorMs = Math.floor(ms);
    for (const [n, exp] of this.entries) if (exp < this.floorMs) this.entries.delete(n);
    // the floor on disk may lag by a minute: a restart then remembers a little more than needed
    if (this.floorMs - this.writtenFloor > 60_000) this.append(`F ${this.floorMs}\n`, false);
  }

  /** Remember an accepted nonce until `expMs` falls below the floor; false when the cache is full. */
  add(nonce: string, expMs: number): boolean {
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(nonce, expMs);
    this.append(`N ${nonce} ${expMs}\n`, true);
    if (this.fileLines > 2 * this.entries.size + 64) this.compact();
    return true;
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onWriteError?.(e as Error);
      return;
    }
    for (const line of text.split('\n')) {
      const f = /^F (\d{1,16})$/.exec(line);
      if (f) this.floorMs = Math.max(this.floorMs, Number(f[1]));
      const n = /^N ([A-Za-z0-9_-]{16,64}) (\d{1,16})$/.exec(line);
      if (n) this.entries.set(n[1] as string, Number(n[2]));
    }
    this.writtenFloor = this.floorMs;
    for (const [n, exp] of this.entries) if (exp < this.floorMs) this.entries.delete(n);
    // keep at most the newest maxEntries (a torn or hand-edited file must not grow the bound)
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.compact();
  }

  private append(line: string, sync: boolean): void {
    if (!this.file || this.writeFailed) return;
    try {
      if (sync) {
        const fd = openSync(this.file, 'a', 0o600);
        try {
          appendFileSync(fd, line);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } else appendFileSync(this.file, line, { mode: 0o600 });
      this.fileLines++;
      if (line.startsWith('F')) this.writtenFloor = this.floorMs;
    } catch (e) {
      this.failed(e as Error);
    }
  }

  private compact(): void {
    if (!this.file || this.writeFailed) return;
    const lines = [`F ${this.floorMs}`, ...[...this.entries].map(([n, exp]) => `N ${n} ${exp}`), ''];
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, lines.join('\n'), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.file);
      this.fileLines = lines.length - 1;
      this.writtenFloor = this.floorMs;
    } catch (e) {
      this.failed(e as Error);
    }
  }

  /** Disk full or read-only: keep remembering in memory (this run only) and say so once. */
  private failed(e: Error): void {
    this.writeFailed = true;
    this.onWriteError?.(e);
  }
}
