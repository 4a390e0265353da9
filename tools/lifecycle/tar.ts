import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/**
 * A bounded, streaming reader for the release bundle (a gzip'd GNU tar written by the system
 * `tar`, see bundle.ts). We read bundles ourselves instead of handing them to `tar -x`: an
 * update arrives from the network, and nothing of it may land on disk before its signed
 * manifest says what it is. Only what a bundle contains is understood: regular files ('0'),
 * directories ('5') and GNU long names ('L'); every other entry type (links, devices, pax
 * headers) is refused with its name.
 */
export interface TarEntry {
  readonly name: string;
  readonly type: 'file' | 'dir';
  readonly size: number;
  readonly mode: number;
}

/** What the caller does with an entry's bytes: return a sink, or undefined to skip them. */
export interface EntrySink {
  write(chunk: Buffer): void;
  end(): void;
}

export class BundleFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleFormatError';
  }
}

const BLOCK = 512;

function field(h: Buffer, off: number, len: number): string {
  const raw = h.subarray(off, off + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(h: Buffer, off: number, len: number, what: string): number {
  // GNU base-256 (high bit set) for sizes past 8 GiB: never in a bundle, refused
  if ((h[off] ?? 0) & 0x80) throw new BundleFormatError(`${what}: base-256 number field (entry over 8 GiB?)`);
  const s = field(h, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new BundleFormatError(`${what}: "${s}" is not an octal number`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return sum === octal(h, 148, 8, 'header checksum');
}

/**
 * Feed decompressed bytes with push(); entries are announced to onEntry in order. Setting
 * stopAfterEntry from inside onEntry ends the walk after that entry (reading only the signed
 * head of a bundle).
 */
export class TarParser {
  private buf: Buffer = Buffer.alloc(0);
  private sink: EntrySink | undefined;
  private remaining = 0;
  private padding = 0;
  private longName: string | undefined;
  private readingLongName = false;
  private longNameParts: Buffer[] = [];
  private zeroBlocks = 0;
  stopped = false;
  /** stop once the current entry's bytes are through */
  stopAfterEntry = false;
  ended = false;
  entries = 0;

  constructor(
    private readonly onEntry: (e: TarEntry) => EntrySink | undefined,
    private readonly maxEntries = 100_000,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (!this.stopped && !this.ended) {
      if (this.remaining > 0) {
        if (this.buf.length === 0) return;
        const n = Math.min(this.remaining, this.buf.length);
        const part = this.buf.subarray(0, n);
        if (this.readingLongName) this.longNameParts.push(Buffer.from(part));
        else this.sink?.write(part);
        this.buf = this.buf.subarray(n);
        this.remaining -= n;
        if (this.remaining > 0) return;
        this.finishEntry();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, this.buf.length);
        this.buf = this.buf.subarray(n);
        this.padding -= n;
        if (this.padding > 0) return;
        continue;
      }
      if (this.buf.length < BLOCK) return;
      const h = this.buf.subarray(0, BLOCK);
      this.buf = this.buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        if (++this.zeroBlocks === 2) this.ended = true;
        continue;
      }
      this.zeroBlocks = 0;
      this.header(h);
    }
  }

  /** The stream ended: it must have ended inside no entry. */
  finish(): void {
    if (this.stopped) return;
    if (this.remaining > 0 || this.readingLongName) throw new BundleFormatError(`bundle ends inside an entry (${this.remaining} bytes missing): truncated download?`);
    if (!this.ended) throw new BundleFormatError('bundle ends without the end-of-archive blocks: truncated download?');
  }

  private header(h: Buffer): void {
    if (!checksumOk(h)) throw new BundleFormatError(`entry ${this.entries + 1}: header checksum mismatch (not a tar archive, or corrupted)`);
    const type = String.fromCharCode(h[156] ?? 0);
    const size = octal(h, 124, 12, 'entry size');
    const prefix = field(h, 257, 6).startsWith('ustar') ? field(h, 345, 155) : '';
    const name = this.longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    this.longName = undefined;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.remaining = size;
    if (type === 'L') {
      if (size > 4096) throw new BundleFormatError(`long name of ${size} bytes`);
      this.readingLongName = true;
      this.longNameParts = [];
      if (size === 0) this.finishEntry();
      return;
    }
    if (++this.entries > this.maxEntries) throw new BundleFormatError(`more than ${this.maxEntries} entries`);
    const mode = octal(h, 100, 8, `${name}: mode`);
    if (type === '5') {
      this.onEntry({ name, type: 'dir', size: 0, mode });
      this.remaining = 0;
      return;
    }
    if (type !== '0' && type !== '\0') throw new BundleFormatError(`${name}: entry type '${type}' is not allowed in a bundle (only files and directories)`);
    this.sink = this.onEntry({ name, type: 'file', size, mode });
    if (size === 0) this.finishEntry();
  }

  private finishEntry(): void {
    if (this.readingLongName) {
      this.readingLongName = false;
      this.longName = field(Buffer.concat(this.longNameParts), 0, 4096);
      return;
    }
    const s = this.sink;
    this.sink = undefined;
    s?.end();
    if (this.stopAfterEntry) this.stopped = true;
  }
}

/**
 * Walk a .tar.gz file, at most `maxBytes` of decompressed data (a gzip bomb stops there).
 * onEntry may call `stop()` to end the walk once that entry's bytes are through.
 */
export async function walkTarGz(file: string, onEntry: (e: TarEntry, stop: () => void) => EntrySink | undefined, maxBytes: number): Promise<void> {
  let seen = 0;
  const parser: TarParser = new TarParser((e) => onEntry(e, () => (parser.stopAfterEntry = true)));
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      const b = chunk as Buffer;
      seen += b.length;
      if (seen > maxBytes) throw new BundleFormatError(`bundle unpacks to more than ${maxBytes} bytes`);
      parser.push(b);
      if (parser.stopped || parser.ended) break;
    }
  } catch (e) {
    if (e instanceof BundleFormatError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') throw new BundleFormatError(`bundle is not a complete gzip stream (${(e as Error).message}): truncated or corrupted download?`);
    throw e;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  parser.finish();
}
