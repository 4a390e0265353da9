import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxEvent } from '../../firmware/uplink/outbox.js';
import type { WireSample } from '../../firmware/uplink/payload.js';
import type { Batch } from '../../firmware/uplink/queue.js';
import { readOutbox } from '../helpers/outbox.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * A box being updated keeps its backlog. test/fixtures/outbox/before-encode-once.db was written by
 * the outbox of the release before "encode once" (readings stored, then published; how it was made:
 * make-before-encode-once.mjs beside it) and stopped cleanly, as an update stops the service:
 * boot 1 left 10 readings of env read before the clock was trusted (a row split by a partial
 * take) and 100 of env and roof, boot 2 left 60 while offline. The new outbox opens it as it is.
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/outbox/before-encode-once.db', import.meta.url));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('outbox: a file written by the release before encode-once', () => {
  it('is opened as it is: every stored reading goes out once, with its boot and boot id, and numbering continues without a gap', () => {
    const path = join(tempDir('upgrade'), 'outbox.db');
    copyFileSync(FIXTURE, path);
    const before = readOutbox(path);
    expect(before.integrity).toBe('ok');
    expect(before.next).toEqual({ env: 100, roof: 80 });

    const events: OutboxEvent[] = [];
    const q = new Outbox({
      path, boot: 3, ringRows: 1000, retryMs: 1000, maxRows: 100_000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest',
      wallNow: () => Date.UTC(2026, 10, 21), onEvent: (e) => events.push(e),
    });
    expect(events.filter((e) => e.type !== 'reserved')).toEqual([]); // a clean stop: no skip, no fault
    expect(q.pending()).toBe(170);
    expect(q.counters().fileId).toBe(before.fileId);

    q.splitBacklog();
    const got: (WireSample & { boot: number; bootId: string })[] = [];
    for (let b: Batch | undefined = q.take(200, 'backlog'); b; b = q.take(200, 'backlog')) {
      for (const s of b.samples) got.push({ ...s, boot: b.boot, bootId: b.bootId });
      q.ack(b.id);
    }
    q.commit();
    const of = (dev: string, boot: number): number[] => got.filter((s) => s.dev === dev && s.boot === boot).map((s) => s.seq);
    expect(of('env', 1)).toEqual([...range(10, 10), ...range(20, 50)]);
    expect(of('roof', 1)).toEqual(range(0, 50));
    expect(of('env', 2)).toEqual(range(70, 30));
    expect(of('roof', 2)).toEqual(range(50, 30));
    expect(new Set(got.map((s) => `${s.boot}/${s.bootId}`))).toEqual(new Set(['1/00000000-0000-4000-8000-000000000001', '2/00000000-0000-4000-8000-000000000002']));
    // read before the clock was trusted in a boot that is over: they keep tq none (docs/mqtt.md)
    expect(got.filter((s) => s.tq === 'none').map((s) => s.seq)).toEqual(range(10, 10));
    expect(got.some((s) => s.re)).toBe(false);
    expect(q.pending()).toBe(0);

    q.append([{ device: 'env', kind: 'sample', monoMs: 1, wallMs: Date.UTC(2026, 10, 21), timeSource: 'system', values: [{ channel: 'temperature', value: 21, unit: '°C' }] }]);
    q.stage();
    const live = q.take(10, 'live') as Batch;
    expect(live.samples.map((s) => s.seq)).toEqual([100]);
    q.ack(live.id);
    q.close();
    const after = readOutbox(path);
    expect(after.integrity).toBe('ok');
    expect(after.stored).toEqual({});
    expect(after.next).toMatchObject({ env: 101, roof: 80 });
  });
});
