import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError } from '../errors.js';

/**
 * Line numbering. Profiles name header lines by BCM number (GPIO17 = header pin 11). The sysfs
 * interface wants a global number: the BCM number plus the base of the gpiochip that drives the
 * header. That base changed under people's feet:
 *
 *   kernel < 6.6, Pi 0-4      gpiochip0    label pinctrl-bcm2835 / pinctrl-bcm2711   GPIO17 = 17
 *   kernel 6.6+,  Pi 0-4      gpiochip512  label pinctrl-bcm2835 / pinctrl-bcm2711   GPIO17 = 529
 *   kernel 6.6+,  Pi 5        gpiochip571  label pinctrl-rp1                          GPIO17 = 588
 *
 * (onoff issues #199, #200, PR #204; raspberrypi/linux #6084, #5638.) Other chips on the same
 * board (the firmware expander "raspberrypi-exp-gpio", the Pi 5's "gpio-brcmstb@…" blocks) are
 * not the header and are skipped. On images built without CONFIG_GPIO_SYSFS there is no
 * /sys/class/gpio at all.
 */
export interface GpioChipInfo {
  /** directory name, "gpiochip512" */
  readonly chip: string;
  readonly base: number;
  readonly ngpio: number;
  readonly label: string;
}

/** Labels of the chips that drive the 40-pin header, in order of preference. */
export const HEADER_CHIP_LABELS: readonly RegExp[] = [/^pinctrl-rp1$/, /^pinctrl-bcm27\d\d$/, /^pinctrl-bcm2835$/, /^pinctrl-bcm28\d\d$/];

export const DEFAULT_SYSFS_GPIO = '/sys/class/gpio';

const REMEDY =
  'the kernel has no sysfs GPIO (built without CONFIG_GPIO_SYSFS, as on newer Raspberry Pi 5 images). ' +
  'Use an image whose kernel has GPIO sysfs enabled, or move the input/output to the Firmata board; ' +
  'see docs/devices.md "GPIO line numbering"';

export function listGpioChips(root = DEFAULT_SYSFS_GPIO): GpioChipInfo[] {
  if (!existsSync(root)) {
    throw new DeviceError('GPIO_UNAVAILABLE', `sysfs GPIO is absent: ${root} does not exist; ${REMEDY}`, { details: { root } });
  }
  const chips: GpioChipInfo[] = [];
  for (const chip of readdirSync(root).filter((n) => /^gpiochip\d+$/.test(n))) {
    const read = (f: string): string => readFileSync(join(root, chip, f), 'utf8').trim();
    const base = Number(read('base'));
    const ngpio = Number(read('ngpio'));
    if (!Number.isInteger(base) || !Number.isInteger(ngpio)) {
      throw new DeviceError('GPIO_UNAVAILABLE', `${join(root, chip)}: base "${read('base')}" / ngpio "${read('ngpio')}" are not numbers`, {
        details: { root, chip },
      });
    }
    chips.push({ chip, base, ngpio, label: read('label') });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip driving the header: the first whose label matches HEADER_CHIP_LABELS, or the one
 * whose label equals `label` when the profile names it (other single-board computers).
 */
export function headerChip(root = DEFAULT_SYSFS_GPIO, label?: string): GpioChipInfo {
  const chips = listGpioChips(root);
  const found = label
    ? chips.find((c) => c.label === label)
    : HEADER_CHIP_LABELS.map((re) => chips.find((c) => re.test(c.label))).find((c) => c !== undefined);
  if (!found) {
    const seen = chips.map((c) => `${c.chip} "${c.label}" (${c.ngpio} lines)`).join(', ') || 'no gpiochip';
    const want = label ? `a chip labelled "${label}"` : 'a Raspberry Pi header chip (pinctrl-bcm2835/2711/2712, pinctrl-rp1)';
    throw new DeviceError('GPIO_UNAVAILABLE', `${root}: found ${seen}, not ${want}; set buses.gpio[].chip to the label of the chip that drives your header`, {
      details: { root, chips: chips.map((c) => c.label) },
    });
  }
  return found;
}

/** Global sysfs number of header line `bcm`: GPIO17 on a 6.6 kernel Pi 4 (base 512) → 529. */
export function sysfsNumber(bcm: number, chip: GpioChipInfo): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) {
    throw new DeviceError('GPIO_UNAVAILABLE', `GPIO${bcm} is not a line of ${chip.chip} "${chip.label}" (0..${chip.ngpio - 1})`, {
      details: { bcm, chip: chip.chip },
    });
  }
  return chip.base + bcm;
}

/** True when the kernel offers /sys/class/gpio/export (a chip list alone is not enough to open lines). */
export function sysfsExportable(root = DEFAULT_SYSFS_GPIO): boolean {
  return existsSync(join(root, 'export'));
}

export { REMEDY as GPIO_SYSFS_REMEDY };
