import { gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';

const gzip = promisify(gzipCb);

export interface TarEntry {
  /** path inside the archive, '/'-separated, at most 100 bytes */
  readonly name: string;
  readonly data: Buffer | string;
  readonly mtimeS?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header block (POSIX.1-1988): regular file, mode 0644, owner 0. */
function header(name: string, size: number, mtimeS: number): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor(mtimeS), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum field counts as spaces while summing
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write('edgefw', 265, 32, 'ascii');
  h.write('edgefw', 297, 32, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** A gzip-compressed tar archive of the entries (compressed on libuv's thread pool). */
export async function tarGz(entries: readonly TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
    parts.push(header(e.name, data.length, e.mtimeS ?? now), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return gzip(Buffer.concat(parts));
}
