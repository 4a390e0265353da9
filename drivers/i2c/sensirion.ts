/**
 * Sensirion I²C framing shared by the SHT3x and the SCD4x: 16-bit big-endian commands, and data
 * in 16-bit words each followed by a CRC-8 byte (SHT3x datasheet 4.12, SCD4x datasheet 3.11).
 */
import { DeviceError } from '../errors.js';

/**
 * CRC-8, polynomial 0x31 (x⁸ + x⁵ + x⁴ + 1), init 0xFF, no reflection, no final XOR.
 * Datasheet vector: crc8([0xBE, 0xEF]) = 0x92.
 */
export function sensirionCrc8(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
  let crc = 0xff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] as number;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** A 16-bit command as it goes on the wire, MSB first: 0x2400 → [0x24, 0x00]. */
export function commandBytes(command: number): Uint8Array {
  return Uint8Array.of((command >> 8) & 0xff, command & 0xff);
}

/** Words → wire bytes, each word followed by its CRC: 0xBEEF → [0xBE, 0xEF, 0x92]. */
export function packWords(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 3);
  words.forEach((w, i) => {
    out[3 * i] = (w >> 8) & 0xff;
    out[3 * i + 1] = w & 0xff;
    out[3 * i + 2] = sensirionCrc8(out, 3 * i, 3 * i + 2);
  });
  return out;
}

/** A command followed by argument words with their CRCs (SCD4x set_* commands). */
export function commandWithArgs(command: number, words: readonly number[]): Uint8Array {
  const out = new Uint8Array(2 + 3 * words.length);
  out.set(commandBytes(command), 0);
  out.set(packWords(words), 2);
  return out;
}

/**
 * Wire bytes → words, verifying every CRC. `where` names the device in the error
 * ("i2c1 0x44 measurement"); a mismatch is CRC_MISMATCH, retryable (noise on the wire).
 */
export function unpackWords(bytes: Uint8Array, where: string): number[] {
  if (bytes.length % 3 !== 0) {
    throw new DeviceError('BAD_RESPONSE', `${where}: ${bytes.length} bytes is not whole words with CRC`, { retryable: true });
  }
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const crc = sensirionCrc8(bytes, i, i + 2);
    const got = bytes[i + 2] as number;
    if (crc !== got) {
      throw new DeviceError('CRC_MISMATCH', `${where}: CRC of word ${i / 3} is 0x${got.toString(16).padStart(2, '0')}, expected 0x${crc.toString(16).padStart(2, '0')}`, {
        retryable: true,
        details: { bytes: Array.from(bytes), word: i / 3 },
      });
    }
    words.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  }
  return words;
}

/**
 * Simulator fault hook shared by the Sensirion simulators: `corruptNext(n)` makes the next n
 * responses arrive with the CRC of their first word inverted, as a flipped bit on a long cable.
 */
export class CrcFault {
  private remaining = 0;

  corruptNext(times = 1): void {
    this.remaining += times;
  }

  apply(bytes: Uint8Array): Uint8Array {
    if (this.remaining > 0 && bytes.length >= 3) {
      this.remaining--;
      bytes[2] = (bytes[2] as number) ^ 0xff;
    }
    return bytes;
  }
}

/**
 * Sensirion's temperature and humidity formulas (SHT3x datasheet 4.13, SCD4x datasheet 3.6.2):
 * T = −45 + 175 · S / (2¹⁶ − 1) °C, RH = 100 · S / (2¹⁶ − 1) %. Example: S = 0x6667 → 25.0 °C.
 */
export function sensirionTemperature(raw: number): number {
  return -45 + (175 * raw) / 65535;
}

export function sensirionHumidity(raw: number): number {
  return (100 * raw) / 65535;
}
