import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpioOutput } from '../../../drivers/gpio/output/index.js';
import { isOutputDriver } from '../../../drivers/outputs.js';
import { SimulatedGpioChip } from '../../../drivers/sim/gpio-chip.js';
import { gpioRig } from '../../helpers/gpio.js';

describe('gpio-output in process', () => {
  it('drives the safe state at start, switches with a reason, and every change is a reading', async () => {
    const rig = gpioRig(gpioOutput, { line: 18, kind: 'relay', safe: 'off' });
    const d = rig.driver;
    if (!isOutputDriver(d)) throw new Error('gpio-output must be an output driver');
    await d.safeState();
    expect(rig.chip.physical(18)).toBe(0);
    await d.init();
    await d.outputs()[0]?.set('on', 'command 7f3a');
    expect(rig.chip.physical(18)).toBe(1);
    await d.outputs()[0]?.set('on', 'again');
    await d.outputs()[0]?.set(0, 'command 7f3b');
    expect(rig.pushed('state')).toEqual([0, 1, 0]);
    await expect(d.outputs()[0]?.set(0.5, 'dim')).rejects.toMatchObject({ code: 'DEVICE_FAULT', message: expect.stringMatching(/0\.5 is not a state of a relay/) });
  });

  it('active-low relay board: logical off is a high pin from the very first write', async () => {
    const rig = gpioRig(gpioOutput, { line: 19, kind: 'relay', activeLow: true, safe: 'off' });
    await rig.driver.init();
    expect(rig.chip.physical(19)).toBe(1);
  });

  it('safe "on" (a ventilation fan that must run when the box is not in control)', async () => {
    const rig = gpioRig(gpioOutput, { line: 20, kind: 'relay', safe: 'on' });
    await rig.driver.init();
    expect(rig.chip.physical(20)).toBe(1);
  });

  it('maximum on-time switches the output off at the first read after it elapsed', async () => {
    const rig = gpioRig(gpioOutput, { line: 21, kind: 'backlight', maxOn: '10m' });
    const d = rig.driver;
    if (!isOutputDriver(d)) throw new Error('not an output');
    await d.init();
    await d.outputs()[0]?.set('on', 'dusk');
    rig.clock.advance(599_000);
    await d.read();
    expect(rig.chip.physical(21)).toBe(1);
    rig.clock.advance(1_000);
    const r = await d.read();
    expect(rig.chip.physical(21)).toBe(0);
    expect(r).toEqual({ values: [{ channel: 'state', value: 0 }] });
    expect(rig.pushed('state')).toEqual([0, 1, 0]);
  });

  it('finds a latched "on" left by a crash and drives it to the safe state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefw-pins-'));
    writeFileSync(join(dir, 'gpio18'), '1'); // relay left energised
    const rig = gpioRig(gpioOutput, { line: 18, kind: 'relay' }, new SimulatedGpioChip('hdr', dir));
    expect(rig.chip.physical(18)).toBe(1);
    await rig.driver.safeState?.();
    expect(readFileSync(join(dir, 'gpio18'), 'utf8')).toBe('0');
    rmSync(dir, { recursive: true });
  });
});

/** A child box process (test/fixtures/outputs-child.ts) on a simulated header whose pin latches live in files. */
class Box {
  readonly proc: ChildProcessWithoutNullStreams;
  out = '';
  constructor(profile: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../fixtures/outputs-child.ts'), profile], { stdio: 'pipe' });
    this.proc.stdout.on('data', (b: Buffer) => (this.out += b.toString()));
    this.proc.stderr.on('data', (b: Buffer) => (this.out += b.toString()));
  }
  async until(text: string): Promise<void> {
    for (let i = 0; i < 300 && !this.out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
    if (!this.out.includes(text)) throw new Error(`child never printed "${text}":\n${this.out}`);
  }
  exited(): Promise<number | null> {
    return new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }
  steps(): string[] {
    return this.out.split('\n').filter((l) => l.startsWith('STEP ')).map((l) => l.slice(5));
  }
}

describe('safe state across process lifetimes (child processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-safe-'));
  const pins = join(dir, 'pins');
  const profile = join(dir, 'box.yaml');
  writeFileSync(
    profile,
    `box: { id: safe-test }
buses:
  gpio: [{ name: hdr, simulated: true, stateDir: ${JSON.stringify(pins)} }]
devices:
  - { id: door, type: gpio-input, bus: hdr, line: 5, kind: switch }
  - { id: screen, type: gpio-output, bus: hdr, line: 18, kind: relay, safe: 'off' }
  - { id: fan, type: gpio-output, bus: hdr, line: 19, kind: relay, activeLow: true, safe: 'off' }
`,
  );
  const pin = (n: number): string => readFileSync(join(pins, `gpio${n}`), 'utf8');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('start: safe state first; kill -9 leaves the relay on; the next start drops it before anything else; SIGTERM drops it again', async () => {
    const a = new Box(profile);
    await a.until('STEP ready');
    expect(pin(18)).toBe('0');
    expect(pin(19)).toBe('1'); // active-low board: off is a high pin
    a.proc.stdin.write('on screen\non fan\n');
    await a.until('STEP on fan');
    expect([pin(18), pin(19)]).toEqual(['1', '0']);
    const dead = a.exited();
    a.proc.kill('SIGKILL');
    await dead;
    expect([pin(18), pin(19)]).toEqual(['1', '0']); // the latch holds: the hazard this feature exists for

    const b = new Box(profile);
    await b.until('STEP ready');
    expect([pin(18), pin(19)]).toEqual(['0', '1']);
    expect(b.steps().slice(0, 2)).toEqual(['safe-start', 'init door']);
    expect(b.out).toMatch(/GPIO18 relay was on at start \(unclean shutdown or another program\); driven to its safe state/);
    expect(b.out).toMatch(/GPIO19 relay was on at start/);

    b.proc.stdin.write('on screen\n');
    await b.until('STEP on screen');
    expect(pin(18)).toBe('1');
    const code = b.exited();
    b.proc.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(b.steps()).toContain('safe-shutdown');
    expect([pin(18), pin(19)]).toEqual(['0', '1']);
  });
});
