import type { PromisifiedI2c } from '../../drivers/bus/i2c-real.js';

/** An errno error as i2c-bus rejects with (the kernel's i2c-dev errors). */
export function errnoError(code: string, message = code): Error & { code: string; errno: number } {
  const errnos: Record<string, number> = { ENXIO: -6, EREMOTEIO: -121, EIO: -5, ENOENT: -2, ETIMEDOUT: -110, EAGAIN: -11 };
  return Object.assign(new Error(`${code}, ${message}`), { code, errno: errnos[code] ?? -1 });
}

export interface StandInOptions {
  /** addresses that acknowledge */
  readonly answering?: readonly number[];
  /** register contents per address, for readI2cBlock */
  readonly registers?: Readonly<Record<number, Readonly<Record<number, readonly number[]>>>>;
  /** /dev/i2c-N absent: every call rejects ENOENT, scan resolves [] (as i2c-bus does) */
  readonly missing?: boolean;
}

export interface StandIn {
  readonly api: PromisifiedI2c;
  readonly calls: { method: string; args: unknown[] }[];
  /** the next call of `method` rejects with this error */
  failNext(method: keyof PromisifiedI2c, error: Error): void;
  /** bytesRead/bytesWritten the next transfer reports (a short transfer) */
  shortNext(bytes: number): void;
  readonly closed: boolean;
}

/**
 * A stand-in with i2c-bus's promisified API (the methods drivers/bus/i2c-real.ts calls), recording
 * every call with its arguments so a test can check the adapter's argument mapping.
 */
export function standInI2c(options: StandInOptions = {}): StandIn {
  const calls: { method: string; args: unknown[] }[] = [];
  const failures = new Map<string, Error>();
  let short: number | undefined;
  let closed = false;
  const answering = new Set(options.answering ?? []);
  const enoent = (): Error => errnoError('ENOENT', "no such file or directory, open '/dev/i2c-1'");
  const enter = (method: string, args: unknown[], address?: number): void => {
    calls.push({ method, args });
    const f = failures.get(method);
    if (f) {
      failures.delete(method);
      throw f;
    }
    if (options.missing) throw enoent();
    if (address !== undefined && !answering.has(address)) throw errnoError('ENXIO', 'No such device or address');
  };
  const take = (length: number): number => {
    const n = short ?? length;
    short = undefined;
    return n;
  };
  const api: PromisifiedI2c = {
    async i2cWrite(address, length, buffer) {
      enter('i2cWrite', [address, length, Buffer.from(buffer)], address);
      return { bytesWritten: take(length) };
    },
    async i2cRead(address, length, buffer) {
      enter('i2cRead', [address, length, buffer.length], address);
      buffer.fill(0xa5, 0, length);
      return { bytesRead: take(length), buffer };
    },
    async readI2cBlock(address, command, length, buffer) {
      enter('readI2cBlock', [address, command, length, buffer.length], address);
      const regs = options.registers?.[address] ?? {};
      for (let i = 0; i < length; i++) buffer[i] = regs[command]?.[i] ?? 0;
      return { bytesRead: take(length), buffer };
    },
    async writeI2cBlock(address, command, length, buffer) {
      enter('writeI2cBlock', [address, command, length, Buffer.from(buffer)], address);
      return { bytesWritten: take(length) };
    },
    async scan(first, last) {
      calls.push({ method: 'scan', args: [first, last] });
      const f = failures.get('scan');
      if (f) {
        failures.delete('scan');
        throw f;
      }
      if (options.missing) return []; // i2c-bus: a missing bus scans empty
      return [...answering].filter((a) => a >= first && a <= last).sort((x, y) => x - y);
    },
    async i2cFuncs() {
      enter('i2cFuncs', []);
      return { i2c: true, smbusQuick: true };
    },
    async close() {
      calls.push({ method: 'close', args: [] });
      closed = true;
    },
  };
  return {
    api,
    calls,
    failNext: (method, error) => failures.set(method, error),
    shortNext: (bytes) => {
      short = bytes;
    },
    get closed() {
      return closed;
    },
  };
}
