import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../tools/lifecycle/download.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * Bundle downloads over a real HTTP server on loopback that misbehaves on purpose: a
 * connection cut halfway (resumed with Range), a box that lost power mid-download (resumed from
 * the .part file), a server that ignores Range, one that sends too much, one that always cuts.
 */
describe('bundle download with resume and a size limit', () => {
  const body = randomBytes(300_000);
  let dir: string;
  let server: Server;
  let url: string;
  let mode: 'cut-first' | 'honest' | 'no-range' | 'always-cut' | 'endless' = 'honest';
  let requests: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = tempDir('dl');
    server = createServer((req, res) => {
      const range = req.headers.range;
      requests.push(range);
      const from = range && mode !== 'no-range' ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
      if (mode === 'endless') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024);
        const push = (): void => void (res.write(chunk) ? setImmediate(push) : res.once('drain', push));
        push();
        res.on('error', () => undefined);
        return;
      }
      const part = body.subarray(from);
      res.writeHead(from > 0 ? 206 : 200, { 'Content-Length': part.length, ...(from > 0 ? { 'Content-Range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}) });
      const cut = mode === 'always-cut' || (mode === 'cut-first' && requests.length === 1);
      if (cut) {
        res.write(part.subarray(0, Math.floor(part.length / 2)), () => res.socket?.destroy());
        return;
      }
      res.end(part);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/edgefw-1.1.0-linux-x64.tar.gz`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    requests = [];
    for (const f of ['b', 'b.part', 'b.part.url']) rmSync(join(dir, f), { force: true });
  });

  it('resumes with Range after a connection cut halfway', async () => {
    mode = 'cut-first';
    const r = await download({ url, file: join(dir, 'b'), maxBytes: 1 << 20, attempts: 3 });
    expect(readFileSync(join(dir, 'b')).equals(body)).toBe(true);
    expect(r.attempts).toBe(2);
    expect(requests[0]).toBeUndefined();
    expect(requests[1]).toBe(`bytes=${body.length / 2}-`);
    expect(existsSync(join(dir, 'b.part'))).toBe(false);
  });

  it('resumes a download a power cut interrupted, from its .part file', async () => {
    mode = 'honest';
    writeFileSync(join(dir, 'b.part'), body.subarray(0, 100_000));
    writeFileSync(join(dir, 'b.part.url'), url);
    const r = await download({ url, file: join(dir, 'b'), maxBytes: 1 << 20 });
    expect(r.resumedFrom).toBe(100_000);
    expect(requests).toEqual(['bytes=100000-']);
    expect(readFileSync(join(dir, 'b')).equals(body)).toBe(true);
  });

  it('starts over when the .part file is of another URL, or the server ignores Range', async () => {
    mode = 'no-range';
    writeFileSync(join(dir, 'b.part'), Buffer.from('x'.repeat(1000)));
    writeFileSync(join(dir, 'b.part.url'), 'http://elsewhere/other.tar.gz');
    await download({ url, file: join(dir, 'b'), maxBytes: 1 << 20 });
    expect(requests).toEqual([undefined]);
    writeFileSync(join(dir, 'b.part'), body.subarray(0, 1000));
    writeFileSync(join(dir, 'b.part.url'), url);
    await download({ url, file: join(dir, 'b'), maxBytes: 1 << 20 });
    expect(requests.at(-1)).toBe('bytes=1000-'); // asked, got 200 with the whole body
    expect(readFileSync(join(dir, 'b')).equals(body)).toBe(true);
  });

  it('refuses a bundle over the size limit, announced or not', async () => {
    mode = 'honest';
    await expect(download({ url, file: join(dir, 'b'), maxBytes: 1000 })).rejects.toMatchObject({ reason: 'size', message: expect.stringMatching(/300000 bytes, over the limit of 1000/) });
    mode = 'endless';
    await expect(download({ url, file: join(dir, 'b'), maxBytes: 200_000 })).rejects.toMatchObject({ reason: 'size' });
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('gives up after its attempts with the reason, keeping what it has for the next try', async () => {
    mode = 'always-cut';
    await expect(download({ url, file: join(dir, 'b'), maxBytes: 1 << 20, attempts: 3 })).rejects.toMatchObject({ reason: 'download', message: expect.stringMatching(/incomplete after 3 attempts/) });
    expect(existsSync(join(dir, 'b'))).toBe(false);
    expect(statSync(join(dir, 'b.part')).size).toBeGreaterThan(body.length / 2);
    await expect(download({ url: 'ftp://x/y', file: join(dir, 'b'), maxBytes: 1 })).rejects.toMatchObject({ reason: 'download' });
  });
});
