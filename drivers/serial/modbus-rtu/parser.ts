import type { FrameFormat } from '../../bus/serial-frames.js';

/**
 * Modbus RTU framing (Modbus over Serial Line V1.02 §2.5, Application Protocol V1.1b3 §6.3/6.4):
 *
 *   unit  function  data…  CRC-16 (low byte first)
 *
 * CRC-16/MODBUS: init 0xFFFF, reflected polynomial 0xA001, no final XOR, sent low byte first.
 * Worked example (serial-line spec §6.2.2 style): request "unit 1, read 1 holding register at
 * 0" = 01 03 00 00 00 01 → CRC 0x0A84 → 01 03 00 00 00 01 84 0A.
 *
 * Responses to a read (function 3 or 4): unit, function, byte count n, n data bytes, CRC (5 + n
 * bytes). Exception responses: unit, function | 0x80, exception code, CRC (5 bytes).
 */
export function crc16(b: Uint8Array, from = 0, to = b.length): number {
  let crc = 0xffff;
  for (let i = from; i < to; i++) {
    crc ^= b[i] as number;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Append the CRC (low byte first). */
export function withCrc(body: readonly number[] | Uint8Array): Uint8Array {
  const f = new Uint8Array(body.length + 2);
  f.set(body, 0);
  const c = crc16(f, 0, body.length);
  f[body.length] = c & 0xff;
  f[body.length + 1] = c >> 8;
  return f;
}

function crcOk(f: Uint8Array): boolean {
  const n = f.length;
  return n >= 4 && crc16(f, 0, n - 2) === ((f[n - 2] as number) | ((f[n - 1] as number) << 8));
}

/** Exception codes (Application Protocol §7). */
export const EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge (processing, poll later)',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** Read responses (function 3/4) and their exceptions from one unit: what a master receives. */
export function modbusResponse(unit: number): FrameFormat {
  return {
    name: 'Modbus RTU',
    headers: [
      [unit, 3],
      [unit, 4],
      [unit, 0x83],
      [unit, 0x84],
    ],
    maxLength: 255,
    length(b) {
      if (b.length < 3) return 0;
      if (((b[1] as number) & 0x80) !== 0) return 5;
      const n = b[2] as number;
      // a register read returns 2 bytes per register, at most 125 registers (250 bytes)
      return n === 0 || n % 2 !== 0 || n > 250 ? -1 : 5 + n;
    },
    verify: crcOk,
  };
}

/** Read requests (function 3/4, 8 bytes) to any unit: what a slave, and the probe, receive. */
export const modbusReadRequest: FrameFormat = {
  name: 'Modbus RTU request',
  headers: Array.from({ length: 247 }, (_, i) => [i + 1]),
  maxLength: 8,
  length: (b) => (b.length < 2 ? 0 : b[1] === 3 || b[1] === 4 ? 8 : -1),
  verify: crcOk,
};

/** A read request: unit, function, start address, register count, CRC. */
export function readRequest(unit: number, fn: 3 | 4, address: number, count: number): Uint8Array {
  return withCrc([unit, fn, address >> 8, address & 0xff, count >> 8, count & 0xff]);
}
