import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Looks at an outbox's write-ahead log before SQLite opens it, to tell a WAL that lost its tail
 * (a power cut on a card that ignores flushes, a file truncated by hand) from a healthy one.
 * SQLite silently ignores a torn tail, which rolls the file back to an earlier commit: the outbox
 * must then not trust its counters for continuity (docs/mqtt.md, "Sequences").
 *
 * Format (https://www.sqlite.org/fileformat.html#the_write_ahead_log): a 32-byte header (magic,
 * version, page size, checkpoint sequence, salt-1, salt-2, checksum), then frames of a 24-byte
 * header (page number, database size for a commit frame, salt-1, salt-2, checksum) and one page.
 * Checksums are cumulative over the header and every frame.
 *
 * A torn tail (a partial frame, frames of a transaction without its commit frame) is what a kill -9
 * during a write leaves, and also what a truncation leaves: either way SQLite rolls back to the last
 * whole commit, and the outbox's reservations (checkpointed into the main file) cover every number
 * issued since. A complete frame of this generation that fails its checksum, or a damaged header,
 * is damage: whatever followed it is lost without a trace, and the outbox jumps to a fresh range.
 */
export interface WalCheck {
  readonly damaged: boolean;
  /** the log ends in a partial frame or an unfinished transaction (rolled back at open) */
  readonly torn: boolean;
  readonly reason?: string;
  /** valid frames */
  readonly frames: number;
}

const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;

export function checkWal(walPath: string): WalCheck {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return { damaged: false, torn: false, frames: 0 }; // no log: nothing to replay
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { damaged: false, torn: false, frames: 0 };
    if (size < 32) return { damaged: false, torn: true, reason: `WAL header torn (${size} bytes)`, frames: 0 };
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    const magic = buf.readUInt32BE(0);
    if (magic !== MAGIC_LE && magic !== MAGIC_BE) return { damaged: true, torn: false, reason: 'WAL header magic wrong', frames: 0 };
    const be = magic === MAGIC_BE;
    const page = buf.readUInt32BE(8);
    if (page < 512 || page > 65536 || (page & (page - 1)) !== 0) return { damaged: true, torn: false, reason: `WAL page size ${page}`, frames: 0 };
    let [s0, s1] = checksum(buf, 0, 24, 0, 0, be);
    if (s0 !== buf.readUInt32BE(24) || s1 !== buf.readUInt32BE(28)) return { damaged: true, torn: false, reason: 'WAL header checksum', frames: 0 };
    const salt1 = buf.readUInt32BE(16);
    const salt2 = buf.readUInt32BE(20);
    const frameSize = 24 + page;
    let off = 32;
    let frames = 0;
    let validEnd = 32;
    for (; off + frameSize <= size; off += frameSize) {
      if (buf.readUInt32BE(off + 8) !== salt1 || buf.readUInt32BE(off + 12) !== salt2) break;
      [s0, s1] = checksum(buf, off, 8, s0, s1, be);
      [s0, s1] = checksum(buf, off + 24, page, s0, s1, be);
      if (s0 !== buf.readUInt32BE(off + 16) || s1 !== buf.readUInt32BE(off + 20)) {
        return { damaged: true, torn: false, reason: `WAL frame ${frames + 1} checksum`, frames };
      }
      frames++;
      if (buf.readUInt32BE(off + 4) !== 0) validEnd = off + frameSize; // a commit frame
    }
    // what follows the valid frames: nothing, leftovers of an earlier generation, or a torn tail
    if (off < size) {
      const rest = size - off;
      if (rest < 16 || (buf.readUInt32BE(off + 8) === salt1 && buf.readUInt32BE(off + 12) === salt2)) {
        return { damaged: false, torn: true, reason: `WAL ends in a partial frame (${rest} bytes)`, frames };
      }
    }
    if (validEnd < off) return { damaged: false, torn: true, reason: 'WAL ends in frames of an unfinished transaction', frames };
    return { damaged: false, torn: false, frames };
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum over buf[off, off+len) (len a multiple of 8), continuing from s0, s1. */
function checksum(buf: Buffer, off: number, len: number, s0: number, s1: number, be: boolean): [number, number] {
  let a = s0;
  let b = s1;
  for (let i = off; i < off + len; i += 8) {
    const x0 = be ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = be ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    a = (a + x0 + b) >>> 0;
    b = (b + x1 + a) >>> 0;
  }
  return [a, b];
}
