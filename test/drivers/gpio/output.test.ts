import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpioOutput } from '../../../drivers/gpio/output/index.js';
import { isOutputDriver } from '../../../drivers/outputs.js';
import { SimulatedGpioChip } from '../../../drivers/sim/gpio-chip.js';
import { gpioRig } from '../../helpers/gpio.js';
import { tempDir } from '../../helpers/scratch.js';

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
    const dir = tempDir('pins');
    writeFileSync(join(dir, 'gpio18'), '1'); // relay left energised
    const rig = gpioRig(gpioOutput, { line: 18, kind: 'relay' }, new SimulatedGpioChip('hdr', dir));
    expect(rig.chip.physical(18)).toBe(1);
    await rig.driver.safeState?.();
    expect(readFileSync(join(dir, 'gpio18'), 'utf8')).toBe('0');
    rmSync(dir, { recursive: true });
  });
});
