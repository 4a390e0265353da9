import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxSkip, StatusPayload } from '../../firmware/uplink/payload.js';
import { Mosquitto, NetworkLink, Recorder } from '../helpers/mosquitto.js';
import { dedupe, outside, readOutbox, receivedSamples } from '../helpers/outbox.js';
import { TWO_BME280_AT_50HZ, simulatedBoxProfile } from '../helpers/profiles.js';
import { tempDir, track } from '../helpers/scratch.js';
import { SmallDisk } from '../helpers/tmpfs.js';

/**
 * The built box (`node dist/tools/cli.js run`) on a 2 MiB tmpfs, against a real Mosquitto behind
 * a link the test cuts, through rounds that mix at random: the disk filled during a run, the link
 * cut, kill -9 or SIGTERM, and between runs a read-only remount, a WAL truncated at a random
 * length, or outbox.db truncated to zero length. At the end, what the platform saw:
 * - no (dev, seq) names two different readings; every start has its own boot id;
 * - per device, the numbers missing between received ones are exactly the drops the box counted
 *   (latest `outbox.dropped` per outbox file), apart from those inside the skips it reported, the
 *   readings the test itself destroyed with a zeroed file (and the rest of that file's range), and
 *   (after a kill) those of a fresh range the box announced but could never save;
 * - OUTBOX_DISK_FULL was raised and cleared by the box itself.
 * Rounds: EDGEFW_DISK_ROUNDS (default 5; `npm run test:long` runs 30); seed EDGEFW_SEED (logged).
 */
const ROUNDS = Number(process.env.EDGEFW_DISK_ROUNDS ?? 5);
/**
 * Zeroing outbox.db between runs (on; EDGEFW_DISK_ZERO=0 leaves it out). CI seed 656928 found a
 * gap of 261,296 numbers no skip or drop explained: a zeroed file, then kill -9 while the disk was
 * full, left a fresh range the restart skipped only as '*' (test/uplink/outbox-zeroed.test.ts
 * replays it deterministically).
 */
const ZERO_FILES = (process.env.EDGEFW_DISK_ZERO ?? '1') === '1';
const SEED = Number(process.env.EDGEFW_SEED ?? Date.now() % 1_000_000);
const CLI = resolve('dist/tools/cli.js');
const DEVICES = ['env', 'roof'];
const BOX = 'disk-box';

