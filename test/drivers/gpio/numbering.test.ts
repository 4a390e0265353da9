import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RealGpioBus, translateGpioOpenError } from '../../../drivers/bus/gpio-real.js';
import { headerChip, listGpioChips, sysfsNumber } from '../../../drivers/bus/gpio-sysfs.js';
import { DeviceError } from '../../../drivers/errors.js';

const tree = (name: string): string => join(import.meta.dirname, '../../fixtures/sysfs', name, 'class/gpio');

describe('GPIO line numbering from /sys/class/gpio/gpiochip*', () => {
  it('Pi 4 on kernel 6.6: header chip pinctrl-bcm2711 at base 512, GPIO17 → 529; the firmware expander is skipped', () => {
    const chip = headerChip(tree('pi4-kernel6.6'));
    expect(chip).toEqual({ chip: 'gpiochip512', base: 512, ngpio: 58, label: 'pinctrl-bcm2711' });
    expect(sysfsNumber(17, chip)).toBe(529);
    expect(sysfsNumber(0, chip)).toBe(512);
    expect(listGpioChips(tree('pi4-kernel6.6')).map((c) => c.label)).toEqual(['pinctrl-bcm2711', 'raspberrypi-exp-gpio']);
  });

  it('Pi 5: pinctrl-rp1 at base 571 wins over the brcmstb blocks at lower bases, GPIO17 → 588', () => {
    const chip = headerChip(tree('pi5-kernel6.6'));
    expect(chip.label).toBe('pinctrl-rp1');
    expect(chip.base).toBe(571);
    expect(sysfsNumber(17, chip)).toBe(588);
    expect(sysfsNumber(27, chip)).toBe(598);
  });

  it('older kernels: base 0, the BCM number is the sysfs number', () => {
    const chip = headerChip(tree('pi3-kernel6.1'));
    expect(chip.label).toBe('pinctrl-bcm2835');
    expect(sysfsNumber(17, chip)).toBe(17);
  });

  it('absent sysfs GPIO (Pi 5 image without CONFIG_GPIO_SYSFS) is GPIO_UNAVAILABLE saying so and what to do', () => {
    const err = (() => {
      try {
        headerChip(tree('pi5-no-gpio-sysfs'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ code: 'GPIO_UNAVAILABLE', retryable: false });
    const msg = (err as Error).message;
    expect(msg).toContain('sysfs GPIO is absent');
    expect(msg).toContain('CONFIG_GPIO_SYSFS');
    expect(msg).toContain('docs/devices.md');
  });

  it('an unknown board names the chips it found and asks for buses.gpio[].chip; with it, numbering works', () => {
    expect(() => headerChip(tree('odroid'))).toThrow(/found gpiochip0 "meson-g12a-periphs" \(86 lines\).*buses\.gpio\[\]\.chip/);
    expect(sysfsNumber(17, headerChip(tree('odroid'), 'meson-g12a-periphs'))).toBe(17);
  });

  it('a line beyond the chip is refused with the valid range', () => {
    const chip = headerChip(tree('pi5-kernel6.6'));
    expect(() => sysfsNumber(54, chip)).toThrow(/GPIO54 is not a line of gpiochip571 "pinctrl-rp1" \(0\.\.53\)/);
  });
});

describe('real backend (onoff)', () => {
  it('on this machine sysfs GPIO is absent: opening a line is GPIO_UNAVAILABLE, not a stack trace', () => {
    const bus = new RealGpioBus('hdr');
    expect(() => bus.openInput(17, { edge: 'both', activeLow: false, pull: 'up' })).toThrow(DeviceError);
    try {
      bus.openInput(17, { edge: 'both', activeLow: false, pull: 'up' });
    } catch (e) {
      expect(e).toMatchObject({ code: 'GPIO_UNAVAILABLE' });
      expect((e as Error).message).toMatch(/sysfs GPIO is absent/);
    }
  });

  it('onoff throwing ENOENT synchronously on a fixture tree that lists chips becomes GPIO_UNAVAILABLE with the sysfs number', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/sys/class/gpio/export'"), { code: 'ENOENT' });
    const Throwing = class {
      constructor() {
        throw enoent;
      }
    } as never;
    const bus = new RealGpioBus('hdr', { root: tree('pi4-kernel6.6') }, Throwing);
    try {
      bus.openOutput(18, { activeLow: false, initial: 0 });
      expect.unreachable('open should fail');
    } catch (e) {
      expect(e).toMatchObject({ code: 'GPIO_UNAVAILABLE', details: { bcm: 18, sysfs: 530, errno: 'ENOENT' } });
      expect((e as Error).message).toMatch(/^GPIO18 \(sysfs 530\): sysfs GPIO is absent/);
    }
  });

  it('the real onoff on a fixture tree (chips listed, no kernel behind it) throws ENOENT synchronously: GPIO_UNAVAILABLE', () => {
    const bus = new RealGpioBus('hdr', { root: tree('pi4-kernel6.6') }); // the real onoff Gpio
    try {
      bus.openInput(17, { edge: 'both', activeLow: false, pull: 'up' });
      expect.unreachable('this machine has no /sys/class/gpio/export');
    } catch (e) {
      expect(e).toBeInstanceOf(DeviceError);
      expect(e).toMatchObject({ code: 'GPIO_UNAVAILABLE', details: { bcm: 17, sysfs: 529, errno: 'ENOENT' } });
      expect((e as Error).message).toMatch(/^GPIO17 \(sysfs 529\): sysfs GPIO is absent/);
    }
  });

  it('open errors are explained: busy line, permissions', () => {
    expect(translateGpioOpenError(Object.assign(new Error('x'), { code: 'EBUSY' }), 4, 516).message).toMatch(/claimed by a kernel driver or overlay/);
    expect(translateGpioOpenError(Object.assign(new Error('x'), { code: 'EACCES' }), 4, 516).message).toMatch(/"gpio" group/);
  });

  it('a stand-in onoff on the fixture tree gets the offset number and the glitch-free direction', () => {
    const calls: unknown[][] = [];
    const Fake = class {
      constructor(...args: unknown[]) {
        calls.push(args);
      }
      read = async (): Promise<number> => 1;
      write = async (): Promise<void> => undefined;
      watch = (): void => undefined;
      unwatchAll = (): void => undefined;
      unexport = (): void => undefined;
    } as never;
    const bus = new RealGpioBus('hdr', { root: tree('pi5-kernel6.6') }, Fake);
    const relay = bus.openOutput(18, { activeLow: true, initial: 0 });
    expect(relay.name).toBe('GPIO18 (sysfs 589)');
    // active-low relay, logical off = physical high: direction "high" in one write
    expect(calls[0]).toEqual([589, 'high', undefined, { activeLow: true }]);
    bus.openInput(17, { edge: 'both', activeLow: false, pull: 'up' });
    expect(calls[1]).toEqual([588, 'in', 'both', { activeLow: false }]);
    expect(() => bus.openInput(17, { edge: 'both', activeLow: false, pull: 'up' })).toThrow(/already open/);
  });
});
