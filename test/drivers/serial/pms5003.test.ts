/** PMS5003 behaviour the contract does not cover: sleep, the runner's reset, warm-up shape. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import { FrameHunter } from '../../../drivers/bus/serial-frames.js';
import { SLEEP } from '../../../drivers/serial/pms5003/commands.js';
import { pms5003 } from '../../../drivers/serial/pms5003/index.js';
import { decodeMeasurement, pmsFrame } from '../../../drivers/serial/pms5003/parser.js';
import { Pms5003Simulator } from '../../../drivers/serial/pms5003/simulator.js';
import { mockSerialRig, readRealtime, readUntilValues, value } from '../../helpers/serial.js';

describe('PMS5003', () => {
  it('a part put to sleep goes stale; the runner\'s reset wakes it and reopens the port', async () => {
    const { sim, driver, hub, path } = mockSerialRig(pms5003, { warmup: 0, staleAfter: 300 }, (c) => new Pms5003Simulator(c, 20, true));
    await driver.init();
    await readUntilValues(driver, () => true);
    sim.receive(SLEEP); // a stray SLEEP (or the SET pin pulled low by a loose wire)
    expect((sim as Pms5003Simulator).sleeping).toBe(true);
    await sleep(450);
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'SERIAL_NO_DATA' });
    await driver.reset?.();
    expect(hub.linkAt(path)?.isOpen).toBe(false);
    expect((sim as Pms5003Simulator).sleeping).toBe(false);
    await driver.init();
    await readUntilValues(driver, () => true);
    expect(sim.violations).toEqual([]);
  });

  it('warm-up: near zero while the fan spins up, overshoot, then the true value after 30 s', () => {
    const clock = new ManualClock();
    const sim = new Pms5003Simulator(clock, 1000);
    sim.setChannel('pm2_5', 20);
    const hunter = new FrameHunter(pmsFrame);
    const at = (s: number): number => {
      clock.mono = s * 1000;
      sim.tick();
      const frames = sim.take().flatMap((b) => hunter.push(b));
      return decodeMeasurement(frames[frames.length - 1] as Uint8Array)?.pm2_5 ?? Number.NaN;
    };
    expect(at(1)).toBeLessThan(5);
    expect(at(8)).toBeGreaterThan(20);
    expect(at(31)).toBe(20);
    expect(at(60)).toBe(20);
  });

  it('CF=1 equals atmospheric below 30 µg/m³ and reads higher above, as the part reports', async () => {
    const { sim, driver } = mockSerialRig(pms5003, { warmup: 0 }, (c) => new Pms5003Simulator(c, 20, true));
    await driver.init();
    sim.setChannel('pm10', 25);
    sim.setChannel('pm2_5', 25);
    let v = await readUntilValues(driver, (x) => value(x, 'pm2_5') === 25);
    expect(value(v, 'pm2_5_cf1')).toBe(25);
    sim.setChannel('pm10', 90);
    sim.setChannel('pm2_5', 90);
    v = await readUntilValues(driver, (x) => value(x, 'pm2_5') === 90);
    expect(value(v, 'pm2_5_cf1')).toBe(120);
  });
});
