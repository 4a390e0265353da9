/**
 * The technician page under slow, many, oversize and malformed clients: each gets a clean error
 * or is closed, the page keeps answering, and sampling is not disturbed — asserted on the
 * scheduler's counts (no missed or overrun device ticks), with its lateness logged.
 */
import { type Socket, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../firmware/site/server.js';
import { type SiteBox, http, post, startSiteBox } from '../helpers/site.js';

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** What the server wrote before it closed the socket. */
function untilClosed(s: Socket, maxMs: number): Promise<{ closed: boolean; text: string }> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.on('error', () => {});
    const t = setTimeout(() => resolve({ closed: false, text }), maxMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve({ closed: true, text });
    });
  });
}

describe('technician page: hostile clients', () => {
  let box: SiteBox;
  beforeAll(async () => {
    box = await startSiteBox({ interval: '1s' });
    for (let i = 0; i < 100 && box.runtime.devices.some((d) => d.state !== 'ok'); i++) await sleep(50);
  });
  afterAll(async () => box?.stop());

  const sampling = (): { runs: number; missed: number; overruns: number; p99: number } => {
    const st = box.runtime.devices.map((d) => d.taskStats()).filter((x) => x !== undefined);
    return {
      runs: st.reduce((n, s) => n + s.runs, 0),
      missed: st.reduce((n, s) => n + s.missed, 0),
      overruns: st.reduce((n, s) => n + s.overruns, 0),
      p99: Math.max(...st.map((s) => s.lateness.p99)),
    };
  };

  it('slow clients (slowloris) are cut off by the header timeout; the page and sampling carry on', async () => {
    const before = sampling();
    const slow = await Promise.all(Array.from({ length: 16 }, () => raw(box.port)));
    const ends = slow.map((s) => untilClosed(s, LIMITS.headersTimeoutMs + 4000));
    for (const s of slow) s.write(`GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${box.port}\r\n`);
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('X-a: b\r\n');
    }, 400);
    // meanwhile a technician's request is served at once
    const ok = await http(box.port, '/api/state');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).box).toBe('site-test-01');
    const results = await Promise.all(ends);
    clearInterval(drip);
    expect(results.every((r) => r.closed)).toBe(true);
    expect(results.filter((r) => r.text.startsWith('HTTP/1.1 408')).length).toBeGreaterThan(0);
    const after = sampling();
    console.log(`slowloris: ${after.runs - before.runs} device ticks, missed +${after.missed - before.missed}, overruns +${after.overruns - before.overruns}, worst p99 lateness ${after.p99} ms`);
    expect(after.runs).toBeGreaterThan(before.runs);
    expect(after.missed - before.missed).toBe(0);
    expect(after.overruns - before.overruns).toBe(0);
  }, 20_000);

  it('connections past site.http.maxConnections are closed at once; the page answers after', async () => {
    const before = sampling();
    const many = await Promise.all(Array.from({ length: 40 }, () => raw(box.port).catch(() => undefined)));
    const open = many.filter((s): s is Socket => s !== undefined);
    const closes = await Promise.all(open.map((s) => untilClosed(s, 1500)));
    expect(closes.filter((c) => c.closed).length).toBeGreaterThanOrEqual(40 - 24);
    for (const s of open) s.destroy();
    await sleep(100);
    expect((await http(box.port, '/')).status).toBe(200);
    const after = sampling();
    expect(after.missed - before.missed).toBe(0);
    expect(after.overruns - before.overruns).toBe(0);
  });

  it('oversize headers get 431, oversize bodies 413, garbage 400, too many event streams 503', async () => {
    const big = await http(box.port, '/api/state', { headers: { 'x-junk': 'a'.repeat(LIMITS.maxHeaderBytes + 10) } }).catch((e: Error) => ({ status: -1, body: e.message }));
    expect(big.status).toBe(431);

    const body = await post(box.port, '/api/login', { who: 'x', passphrase: 'p'.repeat(LIMITS.maxBodyBytes + 10) });
    expect(body.status).toBe(413);
    expect(JSON.parse(body.body).error).toMatch(/larger than 2048 bytes/);

    for (const junk of ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n']) {
      const s = await raw(box.port);
      const end = untilClosed(s, 3000);
      s.write(junk);
      const r = await end;
      expect(r.closed).toBe(true);
      expect(r.text).toMatch(/^HTTP\/1\.1 400 /);
    }

    const notJson = await http(box.port, '/api/login', { method: 'POST', body: '{', headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${box.port}` } });
    expect(notJson.status).toBe(400);
    const wrongType = await http(box.port, '/api/login', { method: 'POST', body: 'who=a', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://127.0.0.1:${box.port}` } });
    expect(wrongType.status).toBe(415);
    expect((await http(box.port, '/nothing')).status).toBe(404);
    expect((await http(box.port, '/', { method: 'DELETE' })).status).toBe(405);
    expect((await http(box.port, '/static/../server.ts')).status).toBe(404);

    // event streams: a bounded number; each extra one gets 503 with Retry-After
    const streams = await Promise.all(Array.from({ length: LIMITS.maxEventStreams }, async () => {
      const s = await raw(box.port);
      s.on('error', () => {});
      s.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${box.port}\r\n\r\n`);
      return s;
    }));
    await sleep(200);
    const extra = await http(box.port, '/events');
    expect(extra.status).toBe(503);
    expect(extra.headers['retry-after']).toBe('10');
    for (const s of streams) s.destroy();
  });

  it('a client that opens the event stream and never reads is dropped, not buffered without end', async () => {
    const s = await raw(box.port);
    s.on('error', () => {});
    s.pause(); // never read: the kernel buffers fill, then the server's
    s.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${box.port}\r\n\r\n`);
    const site = box.runtime.site;
    if (!site) throw new Error('no site');
    const dropped = (await site.stats()).droppedStreams;
    // each push is one snapshot; ask for pushes quickly by raising faults (a push per change)
    for (let i = 0; i < 400 && (await site.stats()).droppedStreams === dropped; i++) {
      box.runtime.faults.raise({ code: 'TAMPER_OPEN', subject: `door${i % 2}`, message: 'x'.repeat(400) });
      box.runtime.faults.clear('TAMPER_OPEN', `door${i % 2}`);
      await sleep(5);
    }
    expect((await site.stats()).droppedStreams).toBeGreaterThan(dropped);
    s.destroy();
  }, 15_000);

  it('refuses a Host that is a foreign name (DNS rebinding) with 421', async () => {
    const r = await http(box.port, '/api/state', { headers: { host: 'evil.example:80' } });
    expect(r.status).toBe(421);
    expect((await http(box.port, '/api/state', { headers: { host: `localhost:${box.port}` } })).status).toBe(200);
  });
});
