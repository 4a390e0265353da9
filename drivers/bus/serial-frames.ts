/**
 * Frame hunting for serial sensors: find a frame in a byte stream that may start mid-frame,
 * carry line noise, or lose bytes, and hand out only frames whose checksum verified.
 *
 * Why not serialport's own parsers here: ByteLength never regains sync once one byte is lost;
 * Delimiter/Readline buffer without bound when the delimiter never comes (wrong baud rate gives
 * exactly that) and cannot reject a line whose checksum fails; InterByteTimeout needs real baud
 * timing, which pseudo-terminals and USB adapters' latency timers do not give. So every device
 * describes its frame (headers, length rule, checksum) and this one hunter does the rest.
 *
 * Resynchronisation: when a candidate frame fails its checksum (or its length rule says it
 * cannot be a frame), the hunter drops only the first byte of the candidate and searches again
 * from the next byte. A genuine header inside the bad candidate is therefore found: sync comes
 * back within one frame length after garbage. And a header in the noise that claims a long
 * frame does not hold a genuine frame hostage: when a complete frame that verifies follows it,
 * that frame is taken at once (the chance that noise inside a genuine frame verifies is that of
 * the checksum: 1 in 65 536 for the 16-bit sums and CRC).
 */
export interface FrameFormat {
  /** protocol name for probe reports: "PMS5003" */
  readonly name: string;
  /** byte sequences a frame may start with (one or more) */
  readonly headers: readonly (readonly number[])[];
  /** upper bound of a frame, bytes: a candidate never holds more than this in memory */
  readonly maxLength: number;
  /**
   * Length of the frame that starts at buf[0] (buf begins with a header): the frame length in
   * bytes, 0 when more bytes are needed to know, -1 when these bytes cannot start a frame.
   */
  length(buf: Uint8Array): number;
  /** true when the frame's checksum (and fixed tail bytes, if any) verify */
  verify(frame: Uint8Array): boolean;
}

export interface HunterStats {
  /** frames that verified and were handed out */
  frames: number;
  /** candidates that started with a header and had the full length but failed verification */
  checksumErrors: number;
  /** bytes skipped while looking for a header */
  skippedBytes: number;
}

export class FrameHunter {
  private buf: Uint8Array = new Uint8Array(0);
  readonly stats: HunterStats = { frames: 0, checksumErrors: 0, skippedBytes: 0 };
  /** headers by their first byte, so a byte that starts no header costs one lookup */
  private readonly byFirst = new Map<number, (readonly number[])[]>();
  private readonly longestHeader: number;

  constructor(readonly format: FrameFormat) {
    for (const h of format.headers) {
      const list = this.byFirst.get(h[0] as number) ?? [];
      list.push(h);
      this.byFirst.set(h[0] as number, list);
    }
    this.longestHeader = Math.max(...format.headers.map((h) => h.length));
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  /** Forget held bytes (after a reopen: the old partial frame can never complete). */
  reset(): void {
    this.buf = new Uint8Array(0);
  }

  /** Feed received bytes; returns the verified frames completed by them, in order. Never throws. */
  push(chunk: Uint8Array): Uint8Array[] {
    const buf = new Uint8Array(this.buf.length + chunk.length);
    buf.set(this.buf, 0);
    buf.set(chunk, this.buf.length);
    const out: Uint8Array[] = [];
    let p = 0;
    let keepFrom = buf.length;
    while (p < buf.length) {
      const candidates = this.byFirst.get(buf[p] as number);
      if (!candidates) {
        p++;
        this.stats.skippedBytes++;
        continue;
      }
      const head = this.headerAt(buf, p, candidates);
      if (head === 'more') {
        keepFrom = p;
        break;
      }
      if (head === 'no') {
        p++;
        this.stats.skippedBytes++;
        continue;
      }
      const rest = buf.subarray(p);
      const len = this.format.length(rest);
      if (len < 0 || (len === 0 && rest.length >= this.format.maxLength) || len > this.format.maxLength) {
        p++;
        this.stats.skippedBytes++;
        continue;
      }
      if (len === 0 || rest.length < len) {
        // Incomplete. If a complete frame that verifies already sits after this header, the
        // header was noise claiming a long length: take the frame now instead of holding it
        // until the claimed length arrives (a request/response part sends nothing more).
        const q = this.completeFrameAfter(buf, p + 1);
        if (q < 0) {
          keepFrom = p;
          break;
        }
        this.stats.skippedBytes += q - p;
        p = q;
        continue;
      }
      const frame = rest.slice(0, len);
      if (this.format.verify(frame)) {
        out.push(frame);
        this.stats.frames++;
        p += len;
      } else {
        this.stats.checksumErrors++;
        this.stats.skippedBytes++;
        p++; // resync: a real header may sit inside the bad candidate
      }
    }
    this.buf = keepFrom < buf.length ? buf.slice(keepFrom) : new Uint8Array(0);
    return out;
  }

  /** Offset of the first complete, verifying frame at or after `from`, or -1. */
  private completeFrameAfter(buf: Uint8Array, from: number): number {
    for (let q = from; q < buf.length; q++) {
      const candidates = this.byFirst.get(buf[q] as number);
      if (!candidates || this.headerAt(buf, q, candidates) !== 'yes') continue;
      const rest = buf.subarray(q);
      const len = this.format.length(rest);
      if (len > 0 && len <= this.format.maxLength && rest.length >= len && this.format.verify(rest.subarray(0, len))) return q;
    }
    return -1;
  }

  private headerAt(buf: Uint8Array, p: number, headers: readonly (readonly number[])[]): 'yes' | 'no' | 'more' {
    let partial = false;
    for (const h of headers) {
      let ok = true;
      for (let i = 0; i < h.length; i++) {
        if (p + i >= buf.length) {
          partial = true;
          ok = false;
          break;
        }
        if (buf[p + i] !== h[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return 'yes';
    }
    return partial && buf.length - p < this.longestHeader ? 'more' : 'no';
  }
}

/** 16-bit big-endian at offset. */
export function be16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

/** Sum of bytes [from, to) as an unsigned integer. */
export function byteSum(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += b[i] as number;
  return s;
}

export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
