import { copyFileSync, existsSync, readdirSync, openSync, readSync, statSync, truncateSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../firmware/reading.js';
import { Outbox, type OutboxEvent } from '../../firmware/uplink/outbox.js';
import { RESERVE_BLOCK, type SeqSkip, freshBase } from '../../firmware/uplink/outbox-seqs.js';
import { checkWal } from '../../firmware/uplink/outbox-wal.js';
import type { Batch } from '../../firmware/uplink/queue.js';
import { outside } from '../helpers/outbox.js';
import { seededRandom } from '../helpers/random.js';
import { tempDir } from '../helpers/scratch.js';
import { SmallDisk } from '../helpers/tmpfs.js';

/**
 * What the platform would see from one box whose storage misbehaves between and during runs:
 * (dev, seq) never names two different readings, every gap is a counted drop or lies in a skip the
 * box reported, and the boot id tells every start apart. The runs here are Outbox instances over
 * the same file; "kill -9" abandons one without close() (its file is exactly what a killed process
 * leaves: synchronous=FULL commits are in the file when commit() returns).
 */
const random = seededRandom('outbox integrity: WAL cut lengths');

let wall = Date.UTC(2026, 5, 1);
let mono = 0;
let value = 0;
const sample = (device: string): Sample => {
  mono += 10;
  value++;
  return { device, kind: 'sample', monoMs: mono, wallMs: wall + mono, timeSource: 'system', values: [{ channel: 'x', value, unit: 'V' }] };
};
const samples = (n: number, devs = ['a', 'b']): Sample[] => Array.from({ length: n }, (_, i) => sample(devs[i % devs.length] as string));

/** A small tmpfs for this test (unmounted after it) and the outbox path on it. */
function onSmallDisk(kib: number): { disk: SmallDisk; path: string } {
  const disk = SmallDisk.mount(kib);
  return { disk, path: join(disk.dir, 'outbox.db') };
}

/** A directory for this test (removed after it). */
const tmp = (): string => tempDir('integrity');

interface Run {
  readonly q: Outbox;
  readonly events: OutboxEvent[];
}

function open(path: string, boot: number, o: { firstStart?: boolean; maxRows?: number; ringRows?: number } = {}): Run {
  const events: OutboxEvent[] = [];
  const q = new Outbox({
    path, boot, ringRows: o.ringRows ?? 100_000, retryMs: 1000, maxRows: o.maxRows ?? 1_000_000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest',
    wallNow: () => wall, onEvent: (e) => events.push(e), firstStart: o.firstStart ?? boot === 1,
  });
  return { q, events };
}

/** Append n readings (devices a and b in turn) and commit them. */
function put(r: Run, n: number, devs?: string[]): void {
  r.q.append(samples(n, devs));
  r.q.commit();
}

/** A first start that stored 30 readings, published them and stopped cleanly: what a later start finds. */
function cleanFirstRun(path: string, p: Platform): void {
  const r1 = open(path, 1);
  put(r1, 30);
  p.drain(r1.q);
  r1.q.close();
}

/** kill -9: the process is gone; its file stays as the last commit left it */
const kill = (q: Outbox): void => (q as unknown as { closeDb(): void }).closeDb();

/** What the platform received: (dev, seq) → reading, refusing a sequence that names two readings. */
class Platform {
  readonly got = new Map<string, string>();
  readonly boots = new Set<string>();
  readonly skips: SeqSkip[] = [];
  /** the same history, for an alternative future */
  clone(): Platform {
    const c = new Platform();
    for (const [k, v] of this.got) c.got.set(k, v);
    return c;
  }
  receive(b: Batch): void {
    this.boots.add(`${b.boot}/${b.bootId}`);
    for (const s of b.samples) {
      const key = `${s.dev}/${s.seq}`;
      const body = JSON.stringify([s.t, s.v]);
      const prev = this.got.get(key);
      if (prev !== undefined && prev !== body) throw new Error(`sequence reused: ${key} was ${prev}, now ${body}`);
      this.got.set(key, body);
    }
  }
  drain(q: Outbox, lane: 'live' | 'backlog' = 'live', max = 50): number {
    let n = 0;
    for (let b = q.take(max, lane); b; b = q.take(max, lane)) {
      this.receive(b);
      q.ack(b.id);
      n += b.count;
    }
    return n;
  }
  seqs(dev: string): number[] {
    return [...this.got.keys()].filter((k) => k.startsWith(`${dev}/`)).map((k) => Number(k.slice(dev.length + 1))).sort((x, y) => x - y);
  }
  /** numbers missing between received ones, outside the reported skips */
  gaps(dev: string): number {
    const s = this.seqs(dev);
    const skips = this.skips.filter((k) => k.dev === dev).map((k) => [k.from ?? Number.NEGATIVE_INFINITY, k.to] as const);
    let g = 0;
    for (let i = 1; i < s.length; i++) g += outside((s[i - 1] as number) + 1, s[i] as number, skips);
    return g;
  }
}

const skipsOf = (events: readonly OutboxEvent[]): SeqSkip[] => events.flatMap((e) => (e.type === 'skip' ? [e.skip] : []));
const total = (q: Outbox): number => {
  const d = q.counters().dropped;
  return d.oldest + d.rejected + d.expired;
};

describe('outbox integrity: sequences and drops whatever the storage does', () => {
  it('kill -9 with drops: the restart skips the unused reservation, and gaps equal the drops counted in the file', () => {
    const path = join(tmp(), 'outbox.db');
    const p = new Platform();
    const r1 = open(path, 1, { maxRows: 60 });
    for (let i = 0; i < 5; i++) {
      put(r1, 40);
      if (i % 2 === 0) p.drain(r1.q);
    }
    const dropsBefore = total(r1.q);
    expect(dropsBefore).toBeGreaterThan(0);
    kill(r1.q);

    const r2 = open(path, 2);
    const skips = skipsOf(r2.events);
    expect(skips.map((s) => [s.dev, s.reason])).toEqual(expect.arrayContaining([['a', 'unclean-stop'], ['b', 'unclean-stop']]));
    p.skips.push(...skips);
    // the drops survived the kill: they are in the file, counted in the commit that made them
    expect(total(r2.q)).toBe(dropsBefore);
    put(r2, 20);
    p.drain(r2.q);
    r2.q.close();
    for (const dev of ['a', 'b']) expect(Math.min(...p.seqs(dev).filter((n) => n >= RESERVE_BLOCK))).toBe(skips.find((s) => s.dev === dev)?.to);
    expect(p.gaps('a') + p.gaps('b')).toBe(dropsBefore);

    // a clean stop continues without a gap
    const r3 = open(path, 3);
    expect(skipsOf(r3.events)).toEqual([]);
    const next = r3.q.sequences();
    put(r3, 2);
    p.drain(r3.q);
    expect(p.seqs('a').at(-1)).toBe(next.a);
    r3.q.close();
  });

  it('a zero-length outbox.db on a box that ran before jumps to a fresh range and says so', () => {
    const path = join(tmp(), 'outbox.db');
    const p = new Platform();
    cleanFirstRun(path, p);
    truncateSync(path, 0); // the card lost the file's content
    for (const s of ['-wal', '-shm']) if (existsSync(path + s)) unlinkSync(path + s);

    wall += 60_000;
    const r2 = open(path, 2);
    const skips = skipsOf(r2.events);
    expect(skips).toEqual([expect.objectContaining({ dev: '*', from: null, reason: 'new-file', to: freshBase(wall) })]);
    put(r2, 4);
    p.drain(r2.q);
    expect(p.seqs('a').slice(-2)).toEqual([freshBase(wall), freshBase(wall) + 1]);
    expect(r2.q.counters().skips.map((s) => s.reason)).toContain('new-file');
    r2.q.close();
  });

  it('a WAL truncated after kill -9 never rolls the numbering back (cut lengths from the logged seed)', () => {
    const dir = tmp();
    const path = join(dir, 'outbox.db');
    const r1 = open(path, 1);
    const seen = new Platform();
    for (let i = 0; i < 12; i++) {
      put(r1, 30);
      // published (the platform has these numbers), the PUBACKs not yet back
      for (let b = r1.q.take(50, 'live'); b; b = r1.q.take(50, 'live')) seen.receive(b);
    }
    const wal = statSync(`${path}-wal`).size;
    expect(wal).toBeGreaterThan(4096);
    const crashDir = tmp();
    for (let k = 0; k < 6; k++) {
      // the power went while the run was going, and the card lost the tail of the log
      const copy = join(crashDir, `outbox-${k}.db`);
      copyFileSync(path, copy);
      copyFileSync(`${path}-wal`, `${copy}-wal`);
      const cut = k === 0 ? 32 : Math.floor(random() * wal);
      truncateSync(`${copy}-wal`, cut);
      const r2 = open(copy, 2);
      put(r2, 2);
      const fresh: number[] = [];
      const p = seen.clone(); // each cut is another possible future of the same run
      for (let b = r2.q.take(50, 'live'); b; b = r2.q.take(50, 'live')) {
        // what the file kept of boot 1 goes out again, as the same readings
        p.receive(b);
        if (b.boot === 2) for (const s of b.samples) expect(s.seq, `cut at ${cut}`).toBeGreaterThan(Math.max(...p.seqs(s.dev).filter((n) => n !== s.seq)));
        if (b.boot === 2) fresh.push(b.count);
      }
      expect(fresh).toEqual([2]);
      r2.q.close();
    }
    kill(r1.q);
  });

  it('a damaged WAL frame makes the outbox jump to a fresh range', () => {
    const dir = tmp();
    const path = join(dir, 'outbox.db');
    const r1 = open(path, 1);
    for (let i = 0; i < 6; i++) {
      put(r1, 30);
    }
    const copy = join(tmp(), 'outbox.db');
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    kill(r1.q);
    // flip bytes inside the first frame's page: SQLite would silently stop replaying there
    const fd = openSync(`${copy}-wal`, 'r+');
    const buf = Buffer.alloc(16);
    readSync(fd, buf, 0, 16, 32 + 24 + 100);
    for (let i = 0; i < 16; i++) buf[i] = (buf[i] as number) ^ 0xff;
    writeSync(fd, buf, 0, 16, 32 + 24 + 100);
    closeSync(fd);
    expect(checkWal(`${copy}-wal`)).toMatchObject({ damaged: true });
    const r2 = open(copy, 2);
    expect(skipsOf(r2.events).map((s) => s.reason)).toContain('wal-damaged');
    r2.q.close();
  });

  it('two starts on a read-only card: different boot ids, fresh ranges that cannot overlap', () => {
    const { disk, path } = onSmallDisk(2048);
    const p = new Platform();
    cleanFirstRun(path, p);
    disk.readOnly();
    // the boot counter cannot be saved either: both starts are "boot 2"
    const starts: Run[] = [];
    for (let k = 0; k < 2; k++) {
      wall += 5000;
      const r = open(path, 2);
      expect(r.events.find((e) => e.type === 'trouble')).toMatchObject({ trouble: 'read-only' });
      expect(skipsOf(r.events)).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'unwritable' })]));
      put(r, 200);
      p.drain(r.q); // published from the memory ring
      kill(r.q);
      starts.push(r);
    }
    expect(starts[0]?.q.bootId).not.toBe(starts[1]?.q.bootId);
    expect(p.boots.size).toBe(3);
    disk.writable();
  });

  it('disk full with the link cut, kill -9, restart: the ring\'s numbers are never issued again', () => {
    const { disk, path } = onSmallDisk(1024);
    const p = new Platform();
    const r1 = open(path, 1);
    put(r1, 50);
    disk.fill();
    put(r1, 50);
    expect(r1.q.counters()).toMatchObject({ mode: 'memory', trouble: 'full' });
    // the link comes back: the ring publishes what it holds (numbers the platform now has)
    p.drain(r1.q, 'live');
    kill(r1.q);
    unlinkSync(join(disk.dir, 'filler'));

    const r2 = open(path, 2);
    p.skips.push(...skipsOf(r2.events));
    put(r2, 50);
    p.drain(r2.q, 'live');
    r2.q.splitBacklog();
    p.drain(r2.q, 'backlog');
    r2.q.close();
    expect(p.seqs('a')).toHaveLength(75);
    expect(p.gaps('a') + p.gaps('b')).toBe(0);
  });

  it('a clean stop while the disk is full counts the ring as discarded instead of dropping it silently', () => {
    const { disk, path } = onSmallDisk(1024);
    const r = open(path, 1);
    put(r, 10);
    disk.fill();
    put(r, 25);
    expect(r.q.counters().ringRows).toBe(25);
    r.q.close();
    expect(r.q.counters()).toMatchObject({ discarded: 25, ringRows: 0 });
  });

  it('a full disk clears by itself: stranded readings are sent from the file, deleted, the log truncated and the space given back', () => {
    const { disk, path } = onSmallDisk(2048);
    const p = new Platform();
    const r = open(path, 1);
    // the link is cut: readings pile up until the disk keeps only its headroom
    let n = 0;
    for (let i = 0; i < 200 && r.q.counters().mode === 'disk'; i++) {
      r.q.append(samples(500));
      n += 500;
      r.q.commit();
    }
    expect(r.q.counters()).toMatchObject({ mode: 'memory', trouble: 'full' });
    expect(r.events.filter((e) => e.type === 'trouble')).toEqual([expect.objectContaining({ trouble: 'full' })]);
    const stored = r.q.counters().rows;
    expect(stored).toBeGreaterThan(3000);
    // sampling goes on into the ring; the link returns and the backlog drains from the file
    r.q.splitBacklog();
    for (let i = 0; i < 400 && (r.q.counters().trouble !== undefined || r.q.pending() > 0); i++) {
      r.q.append(samples(20));
      n += 20;
      wall += 250;
      r.q.commit();
      p.drain(r.q, 'live', 200);
      for (let k = 0; k < 4; k++) {
        const b = r.q.take(200, 'backlog');
        if (!b) break;
        p.receive(b);
        r.q.ack(b.id);
      }
    }
    r.q.commit();
    expect(r.q.counters()).toMatchObject({ mode: 'disk', trouble: undefined, ringRows: 0, rows: 0 });
    expect(r.events.at(-1)).toEqual({ type: 'recovered', trouble: 'full' });
    // nothing lost, nothing dropped: every number from 0 arrived
    expect(p.seqs('a')).toHaveLength(n / 2);
    expect(p.gaps('a') + p.gaps('b')).toBe(0);
    expect(total(r.q)).toBe(0);
    // an empty outbox does not hold the disk: the log is truncated, freed pages given back
    expect(r.q.counters().walBytes).toBe(0);
    expect(statSync(path).size).toBeLessThan(256 * 1024);
    r.q.close();
  });

  it('a reservation used up while the disk refuses writes jumps to a fresh range, recorded in the file once the disk returns', () => {
    const { disk, path } = onSmallDisk(1024);
    const p = new Platform();
    const r = open(path, 1);
    put(r, 10, ['a']);
    disk.fill();
    // more than a reservation's worth of readings while the disk is full to the last byte (even a
    // new reservation cannot be written), published from the ring
    for (let i = 0; i < RESERVE_BLOCK / 4000 + 2; i++) {
      disk.fill(`filler-${i}`);
      put(r, 4000, ['a']);
      p.drain(r.q, 'live', 1000);
    }
    const jumps = skipsOf(r.events).filter((s) => s.reason === 'reservation-spent');
    expect(jumps.map((s) => s.dev)).toEqual(['a', '*']);
    expect(jumps[0]?.from).toBeLessThanOrEqual(RESERVE_BLOCK + 10);
    p.skips.push(...jumps);
    expect(p.gaps('a')).toBe(0);
    for (const f of readdirSync(disk.dir)) if (f.startsWith('filler')) unlinkSync(join(disk.dir, f));
    wall += 2000;
    put(r, 5, ['a']);
    expect(r.q.counters().mode).toBe('disk');
    expect(r.events.at(-1)).toMatchObject({ type: 'recovered' });
    expect(r.events.some((e) => e.type === 'reserved')).toBe(true);
    kill(r.q);
    // the jump is in the file: a later start reports it and continues above it
    const r2 = open(path, 2);
    expect(r2.q.counters().skips.filter((s) => s.reason === 'reservation-spent')).toHaveLength(2);
    expect(r2.q.sequences().a).toBeGreaterThan(jumps[0]?.to as number);
    r2.q.close();
  });
});
