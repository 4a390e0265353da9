import { describe, expect, it } from 'vitest';
import { gpioInput } from '../../../drivers/gpio/input/index.js';
import { gpioOutput } from '../../../drivers/gpio/output/index.js';
import { isOutputDriver } from '../../../drivers/outputs.js';
import { SimulatedGpioChip } from '../../../drivers/sim/gpio-chip.js';
import { GpioScene } from '../../../drivers/sim/gpio-scene.js';
import { RunningDevice } from '../../../firmware/device/running-device.js';
import { FaultRegistry } from '../../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../../firmware/loop/timers.js';
import { FakeClock } from '../../helpers/clock.js';
import type { Sample } from '../../../firmware/reading.js';
import { deviceContext, deviceOptions, silentLog } from '../../helpers/drivers.js';


function rig() {
  const timers = new FakeTimers();
  const clock = new FakeClock(timers);
  const scheduler = new Scheduler(timers);
  const faults = new FaultRegistry(clock);
  const chip = new SimulatedGpioChip('hdr');
  const samples: Sample[] = [];
  const run = (def: typeof gpioInput | typeof gpioOutput, entry: Record<string, unknown>) => {
    const o = deviceOptions(def as typeof gpioInput, { bus: 'hdr', interval: 100, ...entry });
    const ctx = { ...deviceContext(clock, { gpio: chip }), id: String(entry.id) };
    let r: RunningDevice | undefined;
    const driver = def.create(o as never, { ...ctx, emit: (v) => r?.emit(v) });
    r = new RunningDevice(driver, { id: String(entry.id), type: def.type, intervalMs: 100, phaseMs: 0, timeoutMs: 50 }, { scheduler, clock, faults, sink: (s) => samples.push(s), log: silentLog });
    return r;
  };
  return { timers, faults, chip, samples, run };
}

describe('runtime hooks for GPIO devices', () => {
  it('a tamper switch raises TAMPER_OPEN while open and clears it when closed; the change is an event sample', async () => {
    const { timers, faults, chip, samples, run } = rig();
    chip.drive(5, 0);
    const door = run(gpioInput, { id: 'door', line: 5, kind: 'switch', tamper: true, debounce: '50ms' });
    door.start();
    await timers.advance(300);
    expect(faults.active().map((f) => f.code)).toEqual([]);
    chip.drive(5, 1);
    await timers.advance(300);
    expect(faults.active()).toEqual([expect.objectContaining({ code: 'TAMPER_OPEN', subject: 'door', message: expect.stringMatching(/tamper switch on GPIO5 open/) })]);
    expect(samples.some((s) => s.kind === 'event' && s.values.some((v) => v.channel === 'open' && v.value === 1))).toBe(true);
    chip.drive(5, 0);
    await timers.advance(300);
    expect(faults.active()).toEqual([]);
    await door.stop();
  });

  it('stopping an output device drives its safe state before the line is released', async () => {
    const { timers, chip, run } = rig();
    const relay = run(gpioOutput, { id: 'relay', line: 18, kind: 'relay', safe: 'off' });
    relay.start();
    await timers.advance(200);
    if (!isOutputDriver(relay.driver)) throw new Error('not an output');
    await relay.driver.outputs()[0]?.set('on', 'test');
    expect(chip.physical(18)).toBe(1);
    await relay.stop();
    expect(chip.physical(18)).toBe(0);
  });
});

describe('demo GPIO scene', () => {
  it('the door opens as a technician visits: not in the first 20 minutes, for 3–10 minutes, then every 2–6 hours', () => {
    const chip = new SimulatedGpioChip('hdr');
    const scene = new GpioScene(chip);
    scene.add(5, 'switch', 0);
    const opens: number[] = [];
    const closes: number[] = [];
    let was = chip.physical(5);
    for (let t = 0; t <= 24 * 3600; t++) {
      scene.update(t);
      const now = chip.physical(5);
      if (now !== was) (now === 1 ? opens : closes).push(t);
      was = now;
    }
    // a newcomer's first half hour with the demo is a healthy box (TAMPER_OPEN is critical)
    expect(opens[0]).toBeGreaterThanOrEqual(1200);
    expect(opens[0]).toBeLessThanOrEqual(2401);
    opens.forEach((o, i) => {
      const open = (closes[i] ?? Number.POSITIVE_INFINITY) - o;
      expect(open).toBeGreaterThanOrEqual(180);
      expect(open).toBeLessThanOrEqual(601);
      if (i > 0) expect(o - (closes[i - 1] ?? 0)).toBeGreaterThanOrEqual(7200);
    });
    // a day holds several visits: the event still happens
    expect(opens.length).toBeGreaterThanOrEqual(4);
  });
});
