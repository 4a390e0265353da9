import { describe, expect, it } from 'vitest';
import { Debouncer } from '../../../drivers/gpio/input/debounce.js';
import { gpioInput } from '../../../drivers/gpio/input/index.js';
import type { ReadResult } from '../../../drivers/types.js';
import { gpioRig, valueOf } from '../../helpers/gpio.js';

const values = (r: ReadResult): readonly { channel: string; value: number }[] => {
  if (!('values' in r)) throw new Error('gpio inputs never ask to wait');
  return r.values;
};

describe('stability debounce on a manual clock', () => {
  it('the worked example: chatter at 100/102/104 ms, confirmed at the read at 130 ms with the 104 ms edge time', () => {
    const d = new Debouncer(0, 20);
    expect(d.edge(1, 100)).toEqual([]);
    expect(d.edge(0, 102)).toEqual([]);
    expect(d.edge(1, 104)).toEqual([]);
    expect(d.settle(123)).toEqual([]); // held 19 ms
    expect(d.settle(130)).toEqual([{ level: 1, atMs: 104 }]);
    expect(d.level).toBe(1);
  });

  it('a glitch shorter than the debounce never becomes a change', () => {
    const d = new Debouncer(0, 20);
    d.edge(1, 0);
    expect(d.edge(0, 5)).toEqual([]);
    expect(d.settle(1000)).toEqual([]);
    expect(d.level).toBe(0);
  });

  it('the next edge confirms a level that held long enough, then starts its own', () => {
    const d = new Debouncer(0, 20);
    d.edge(1, 0);
    expect(d.edge(0, 50)).toEqual([{ level: 1, atMs: 0 }]);
    expect(d.settle(69)).toEqual([]);
    expect(d.settle(70)).toEqual([{ level: 0, atMs: 50 }]);
  });

  it('debounce 0 accepts every edge at once', () => {
    const d = new Debouncer(0, 0);
    expect(d.edge(1, 7)).toEqual([{ level: 1, atMs: 7 }]);
    expect(d.edge(0, 7)).toEqual([{ level: 0, atMs: 7 }]);
  });

  it('a level read directly (a missed edge) is debounced like an edge', () => {
    const d = new Debouncer(0, 20);
    expect(d.observe(1, 100)).toEqual([]);
    expect(d.observe(1, 125)).toEqual([{ level: 1, atMs: 100 }]);
    expect(d.observe(1, 200)).toEqual([]);
  });
});

describe('gpio-input switch (door / tamper)', () => {
  it('a bouncing door contact gives one open change, pushed at the next edge or read, with the state on each read', async () => {
    const rig = gpioRig(gpioInput, { line: 5, kind: 'switch', debounce: '20ms' });
    rig.chip.drive(5, 0); // door closed: contact pulls the line to ground
    await rig.driver.init();
    // the door opens: the reed contact chatters for 6 ms
    for (let i = 0; i < 6; i++) {
      rig.chip.drive(5, (i % 2 === 0 ? 1 : 0) as 0 | 1);
      rig.clock.advance(1);
    }
    rig.chip.drive(5, 1);
    expect(rig.pushed('open')).toEqual([]); // not yet stable
    rig.clock.advance(25);
    const r = values(await rig.driver.read());
    expect(rig.pushed('open')).toEqual([1]);
    expect(valueOf(r, 'open')).toBe(1);
    expect(valueOf(r, 'changes')).toBe(1);
    // closes cleanly, confirmed by the next edge 30 ms later (no read in between)
    rig.chip.drive(5, 0);
    rig.clock.advance(30);
    rig.chip.drive(5, 1);
    expect(rig.pushed('open')).toEqual([1, 0]);
    expect(rig.chip.edges).toBeGreaterThan(8);
  });

  it('with tamper: true an open switch reports TAMPER_OPEN until it closes', async () => {
    const rig = gpioRig(gpioInput, { line: 6, kind: 'switch', tamper: true, debounce: '50ms' });
    rig.chip.drive(6, 0);
    await rig.driver.init();
    expect(rig.driver.conditions?.()).toEqual([]);
    rig.chip.drive(6, 1);
    rig.clock.advance(60);
    await rig.driver.read();
    rig.clock.advance(12_000);
    expect(rig.driver.conditions?.()).toEqual([{ code: 'TAMPER_OPEN', message: 'tamper switch on GPIO6 open for 12 s' }]);
    rig.chip.drive(6, 0);
    rig.clock.advance(60);
    await rig.driver.read();
    expect(rig.driver.conditions?.()).toEqual([]);
  });

  it('a broken wire with the pull-up reads open: a box whose tamper line floats reports the fault', async () => {
    const rig = gpioRig(gpioInput, { line: 6, kind: 'switch', tamper: true });
    await rig.driver.init(); // nothing drives the pin: the pull-up holds it high
    expect(rig.driver.conditions?.().map((c) => c.code)).toEqual(['TAMPER_OPEN']);
  });
});

