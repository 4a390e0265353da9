import { describe, expect, it } from 'vitest';
import { SimulatedGpioChip } from '../../../drivers/sim/gpio-chip.js';

describe('simulated GPIO header refuses what the kernel refuses', () => {
  const input = { edge: 'both', activeLow: false, pull: 'up' } as const;

  it('a line off the header, a line opened twice, a write to an input, a line used after release', async () => {
    const chip = new SimulatedGpioChip('hdr');
    expect(() => chip.openInput(28, input)).toThrow(/GPIO28 is not on the header \(GPIO0\.\.27\)/);
    const line = chip.openInput(4, input);
    expect(() => chip.openOutput(4, { activeLow: false, initial: 0 })).toThrow(/GPIO4 is already open on hdr \(EBUSY\)/);
    await expect(line.write(1)).rejects.toMatchObject({ code: 'DEVICE_FAULT', message: 'GPIO4 is an input; it cannot be written' });
    await line.release();
    await expect(line.read()).rejects.toMatchObject({ message: 'GPIO4: line used after release' });
  });

  it('pulls, active-low and edges: a floating input reads its pull; edges only on a real level change', async () => {
    const chip = new SimulatedGpioChip('hdr');
    const levels: number[] = [];
    const line = chip.openInput(6, { edge: 'falling', activeLow: true, pull: 'up' });
    line.watch((l) => levels.push(l));
    expect(await line.read()).toBe(0); // pulled up, active low → 0
    chip.drive(6, 1); // same physical level as the pull: no edge
    chip.drive(6, 0); // physical falling = logical rising: not watched with edge "falling"
    chip.float(6); // back to the pull-up: physical rising = logical falling
    expect(levels).toEqual([0]);
  });

  it('an output latches its level after release, as the SoC does', async () => {
    const chip = new SimulatedGpioChip('hdr');
    const relay = chip.openOutput(18, { activeLow: true, initial: 0 });
    expect(chip.physical(18)).toBe(1);
    await relay.write(1);
    await relay.release();
    expect(chip.physical(18)).toBe(0);
    expect(chip.peekOutput(18, true)).toBe(1);
  });
});
