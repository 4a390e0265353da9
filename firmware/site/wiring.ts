import type { DeviceConfig } from '../../config/schema.js';
import { hex } from '../../drivers/bus/i2c.js';
import { devicePart } from '../../drivers/parts.js';

/** Raspberry Pi 40-pin header: BCM line → physical pin (docs/devices.md, "GPIO line numbering"). */
const HEADER_PIN: Readonly<Record<number, number>> = {
  2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19, 11: 23, 12: 32, 13: 33, 14: 8, 15: 10,
  16: 36, 17: 11, 18: 12, 19: 35, 20: 38, 21: 40, 22: 15, 23: 16, 24: 18, 25: 22, 26: 37, 27: 13,
};

export interface WiringHint {
  /** the part as the driver names it: "Bosch BME280 temperature / humidity / pressure" */
  readonly part: string;
  /** where it sits: "i2c1 0x76", "/dev/serial/by-id/… 9600 Bd", "header GPIO5 (pin 29)" */
  readonly where: string;
  /** how it is wired, from the bus kind */
  readonly wires: string;
}

/**
 * The wiring hint of one profile entry, from the driver's own metadata (bus kind, title,
 * address, port, line) rather than from the Markdown in docs/devices.md.
 */
export function wiringHint(d: DeviceConfig): WiringHint {
  const def = devicePart(d.type);
  const part = def?.title ?? d.type;
  const o = d as Record<string, unknown>;
  switch (def?.bus) {
    case 'i2c': {
      const addr = def.i2c ? hex(def.i2c.address(d as never)) : '?';
      return { part, where: `${String(o.bus)} ${addr}`, wires: 'VCC 3.3 V (pin 1) · GND (pin 6) · SDA GPIO2 (pin 3) · SCL GPIO3 (pin 5)' };
    }
    case 'serial': {
      const baud = typeof o.baud === 'number' ? ` ${o.baud} Bd` : def.serial ? ` ${def.serial.probe.baud} Bd` : '';
      return { part, where: `${String(o.port)}${baud}${o.simulated ? ' (simulated)' : ''}`, wires: 'sensor TX → adapter RX, sensor RX → adapter TX, common GND; supply as the part needs' };
    }
    case 'gpio': {
      const line = typeof o.line === 'number' ? o.line : undefined;
      const pin = line !== undefined ? HEADER_PIN[line] : undefined;
      return { part, where: `${String(o.bus)} GPIO${line ?? '?'}${pin ? ` (pin ${pin})` : ''}`, wires: d.type === 'gpio-input' ? 'contact between the line and GND (pin 6); internal pull-up' : 'line drives the relay/transistor input; GND shared' };
    }
    case 'firmata':
      return { part, where: `${String(o.path)}${o.simulated ? ' (simulated)' : ''}`, wires: 'USB cable to the board running StandardFirmata' };
    default:
      return { part, where: 'on the box', wires: '' };
  }
}
