import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, NetworkLink, Recorder } from '../helpers/mosquitto.js';
import { range, readOutbox, receivedSamples } from '../helpers/outbox.js';
import { SmallDisk } from '../helpers/tmpfs.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * The outbox inside the running box (sampling thread + uplink worker): a full outbox under both
 * policies, and readings taken before the clock was trusted.
 */
describe('outbox in the running box', () => {
  let broker: Mosquitto;
  let link: NetworkLink;
  const dirs: string[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    link = await NetworkLink.open(broker.port);
  });
  afterAll(async () => {
    await link.cut();
    await broker.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const profileFor = (dir: string, outbox: Record<string, unknown>, trusted = true): ReturnType<typeof parseProfile> =>
    parseProfile({
      box: { id: 'full-box' },
      uplink: { url: link.url, reconnect: { min: 300, max: 600 }, batch: { maxDelay: 50 }, outbox },
      clock: { assumeTrusted: trusted },
      storage: { dir },
      buses: { i2c: [{ name: 'i2c1', simulated: true }] },
      devices: [{ id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 20 }],
    });

  it.each(['drop-oldest', 'reject-new'] as const)('outbox full (%s): exact drop counts, OUTBOX_DROPPING raised, sampling unaffected', async (policy) => {
    await link.cut(); // the broker is unreachable the whole time: everything piles up
    const dir = tempDir('full');
    dirs.push(dir);
    let sampled = 0;
    const rt = new Runtime({ profile: profileFor(dir, { maxRows: 50, policy, commitInterval: 50 }), log: silentLog, onSample: () => sampled++ });
    await rt.start();
    const deadline = Date.now() + 15_000;
    while (!rt.faults.isActive('OUTBOX_DROPPING', 'outbox') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(rt.faults.active().find((f) => f.code === 'OUTBOX_DROPPING')).toMatchObject({ severity: 'error', component: 'storage', subject: 'outbox' });
    const atFault = sampled;
    await new Promise((r) => setTimeout(r, 1000));
    const duringDrops = sampled - atFault;
    await rt.stop();

    // sampling went on while readings were dropped: 50 Hz nominal; the bound is loose because
    // this machine is shared (a blocked sampling thread would give ~0, not 40)
    expect(duringDrops).toBeGreaterThan(25);
    expect(rt.status().devices[0]).toMatchObject({ state: 'ok', errors: 0 });
    const file = readOutbox(join(dir, 'outbox.db'));
    const issued = file.next.env ?? 0;
    expect(issued).toBe(sampled); // every reading that left the sampling thread got a sequence
    const drops = rt.status().uplink.drops;
    if (policy === 'drop-oldest') {
      expect(drops).toEqual({ oldest: issued - 50, rejected: 0, expired: 0 });
      expect(file.stored.env).toEqual(range(issued - 50, issued));
    } else {
      expect(drops).toEqual({ oldest: 0, rejected: issued - 50, expired: 0 });
      expect(file.stored.env).toEqual(range(0, 50));
    }
    expect(rt.status().uplink.dropped).toBe(issued - 50);
  }, 40_000);

  it('never refuses to start because of its outbox: a corrupt file is set aside, a read-only disk keeps readings in memory', async () => {
    await link.restore();
    const dir = tempDir('corrupt-rt');
    dirs.push(dir);
    writeFileSync(join(dir, 'outbox.db'), Buffer.alloc(8192, 0xa5)); // not a database
    const rec = await Recorder.connect(broker.url, 'edgefw/full-box/telemetry');
    const rt = new Runtime({ profile: profileFor(dir, {}), log: silentLog });
    await rt.start();
    try {
      const deadline = Date.now() + 15_000;
      while (!rt.faults.isActive('OUTBOX_CORRUPT', 'outbox') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(rt.faults.active().find((f) => f.code === 'OUTBOX_CORRUPT')?.details).toMatchObject({ setAside: expect.stringContaining('outbox.db.corrupt-') });
      expect(readdirSync(dir).some((f) => f.startsWith('outbox.db.corrupt-'))).toBe(true);
      await rec.waitFor('telemetry from the new outbox', () => receivedSamples(rec.messages).length > 5, 15_000);
    } finally {
      await rt.stop();
      await rec.close();
    }

    const disk = SmallDisk.mount(4096);
    try {
      disk.readOnly();
      const rec2 = await Recorder.connect(broker.url, 'edgefw/full-box/telemetry');
      const rt2 = new Runtime({ profile: profileFor(disk.dir, {}), log: silentLog });
      await rt2.start();
      try {
        const until = Date.now() + 15_000;
        while (!rt2.faults.isActive('OUTBOX_READ_ONLY', 'outbox') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        expect(rt2.faults.isActive('OUTBOX_READ_ONLY', 'outbox')).toBe(true);
        // readings still flow, from the memory ring
        await rec2.waitFor('telemetry while read-only', () => receivedSamples(rec2.messages).length > 5, 15_000);
        disk.writable();
        const back = Date.now() + 15_000;
        while (rt2.faults.isActive('OUTBOX_READ_ONLY', 'outbox') && Date.now() < back) await new Promise((r) => setTimeout(r, 50));
        expect(rt2.faults.isActive('OUTBOX_READ_ONLY', 'outbox')).toBe(false);
        // the worker's stats follow within a second
        while (rt2.status().uplink.outbox?.mode !== 'disk' && Date.now() < back) await new Promise((r) => setTimeout(r, 50));
        expect(rt2.status().uplink.outbox?.mode).toBe('disk');
      } finally {
        await rt2.stop();
        await rec2.close();
      }
      const file = readOutbox(join(disk.dir, 'outbox.db'));
      expect(file.integrity).toBe('ok');
    } finally {
      disk.unmount();
    }
  }, 90_000);

  it('re-stamps readings taken before the clock was trusted, before they leave the box', async () => {
    await link.cut();
    const dir = tempDir('restamp');
    dirs.push(dir);
    const rec = await Recorder.connect(broker.url, 'edgefw/full-box/telemetry');
    const rt = new Runtime({ profile: profileFor(dir, {}, false), log: silentLog });
    const t0 = Date.now(); // no reading of this run is older
    await rt.start();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(rt.clock.timeSource()).toBe('none');
      // a GPS fix arrives: from now on wall time is trusted
      rt.clock.markTrusted('gps');
      const trustedAt = Date.now();
      await new Promise((r) => setTimeout(r, 2000)); // the uplink notices within a second
      await link.restore();
      await rec.waitFor('readings from after the fix', () => receivedSamples(rec.messages).some((s) => s.t > trustedAt + 1500), 20_000);
      const got = receivedSamples(rec.messages);
      const before = got.filter((s) => s.re === true);
      expect(before.length).toBeGreaterThan(20);
      // nothing left the box with an untrusted time: it was all held while the link was down
      expect(got.filter((s) => s.tq === 'none')).toEqual([]);
      for (const s of before) {
        expect(s.tq).toBe('gps');
        // re-stamped from monotonic time: lands where the reading really happened (the system
        // clock here is right): after the run started and before the fix was known to the box
        expect(s.t).toBeGreaterThanOrEqual(t0 - 50);
        expect(s.t).toBeLessThanOrEqual(trustedAt + 50);
      }
      // per device in sequence order: the re-stamped readings first, then only readings stamped
      // live with GPS time, and times rise with the sequence across the two (a re-stamp that put
      // the send time on a reading would land after the live readings taken before the send)
      for (const dev of new Set(got.map((s) => s.dev))) {
        const mine = got.filter((s) => s.dev === dev).sort((x, y) => x.seq - y.seq);
        const firstLive = mine.findIndex((s) => s.re !== true);
        expect(firstLive, dev).toBeGreaterThan(0);
        expect(mine.slice(firstLive).every((s) => s.re === undefined && s.tq === 'gps'), dev).toBe(true);
        for (let i = 1; i < mine.length; i++) expect(mine[i]?.t, `${dev} seq ${mine[i]?.seq}`).toBeGreaterThan(mine[i - 1]?.t ?? 0);
      }
    } finally {
      await rt.stop();
      await rec.close();
    }
  }, 40_000);
});