let rnd = SEED;
const random = (): number => {
  rnd = (rnd * 1_103_515_245 + 12_345) % 2 ** 31;
  return rnd / 2 ** 31;
};
const chance = (p: number): boolean => random() < p;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('disk trouble, runtime kills and link cuts mixed at random', () => {
  let broker: Mosquitto;
  let link: NetworkLink;
  let disk: SmallDisk;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    broker = await Mosquitto.start();
    link = await NetworkLink.open(broker.port);
    disk = SmallDisk.mount(2048);
    dir = tempDir('disktrouble');
  });
  afterAll(async () => {
    await link.cut();
    await broker.stop();
    try {
      disk.writable();
    } catch {
      // already writable
    }
    disk.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  const exited = (p: ChildProcess): Promise<number | null> =>
    new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));

  it(`${ROUNDS} rounds (seed ${SEED}, zeroed files ${ZERO_FILES ? 'on' : 'off'}): no sequence reused, every gap a counted drop or a reported skip`, async () => {
    console.info(`disk-trouble seed ${SEED} (EDGEFW_SEED=${SEED} to replay), ${ROUNDS} rounds, zeroed files ${ZERO_FILES ? 'on' : 'off (EDGEFW_DISK_ZERO=1 to include)'}`);
    const profile = join(dir, 'profile.yaml');
    writeFileSync(profile, simulatedBoxProfile({ box: BOX, uplink: `url: "${link.url}", reconnect: { min: 300, max: 600 }, outbox: { maxRows: 400, memoryRing: 300 }`, storageDir: disk.dir, devices: TWO_BME280_AT_50HZ }));
    const db = join(disk.dir, 'outbox.db');
    const rec = await Recorder.connect(broker.url, `edgefw/${BOX}/#`);
    const statuses = (): StatusPayload[] => rec.on('/status').map((m) => m.payload as StatusPayload);
    const lostWithFile = new Map<string, Set<number>>();
    /** files the test zeroed: their id and the drops they had counted */
    const lostFiles = new Map<number, number>();
    /** per device, the first number each zeroed file had not stored: what came after it died with the file */
    const zeroedNext = new Map<string, number[]>();
    const log: string[] = [];
    let starts = 0;
    let linkUp = true;
    let lastClean = false;
    let running: ChildProcess | undefined;
    const start = async (): Promise<ChildProcess> => {
      const seen = new Set(statuses().map((s) => s.bootId));
      const p = track(spawn(process.execPath, [CLI, 'run', '--profile', profile, '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] }));
      starts++;
      running = p;
      // running once its worker has said hello (status on connect; with the link cut, just time)
      if (linkUp) await rec.waitFor('status of the new start', () => statuses().some((s) => !seen.has(s.bootId)), 30_000);
      else await sleep(4000);
      return p;
    };
    const faultEvents = (code: string, transition: string): number =>
      rec.on('/faults/events').filter((m) => {
        const e = m.payload as { transition: string; fault: { code: string } };
        return e.fault.code === code && e.transition === transition;
      }).length;
    const fillers = (): string[] => readdirSync(disk.dir).filter((f) => f.startsWith('filler'));
    try {
      for (let k = 0; k < ROUNDS; k++) {
        const steps: string[] = [];
        // between runs: what a failing card does to the files. The file is zeroed only after a
        // run that stopped cleanly with the link up (the platform has its skips and counters: a
        // zeroed file also takes the skips it alone recorded, which no platform could account for)
        // (the first chance is always taken, so that a short run zeroes a file more often than not)
        if (ZERO_FILES && existsSync(db) && lastClean && (chance(0.3) || lostFiles.size === 0)) {
          // read from a copy: SQLite cannot open a WAL file for reading on a disk full to the last byte
          const copy = join(dir, `outbox-${k}.db`);
          for (const s of ['', '-wal']) if (existsSync(db + s)) copyFileSync(db + s, copy + s);
          const f = readOutbox(copy);
          for (const [dev, seqs] of Object.entries(f.stored)) for (const s of seqs) (lostWithFile.get(dev) ?? lostWithFile.set(dev, new Set()).get(dev))?.add(s);
          if (f.fileId !== undefined) lostFiles.set(f.fileId, f.dropped);
          for (const [dev, next] of Object.entries(f.next)) (zeroedNext.get(dev) ?? zeroedNext.set(dev, []).get(dev))?.push(next);
          truncateSync(db, 0);
          for (const s of ['-wal', '-shm']) if (existsSync(db + s)) unlinkSync(db + s);
          steps.push('zero-length outbox.db');
        } else if (existsSync(`${db}-wal`) && statSync(`${db}-wal`).size > 0 && chance(0.3)) {
          const size = statSync(`${db}-wal`).size;
          const cut = Math.floor(random() * size);
          truncateSync(`${db}-wal`, cut);
          steps.push(`WAL ${size} → ${cut} bytes`);
        }
        const readOnly = chance(0.2);
        if (readOnly) {
          disk.readOnly();
          steps.push('read-only');
        }
        linkUp = !chance(0.3);
        if (!linkUp) {
          await link.cut();
          steps.push('link cut');
        } else await link.restore();
        const p = await start();
        await sleep(500 + random() * 1500);
        if (!readOnly && chance(0.5)) {
          const raised = (): number => faultEvents('OUTBOX_DISK_FULL', 'raised');
          const cleared = (): number => faultEvents('OUTBOX_DISK_FULL', 'cleared');
          const [raisedBefore, clearedBefore] = [raised(), cleared()];
          disk.fill(`filler-${k}`);
          steps.push('disk filled');
          await sleep(1000 + random() * 2000);
          if (chance(0.5)) {
            for (const f of fillers()) unlinkSync(join(disk.dir, f));
            steps.push('space back');
            // every raise since the fill is cleared by the box itself once space is back (the outbox
            // may also free enough of its own space before that); seen when the link is up
            if (linkUp) {
              await rec.waitFor('OUTBOX_DISK_FULL cleared', () => cleared() - clearedBefore >= raised() - raisedBefore, 20_000).catch((e: unknown) => {
                const files = readdirSync(disk.dir).map((f) => `${f} ${statSync(join(disk.dir, f)).size}`);
                throw new Error(`${(e as Error).message} (${log.join('; ')}; files: ${files.join(', ')}; last status ${JSON.stringify(statuses().at(-1)?.outbox)})`);
              });
            } else await sleep(2500 + random() * 1000);
          }
        }
        if (chance(0.5)) {
          await link.restore();
          linkUp = true;
          steps.push('link up');
          await sleep(random() * 1500);
        }
        const term = chance(0.25);
        lastClean = term && linkUp && !readOnly;
        if (!term) {
          p.kill('SIGKILL');
          steps.push('kill -9');
        } else {
          p.kill('SIGTERM');
          steps.push('SIGTERM');
        }
        await exited(p);
        if (readOnly) disk.writable();
        log.push(`round ${k}: ${steps.join(', ')}`);
        console.info(log.at(-1));
      }
      // power and network back for good: the box sends everything, then stops cleanly
      for (const f of fillers()) unlinkSync(join(disk.dir, f));
      await link.restore();
      linkUp = true;
      const p = await start();
      const finalId = statuses().at(-1)?.bootId;
      await rec.waitFor(
        'the backlog drained',
        () => statuses().some((s) => s.bootId === finalId && s.outbox?.pending === 0 && s.outbox.mode === 'disk' && (s.outbox.memory?.pending ?? 0) === 0),
        60_000,
      );
      p.kill('SIGTERM');
      expect(await exited(p)).toBe(0);
      log.push('final: drained, SIGTERM');
      console.info(log.join('\n'));

      // what the platform saw
      const got = dedupe(receivedSamples(rec.messages));
      expect(got.conflicts).toEqual([]);
      // a boot id names one start: one boot counter value each, never shared by two starts
      const bootOf = new Map<string, Set<number>>();
      for (const m of [...statuses(), ...rec.on('/telemetry').map((x) => x.payload as { boot: number; bootId?: string })]) {
        if (m.bootId) (bootOf.get(m.bootId) ?? bootOf.set(m.bootId, new Set()).get(m.bootId))?.add(m.boot);
      }
      for (const [id, boots] of bootOf) expect(boots.size, id).toBe(1);
      expect(bootOf.size).toBeLessThanOrEqual(starts);
      const skips = new Map<string, OutboxSkip>();
      for (const s of statuses()) for (const k of s.outbox?.skips ?? []) {
        const key = `${k.dev}/${k.to}/${k.reason}`;
        if (!skips.has(key) || k.saved === undefined) skips.set(key, k);
      }
      const file = readOutbox(db);
      for (const k of file.skips) if (!skips.has(`${k.dev}/${k.to}/${k.reason}`)) skips.set(`${k.dev}/${k.to}/${k.reason}`, { ...k, boot: 0, bootId: '', at: 0 });
      // drops: the latest counters per outbox file, plus what files the test zeroed had counted
      // the latest counters the box published per file (a last will carries the values of its
      // connect, so wills are left out): a WAL that lost its tail rolls the counters back together
      // with the readings they counted, which then arrive after all
      const perFile = new Map<number, number>();
      for (const s of statuses()) {
        const d = s.outbox?.dropped;
        if (!d || s.outbox?.file === undefined || s.reason === 'connection lost') continue;
        perFile.set(s.outbox.file, d.oldest + d.rejected + d.expired);
      }
      for (const [id, n] of lostFiles) perFile.set(id, n);
      if (file.fileId !== undefined) perFile.set(file.fileId, file.dropped);
      const drops = [...perFile.values()].reduce((a, b) => a + b, 0);
      // per device, the ranges a platform knows are not losses: reported skips, an announced
      // fresh range never saved (after a kill), the rest of a zeroed file's range
      const excuses = (dev: string): (readonly [number, number])[] => [
        ...[...skips.values()].filter((k) => k.dev === dev).map((k) => [k.from ?? Number.NEGATIVE_INFINITY, k.to] as const),
        ...[...skips.values()].filter((k) => k.saved === false && k.dev === '*').map((k) => [k.to, k.to + 2 ** 32] as const),
        // (up to the fresh range that followed it: new-file, or unwritable when the disk was read-only)
        ...(zeroedNext.get(dev) ?? []).map((z) => [z, Math.min(...[...skips.values()].filter((k) => k.reason !== 'unclean-stop' && k.to > z).map((k) => k.to))] as const),
      ];
      // a platform counts gaps within each range of numbers: from its start (0, or the `to` of a
      // fresh range) to the last number received in it; the tail after that is not yet received
      const starts0 = [0, ...[...skips.values()].filter((k) => k.reason !== 'unclean-stop').map((k) => k.to)].sort((a, b) => a - b);
      let gaps = 0;
      for (const dev of DEVICES) {
        const ex = excuses(dev);
        const lost = [...(lostWithFile.get(dev) ?? [])];
        const inEx = (n: number): boolean => ex.some(([x, y]) => n >= x && n < y);
        const recv = got.seqs.get(dev) ?? [];
        for (let r = 0; r < starts0.length; r++) {
          const from = starts0[r] as number;
          const to = starts0[r + 1] ?? Number.MAX_SAFE_INTEGER;
          const s = [from - 1, ...recv.filter((n) => n >= from && n < to)];
          for (let i = 1; i < s.length; i++) {
            const lo = (s[i - 1] as number) + 1;
            const hi = s[i] as number;
            const g = outside(lo, hi, ex) - lost.filter((n) => n >= lo && n < hi && !inEx(n)).length;
            if (g > 1e6) log.push(`uncovered gap of ${g} after ${dev}/${lo - 1}`);
            gaps += g;
          }
        }
      }
      const diskFull = rec.on('/faults/events').map((m) => m.payload as { transition: string; fault: { code: string } }).filter((e) => e.fault.code === 'OUTBOX_DISK_FULL');
      console.info(
        `disk-trouble: starts ${starts}, readings ${[...got.seqs.values()].reduce((a, s) => a + s.length, 0)}, duplicates ${got.duplicates}, ` +
          `gaps ${gaps}, drops ${drops} (${lostFiles.size} files zeroed), skips ${skips.size}, ` +
          `OUTBOX_DISK_FULL ${diskFull.map((e) => e.transition).join('/')}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      );
      // every gap is a counted drop. Drops may exceed gaps: a zeroed file takes with it readings it
      // had not sent (drops it counted among them leave no gap), and a reading the broker had but
      // whose acknowledgement a kill -9 lost stays in the file; if the bounds remove it before
      // the resend it counts as dropped although the platform has it (docs/mqtt.md)
      expect(gaps, log.join('\n')).toBeLessThanOrEqual(drops);

    } finally {
      if (running && running.exitCode === null && running.signalCode === null) {
        running.kill('SIGKILL');
        await exited(running);
      }
      await rec.close();
    }
  }, 120_000 + ROUNDS * 25_000);
});