describe('gpio-input motion (PIR)', () => {
  it('activations and occupancy per reporting interval', async () => {
    const rig = gpioRig(gpioInput, { line: 23, kind: 'motion' });
    await rig.driver.init(); // PIR output low
    rig.clock.advance(10_000);
    rig.chip.drive(23, 1);
    rig.clock.advance(15_000);
    rig.chip.drive(23, 0);
    rig.clock.advance(25_000);
    rig.chip.drive(23, 1);
    rig.clock.advance(10_000); // t = 60 s
    let r = values(await rig.driver.read());
    expect(valueOf(r, 'activations')).toBe(2);
    expect(valueOf(r, 'occupancy')).toBeCloseTo(25 / 60, 9);
    expect(valueOf(r, 'motion')).toBe(1);
    expect(rig.pushed('motion')).toEqual([1, 0, 1]);
    // still active for the whole next interval: occupancy 1, no new activation
    rig.clock.advance(60_000);
    r = values(await rig.driver.read());
    expect(valueOf(r, 'activations')).toBe(0);
    expect(valueOf(r, 'occupancy')).toBe(1);
    rig.chip.drive(23, 0);
    rig.clock.advance(60_000);
    r = values(await rig.driver.read());
    expect(valueOf(r, 'occupancy')).toBe(0);
  });
});

describe('gpio-input button', () => {
  it('short press and long press, the long press reported while still held', async () => {
    const rig = gpioRig(gpioInput, { line: 27, kind: 'button', longPress: '1s', debounce: '30ms' });
    await rig.driver.init(); // pull-up, not pressed: line high, activeLow → 0
    expect(rig.driver.describe()).toMatchObject({ activeLow: true });
    // short press 200 ms with chatter at both ends
    rig.chip.bounce(27, 0, 4);
    rig.clock.advance(200);
    rig.chip.bounce(27, 1, 4);
    rig.clock.advance(40);
    let r = values(await rig.driver.read());
    expect(rig.pushed('press')).toEqual([0.2]);
    expect(valueOf(r, 'presses')).toBe(1);
    expect(valueOf(r, 'pressed')).toBe(0);
    // held for 1.5 s: the read at 1.5 s reports the long press before release
    rig.chip.drive(27, 0);
    rig.clock.advance(1500);
    r = values(await rig.driver.read());
    expect(valueOf(r, 'long_press')).toBe(1.5);
    expect(valueOf(r, 'long_presses')).toBe(1);
    rig.chip.drive(27, 1);
    rig.clock.advance(40);
    r = values(await rig.driver.read());
    expect(rig.pushed('long_press')).toEqual([]); // reported by the read, not pushed twice
    expect(rig.pushed('press')).toEqual([0.2]);
    expect(valueOf(r, 'long_presses')).toBe(0);
  });
});

describe('gpio-input counter', () => {
  it('counts pulses into a total and a rate per minute (YF-S201: 450 pulses per litre)', async () => {
    const rig = gpioRig(gpioInput, { line: 22, kind: 'counter', pulsesPerUnit: 450, unit: 'L' });
    expect(rig.driver.channels.map((c) => `${c.name} ${c.unit}`)).toEqual(['total L', 'rate L/min']);
    rig.chip.drive(22, 0);
    await rig.driver.init();
    for (let i = 0; i < 1350; i++) {
      rig.chip.drive(22, 1);
      rig.clock.advance(20);
      rig.chip.drive(22, 0);
      rig.clock.advance(20);
    }
    rig.clock.advance(60_000 - 1350 * 40);
    let r = values(await rig.driver.read());
    expect(valueOf(r, 'total')).toBe(3);
    expect(valueOf(r, 'rate')).toBeCloseTo(3, 9);
    rig.clock.advance(30_000);
    r = values(await rig.driver.read());
    expect(valueOf(r, 'total')).toBe(3);
    expect(valueOf(r, 'rate')).toBe(0);
  });

  it('with a debounce, pulses shorter than it are not counted (contact bounce on a coin acceptor)', async () => {
    const rig = gpioRig(gpioInput, { line: 22, kind: 'counter', debounce: '5ms' });
    rig.chip.drive(22, 0);
    await rig.driver.init();
    for (let i = 0; i < 10; i++) {
      rig.chip.drive(22, 1);
      rig.clock.advance(i % 2 === 0 ? 2 : 10); // every other pulse is a 2 ms spike
      rig.chip.drive(22, 0);
      rig.clock.advance(10);
    }
    const r = values(await rig.driver.read());
    expect(valueOf(r, 'total')).toBe(5);
  });
});

describe('gpio-input errors', () => {
  it('a line already used by another device, or no sysfs GPIO, is GPIO_UNAVAILABLE', async () => {
    const a = gpioRig(gpioInput, { line: 5, kind: 'switch' });
    await a.driver.init();
    const b = gpioRig(gpioInput, { line: 5, kind: 'button' }, a.chip);
    await expect(b.driver.init()).rejects.toMatchObject({ code: 'GPIO_UNAVAILABLE' });
    await a.driver.close?.();
    await b.driver.init();
    const c = gpioRig(gpioInput, { line: 9, kind: 'switch' });
    c.chip.unavailable = true;
    await expect(c.driver.init()).rejects.toMatchObject({ code: 'GPIO_UNAVAILABLE' });
  });

  it('read before init is a typed error; release stops edges reaching the driver', async () => {
    const rig = gpioRig(gpioInput, { line: 5, kind: 'switch', debounce: 0 });
    await expect(rig.driver.read()).rejects.toMatchObject({ code: 'DEVICE_FAULT' });
    await rig.driver.init();
    await rig.driver.close?.();
    rig.chip.drive(5, 0);
    expect(rig.emitted).toEqual([]);
  });
});
