import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A profile that cannot be used, with every problem found, each naming file and path. */
export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`);
    this.name = 'ProfileError';
  }
}

/** ['devices', 1, 'address'] → "devices[1].address" */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(top level)';
}

/**
 * Read at most `maxBytes` of a regular file; a larger file, a directory or a device (a FIFO,
 * /dev/zero) is refused before anything is read. Returns the problem text on failure.
 */
export function readBounded(path: string, maxBytes: number): { ok: true; data: Buffer } | { ok: false; problem: string } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, problem: 'not a regular file' };
    if (st.size > maxBytes) return { ok: false, problem: `larger than ${maxBytes} bytes (${st.size}); refused unread` };
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) return { ok: false, problem: `grew past ${maxBytes} bytes while being read; refused` };
    return { ok: true, data: buf.subarray(0, n) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied (is it readable by the edgefw user?)' : err.message;
    return { ok: false, problem: `cannot read: ${why}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
