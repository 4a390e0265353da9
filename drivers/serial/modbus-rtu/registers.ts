/**
 * Register decoding, the way Telegraf's modbus input describes it: a value spans one (16-bit)
 * or two (32-bit) registers, and `order` names where the bytes A (most significant) … D went.
 * - ABCD: big-endian, high word first (the Modbus default; most meters)
 * - CDAB: low word first ("word swap": Schneider, many Chinese DIN-rail meters)
 * - BADC: bytes swapped within each word
 * - DCBA: little-endian
 * For 16-bit types only the byte order within the word matters (AB or BA).
 * Worked example: float32 230.5 V is 0x43668000; ABCD registers [0x4366, 0x8000],
 * CDAB registers [0x8000, 0x4366].
 */
export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export function registerCount(type: RegisterType): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

const swap16 = (w: number): number => ((w & 0xff) << 8) | ((w >> 8) & 0xff);

/** Raw value from the registers as received (each a uint16 from the wire, big-endian per word). */
export function decodeRegisters(words: readonly number[], type: RegisterType, order: ByteOrder): number {
  const byteSwap = order === 'BADC' || order === 'DCBA';
  const wordSwap = order === 'CDAB' || order === 'DCBA';
  const w0 = words[0] ?? 0;
  if (registerCount(type) === 1) {
    const v = byteSwap ? swap16(w0) : w0;
    return type === 'int16' ? (v << 16) >> 16 : v;
  }
  let hi = words[0] ?? 0;
  let lo = words[1] ?? 0;
  if (wordSwap) [hi, lo] = [lo, hi];
  if (byteSwap) {
    hi = swap16(hi);
    lo = swap16(lo);
  }
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint16(0, hi);
  buf.setUint16(2, lo);
  if (type === 'float32') return buf.getFloat32(0);
  return type === 'int32' ? buf.getInt32(0) : buf.getUint32(0);
}

/** The inverse, for the simulated slave: registers as they go on the wire. */
export function encodeRegisters(value: number, type: RegisterType, order: ByteOrder): number[] {
  const byteSwap = order === 'BADC' || order === 'DCBA';
  const wordSwap = order === 'CDAB' || order === 'DCBA';
  if (registerCount(type) === 1) {
    const v = Math.round(value) & 0xffff;
    return [byteSwap ? swap16(v) : v];
  }
  const buf = new DataView(new ArrayBuffer(4));
  if (type === 'float32') buf.setFloat32(0, value);
  else if (type === 'int32') buf.setInt32(0, Math.round(value));
  else buf.setUint32(0, Math.round(value) >>> 0);
  let hi = buf.getUint16(0);
  let lo = buf.getUint16(2);
  if (byteSwap) {
    hi = swap16(hi);
    lo = swap16(lo);
  }
  return wordSwap ? [lo, hi] : [hi, lo];
}

/** The range a type can hold (before scale). */
export function typeRange(type: RegisterType): { min: number; max: number } {
  switch (type) {
    case 'int16':
      return { min: -32768, max: 32767 };
    case 'uint16':
      return { min: 0, max: 65535 };
    case 'int32':
      return { min: -2147483648, max: 2147483647 };
    case 'uint32':
      return { min: 0, max: 4294967295 };
    default:
      return { min: -3.4e38, max: 3.4e38 };
  }
}
