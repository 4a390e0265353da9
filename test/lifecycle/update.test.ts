import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { CLI, ScratchBox, cli, cliAsync, releaseSource, scratchDir, testBundle } from '../helpers/box.js';
import { testKey } from '../helpers/commands.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { dedupe, missing, readOutbox, receivedSamples } from '../helpers/outbox.js';

/**
 * Updates of a box in a scratch root, run by a supervisor that restarts the service like
 * systemd (test/helpers/box.ts), against a real Mosquitto. Test bundles are the current dist/
 * under other versions, built once for the file: 1.0.0 (provisioned), 1.1.0 (good), 1.2.0
 * (crashes at start), 1.3.0 (starts, never healthy: its uplink worker never answers), 0.9.0
 * (a downgrade), 1.1.0 for linux-arm64, and 1.1.0 signed by a key the box does not trust.
 */
const TRIAL = ['--window', '12', '--settle', '1.5', '--max-starts', '3'];

describe('edgefw update on a supervised box', () => {
  let work: string;
  let broker: Mosquitto;
  const b: Record<string, string> = {};

  beforeAll(async () => {
    work = scratchDir('update');
    broker = await Mosquitto.start();
    const key = join(work, 'release.key');
    const other = join(work, 'other.key');
    expect(cli(['bundle', 'keygen', key]).code).toBe(0);
    expect(cli(['bundle', 'keygen', other]).code).toBe(0);
    const src = (v: string, patch?: (dir: string) => void): string => releaseSource(work, v, patch);
    const good = src('1.1.0');
    const crash = src('1.2.0', (d) => {
      const f = join(d, 'dist/firmware/runtime.js');
      writeFileSync(f, `throw new Error('release 1.2.0 is broken at start');\n${readFileSync(f, 'utf8')}`);
    });
    const unhealthy = src('1.3.0', (d) => {
      // the uplink worker hangs at load: the loop samples, nothing is ever stored or sent
      const f = join(d, 'dist/firmware/uplink/worker.js');
      writeFileSync(f, `await new Promise(() => {});\n${readFileSync(f, 'utf8')}`);
    });
    [b.base, b.good, b.arm, b.foreign, b.crash, b.unhealthy, b.old] = await Promise.all([
      testBundle(src('1.0.0'), key, join(work, 'edgefw-1.0.0.tar.gz')),
      testBundle(good, key, join(work, 'edgefw-1.1.0.tar.gz')),
      testBundle(good, key, join(work, 'edgefw-1.1.0-arm64.tar.gz'), 'linux-arm64'),
      testBundle(good, other, join(work, 'edgefw-1.1.0-foreign.tar.gz')),
      testBundle(crash, key, join(work, 'edgefw-1.2.0.tar.gz')),
      testBundle(unhealthy, key, join(work, 'edgefw-1.3.0.tar.gz')),
      testBundle(src('0.9.0'), key, join(work, 'edgefw-0.9.0.tar.gz')),
    ]);
  }, 120_000);

  afterAll(async () => {
    await broker?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function provisioned(name: string, extra: readonly string[] = []): Promise<{ box: ScratchBox; rec: Recorder }> {
    const box = new ScratchBox(work, name);
    const profile = box.profile(broker.url, name, extra);
    const p = cli(['provision', '--root', box.root, '--profile', profile, '--bundle', b.base as string, '--release-key', join(work, 'release.key.pub')]);
    expect(p.code, p.out).toBe(0);
    const rec = await Recorder.connect(broker.url, `edgefw/${name}/#`);
    box.powerOn();
    await rec.waitFor('first telemetry', () => receivedSamples(rec.messages).length > 0, 30_000);
    return { box, rec };
  }

  const update = (box: ScratchBox, source: string, extra: string[] = TRIAL): Promise<{ code: number | null; out: string }> =>
    cliAsync(['update', source, '--root', box.root, ...extra], box.boxCli, 120_000);

  /**
   * every sequence the outbox issued reached the broker: none missing, none reused (numbers in a
   * range a restart after a crash skipped and reported, docs/mqtt.md, were never sent)
   */
  async function noGap(box: ScratchBox, rec: Recorder): Promise<number> {
    const db = join(box.stateDir, 'outbox.db');
    let issued = 0;
    await rec.waitFor('every issued sequence at the broker', () => {
      const f = readOutbox(db);
      issued = f.next.env ?? 0;
      const got = dedupe(receivedSamples(rec.messages));
      return issued > 0 && missing(got.seqs.get('env') ?? [], issued, f.skips, 'env').length === 0;
    }, 20_000);
    expect(dedupe(receivedSamples(rec.messages)).conflicts).toEqual([]);
    return issued;
  }

  it('a good update is staged, switched, proves healthy and is committed; then a bad signature, a wrong target, a truncated bundle and a downgrade are refused with their reason and the box untouched', async () => {
    const { box, rec } = await provisioned('good');
    try {
      const t0 = Date.now();
      const r = await update(box, b.good as string);
      expect(r.code, r.out).toBe(0);
      const ms = Date.now() - t0;
      expect(r.out).toContain('committed 1.1.0');
      expect(box.state()).toMatchObject({ state: 'committed', version: '1.1.0', committed: '1.1.0', previous: '1.0.0', floor: '1.1.0' });
      expect([box.link('current'), box.link('committed')]).toEqual(['1.1.0', '1.1.0']);
      await box.until('the new version running', () => box.running()?.version === '1.1.0');
      // the platform saw the trial and the commit on the retained update topic
      await rec.waitFor('update record committed', () => rec.on('/update').some((m) => (m.payload as { state?: string }).state === 'committed'));
      expect(rec.on('/update').map((m) => (m.payload as { state: string }).state)).toContain('trial');
      const issued = await noGap(box, rec);
      console.info(`good update: committed in ${ms} ms (settle 1.5 s), ${issued} readings without a gap, starts ${JSON.stringify(box.starts.map((x) => x.version))}`);

      // now at 1.1.0, floor 1.1.0: four bad bundles
      const before = { releases: readdirSync(join(box.installDir, 'releases')).sort(), current: box.link('current'), committed: box.link('committed'), pid: box.running()?.pid };
      const truncated = join(box.root, 'truncated.tar.gz');
      const whole = readFileSync(b.crash as string);
      writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const cases: [string, string, RegExp][] = [
        [b.foreign as string, 'signature', /does not verify with any trusted release key/],
        [b.arm as string, 'target', /for linux-arm64; this box is linux-x64/],
        [truncated, 'format', /truncated/],
        [b.old as string, 'downgrade', /0\.9\.0 is below this box's floor 1\.1\.0/],
      ];
      for (const [file, reason, message] of cases) {
        const u = await update(box, file);
        expect(u.code, u.out).toBe(1);
        expect(u.out).toMatch(new RegExp(`refused \\(${reason}\\)`));
        expect(u.out).toMatch(message);
        const s = box.state();
        expect(s).toMatchObject({ state: 'refused', committed: '1.1.0', floor: '1.1.0' });
        expect(s?.reason).toMatch(message);
        expect({ releases: readdirSync(join(box.installDir, 'releases')).sort(), current: box.link('current'), committed: box.link('committed'), pid: box.running()?.pid }).toEqual(before);
      }
      await rec.waitFor('refusal on the update topic', () => rec.on('/update').some((m) => (m.payload as { state?: string; reason?: string }).state === 'refused' && /downgrade/.test((m.payload as { reason?: string }).reason ?? '')));
    } finally {
      await box.stop();
      await rec.close();
    }
  }, 150_000);

  it('a release that crashes at start and one that never becomes healthy are both rolled back by themselves; readings keep their sequence', async () => {
    const { box, rec } = await provisioned('bad');
    try {
      let t0 = Date.now();
      const r = await update(box, b.crash as string);
      const crashMs = Date.now() - t0;
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain('rolled back to 1.0.0');
      let s = box.state();
      expect(s).toMatchObject({ state: 'rolled-back', version: '1.2.0', committed: '1.0.0', floor: '1.0.0' });
      expect(s?.reason).toMatch(/3 start\(s\) of 1\.2\.0 without proving healthy/);
      expect([box.link('current'), box.link('committed')]).toEqual(['1.0.0', '1.0.0']);
      await box.until('the old version running again', () => box.running()?.version === '1.0.0');
      expect(box.starts.filter((x) => x.version === '1.2.0').map((x) => x.code)).toEqual([1, 1, 1]);
      await rec.waitFor('rolled-back on the update topic', () => rec.on('/update').some((m) => (m.payload as { state?: string }).state === 'rolled-back'));

      t0 = Date.now();
      const u = await update(box, b.unhealthy as string, ['--window', '6', '--settle', '2', '--max-starts', '3']);
      const unhealthyMs = Date.now() - t0;
      expect(u.code, u.out).toBe(1);
      s = box.state();
      expect(s).toMatchObject({ state: 'rolled-back', version: '1.3.0', committed: '1.0.0' });
      expect(s?.reason).toMatch(/1\.3\.0 not healthy within 6 s: storage has committed nothing since start/);
      await box.until('the old version running again', () => box.running()?.version === '1.0.0' && box.starts.at(-2)?.version === '1.3.0');
      // it ran once, ended itself cleanly, and was not started again
      expect(box.starts.filter((x) => x.version === '1.3.0').map((x) => x.code)).toEqual([0]);
      const issued = await noGap(box, rec);
      console.info(`crash at start: rolled back in ${crashMs} ms; never healthy (window 6 s): rolled back in ${unhealthyMs} ms; ${issued} readings without a gap`);
    } finally {
      await box.stop();
      await rec.close();
    }
  }, 150_000);

  it('the signed update command from the platform downloads, installs and commits a release; the update topic follows it', async () => {
    const platform = testKey(work, 'platform');
    const tech = testKey(work, 'tech');
    const server = createServer((req, res) => {
      const data = readFileSync(b.good as string);
      res.writeHead(200, { 'Content-Length': data.length });
      res.end(data);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/edgefw-1.1.0-linux-x64.tar.gz`;
    const { box, rec } = await provisioned('remote', [`commands: { trust: [ { name: platform, key: "${platform.pub}", allow: [diag, update] }, { name: tech, key: "${tech.pub}", allow: [diag] } ] }`]);
    try {
      await rec.waitFor('the box key in its status', () => rec.on('/status').some((m) => typeof (m.payload as { key?: string }).key === 'string'));
      const t0 = Date.now();
      const r = await cliAsync(['cmd', 'remote', 'update', `url=${url}`, 'settle=2', 'window=15', '--key', platform.file, '--url', broker.url], CLI, 60_000);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/"accepted": ?true/);
      await box.until('committed by the signed command', () => box.state()?.state === 'committed', 60_000);
      const ms = Date.now() - t0;
      expect(box.state()).toMatchObject({ state: 'committed', version: '1.1.0', previous: '1.0.0' });
      await box.until('1.1.0 running', () => box.running()?.version === '1.1.0');
      const topic = (): { payload: unknown }[] => rec.messages.filter((m) => m.topic === 'edgefw/remote/update');
      await rec.waitFor('committed on the update topic', () => topic().some((m) => (m.payload as { state?: string }).state === 'committed'));
      const seen = topic().map((m) => (m.payload as { state: string }).state);
      expect(seen).toEqual(expect.arrayContaining(['trial', 'committed']));
      expect(readFileSync(join(box.stateDir, 'update/agent.log'), 'utf8')).toContain('switched current → 1.1.0');
      // a key of the trust list without the update permission is refused, and nothing changes
      const refused = await cliAsync(['cmd', 'remote', 'update', `url=${url}`, '--key', tech.file, '--url', broker.url], CLI, 60_000);
      expect(refused.code, refused.out).not.toBe(0);
      expect(refused.out).toMatch(/not-allowed|not allowed/);
      expect(box.state()).toMatchObject({ state: 'committed', version: '1.1.0' });
      await noGap(box, rec);
      console.info(`signed update command: committed ${ms} ms after the command (settle 2 s), update topic: ${seen.join(' → ')}`);
    } finally {
      server.close();
      await box.stop();
      await rec.close();
    }
  }, 150_000);
});
