import { byteSum, type FrameFormat } from '../../bus/serial-frames.js';

/**
 * Winsen MH-Z19B frames (datasheet V1.0 "communication protocol"): 9 bytes both ways,
 *
 *   FF  x  b2 b3 b4 b5 b6 b7  checksum
 *
 * checksum = (~(b1 + … + b7) + 1) & 0xFF, the two's complement of the sum of bytes 1…7.
 * Worked example (read CO₂ request): 0x01 + 0x86 = 0x87; ~0x87 = 0x78; +1 = 0x79 →
 * FF 01 86 00 00 00 00 00 79. The answer to 0x86 is FF 86 HIGH LOW … checksum with
 * CO₂ = HIGH × 256 + LOW ppm; datasheet example FF 86 02 60 47 00 00 00 D1 → 0x0260 = 608 ppm.
 * (Byte 4 is an undocumented temperature + 40 °C; not used.)
 */
export const START = 0xff;
export const READ_CO2 = 0x86;

export function checksum(f: Uint8Array): number {
  return (~byteSum(f, 1, 8) + 1) & 0xff;
}

/** Answers the part sends: only the read command has a documented answer. */
export const mhzFrame: FrameFormat = {
  name: 'MH-Z19B',
  headers: [[START, READ_CO2]],
  maxLength: 9,
  length: () => 9,
  verify: (f) => checksum(f) === f[8],
};

/** CO₂ in ppm from a verified answer to READ_CO2. */
export function decodeCo2(f: Uint8Array): number {
  return ((f[2] as number) << 8) | (f[3] as number);
}

/** The part's answer (simulator side and test vectors). */
export function encodeCo2(ppm: number, temperatureC = 25): Uint8Array {
  const v = Math.max(0, Math.min(0xffff, Math.round(ppm)));
  const f = Uint8Array.of(START, READ_CO2, v >> 8, v & 0xff, Math.round(temperatureC + 40) & 0xff, 0, 0, 0, 0);
  f[8] = checksum(f);
  return f;
}
