import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Layout, committedLink, compareSemver, currentLink, linkVersion, pointLink, readState, reconcile, releaseDir, writeState } from '../../firmware/lifecycle/state.js';
import { satisfies } from '../../tools/lifecycle/manifest.js';
import { editedConfig } from '../../tools/lifecycle/provision/boot-config.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * The update journal and the start-up guard, step by step: every place a power cut can
 * interrupt a switch, a commit or a rollback, and what the next start makes of it.
 */
describe('update journal and start-up guard', () => {
  let dir: string;
  let l: Layout;
  const release = (v: string): void => {
    mkdirSync(releaseDir(l, v), { recursive: true });
    writeFileSync(join(releaseDir(l, v), 'manifest.json'), '{}');
  };
  const trial = { version: '1.1.0', startedAt: 0, starts: 0, maxStarts: 3, windowMs: 10_000, settleMs: 1000 };

  beforeEach(() => {
    dir = tempDir('journal');
    l = { installDir: join(dir, 'opt/edgefw'), stateDir: join(dir, 'var/lib/edgefw') };
    release('1.0.0');
    release('1.1.0');
    pointLink(l, committedLink(l), '1.0.0');
    pointLink(l, currentLink(l), '1.0.0');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const base = { committed: '1.0.0', floor: '1.0.0', installDir: '' };
  const links = (): [string | undefined, string | undefined] => [linkVersion(currentLink(l)), linkVersion(committedLink(l))];

  it('starts a journal from the links of a box that has none', () => {
    const r = reconcile(l);
    expect(r.state).toMatchObject({ state: 'idle', version: '1.0.0', committed: '1.0.0', floor: '1.0.0', seq: 1 });
  });

  it('cut after the trial was journaled but before the link switched: the guard completes the switch and counts the start', () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'trial', version: '1.1.0', previous: '1.0.0', trial });
    expect(links()).toEqual(['1.0.0', '1.0.0']);
    const r = reconcile(l);
    expect(links()).toEqual(['1.1.0', '1.0.0']);
    expect(r.state?.trial?.starts).toBe(1);
    expect(r.actions.join()).toMatch(/switch completed/);
  });

  it('a trial that keeps crashing is rolled back on the start after its last allowed one', () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'trial', version: '1.1.0', previous: '1.0.0', trial });
    pointLink(l, currentLink(l), '1.1.0');
    for (let i = 1; i <= 3; i++) expect(reconcile(l).state?.trial?.starts).toBe(i);
    const r = reconcile(l);
    expect(r.state).toMatchObject({ state: 'rolled-back', version: '1.1.0', committed: '1.0.0' });
    expect(r.state?.reason).toMatch(/3 start\(s\) of 1\.1\.0 without proving healthy/);
    expect(links()).toEqual(['1.0.0', '1.0.0']);
  });

  it("a trial's own verdict (never healthy) is rolled back at the next start", () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'trial', version: '1.1.0', previous: '1.0.0', trial: { ...trial, starts: 1, verdict: '1.1.0 not healthy within 10 s: broker never reached' } });
    pointLink(l, currentLink(l), '1.1.0');
    const r = reconcile(l);
    expect(r.state).toMatchObject({ state: 'rolled-back', reason: '1.1.0 not healthy within 10 s: broker never reached' });
    expect(links()).toEqual(['1.0.0', '1.0.0']);
  });

  it('a trial whose release vanished from disk is rolled back', () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'trial', version: '1.1.0', previous: '1.0.0', trial });
    rmSync(releaseDir(l, '1.1.0'), { recursive: true });
    expect(reconcile(l).state).toMatchObject({ state: 'rolled-back', reason: 'release 1.1.0 is missing on disk' });
  });

  it('cut after the commit was journaled but before the committed link moved: the guard moves it', () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'committed', version: '1.1.0', committed: '1.1.0', previous: '1.0.0', floor: '1.1.0' });
    pointLink(l, currentLink(l), '1.1.0');
    reconcile(l);
    expect(links()).toEqual(['1.1.0', '1.1.0']);
  });

  it('cut after the rollback was journaled but before current moved back: the guard moves it', () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'rolled-back', version: '1.1.0', previous: '1.1.0', reason: 'x' });
    pointLink(l, currentLink(l), '1.1.0');
    reconcile(l);
    expect(links()).toEqual(['1.0.0', '1.0.0']);
  });

  it('outside a trial, a current link pointing elsewhere (cut while staging) goes back to committed', () => {
    writeState(l.stateDir, undefined, { ...base, installDir: l.installDir, state: 'staged', version: '1.1.0', previous: '1.0.0' });
    pointLink(l, currentLink(l), '1.1.0');
    reconcile(l);
    expect(links()).toEqual(['1.0.0', '1.0.0']);
  });

  it('a torn or foreign journal is an error naming the file (the guard reports it and starts current)', () => {
    mkdirSync(l.stateDir, { recursive: true });
    writeFileSync(join(l.stateDir, 'update.json'), '{"v":1,"sta');
    expect(() => readState(l.stateDir)).toThrow(/update\.json/);
  });

  it('orders versions and checks Node ranges', () => {
    expect(compareSemver('1.10.0', '1.9.9')).toBe(1);
    expect(compareSemver('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareSemver('2.0.0', '2.0.0')).toBe(0);
    expect(satisfies('20.19.2', '>=20.0.0 <21.0.0')).toBe(true);
    expect(satisfies('22.1.0', '>=20.0.0 <21.0.0')).toBe(false);
    expect(satisfies('20.1.0', '>=20')).toBe(true);
    expect(satisfies('21.0.0', '^20')).toBe(false);
    expect(satisfies('20.0.0', 'latest')).toBe(false);
  });

  it('edits a Raspberry Pi config.txt: uncomments, corrects, appends under [all], and leaves a done file alone', () => {
    const before = '#dtparam=i2c_arm=on\ndtparam=audio=on\n[pi4]\narm_boost=1\n';
    const after = editedConfig(before);
    expect(after).toBe('dtparam=i2c_arm=on\ndtparam=audio=on\n[pi4]\narm_boost=1\n\n# edgefw: sensor buses (edgefw provision)\n[all]\nenable_uart=1\n');
    expect(editedConfig(after)).toBe(after);
    expect(editedConfig('dtparam=i2c_arm=off\nenable_uart=0\n')).toBe('dtparam=i2c_arm=on\nenable_uart=1\n');
  });
});
