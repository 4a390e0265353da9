import type { FrameFormat } from '../../bus/serial-frames.js';
import { READ_CO2, START, checksum } from './parser.js';

/** Host commands (datasheet "commands"): FF 01 cmd b3…b7 checksum. */
export const CMD = {
  READ: READ_CO2, // answered with the concentration
  ZERO: 0x87, // zero-point calibration: only after 20 min in 400 ppm fresh air
  SPAN: 0x88, // span calibration at b3 b4 ppm (after a zero calibration)
  ABC: 0x79, // automatic baseline correction: b3 = 0xA0 on, 0x00 off (factory: on)
  RANGE: 0x99, // detection range b6 b7 ppm: 2000, 5000 or 10000
} as const;

export function command(cmd: number, b3 = 0, b4 = 0, b6 = 0, b7 = 0): Uint8Array {
  const f = Uint8Array.of(START, 0x01, cmd, b3, b4, 0, b6, b7, 0);
  f[8] = checksum(f);
  return f;
}

export const READ = command(CMD.READ); // FF 01 86 00 00 00 00 00 79
export const ZERO_POINT = command(CMD.ZERO); // FF 01 87 00 00 00 00 00 78
export const ABC_ON = command(CMD.ABC, 0xa0); // FF 01 79 A0 00 00 00 00 E6
export const ABC_OFF = command(CMD.ABC, 0x00); // FF 01 79 00 00 00 00 00 86
export function range(ppm: 2000 | 5000 | 10000): Uint8Array {
  return command(CMD.RANGE, 0, 0, ppm >> 8, ppm & 0xff); // 5000 → FF 01 99 00 00 00 13 88 CB
}

/** Host commands as the part (and its simulator) parses them. */
export const mhzCommand: FrameFormat = {
  name: 'MH-Z19B command',
  headers: [[START, 0x01]],
  maxLength: 9,
  length: () => 9,
  verify: (f) => checksum(f) === f[8],
};
