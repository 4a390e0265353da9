// Libraries that ship no type declarations. Each is wrapped in one small file that states the
// part of its API we rely on (see drivers/bus/i2c-real.ts), so `unknown` here is deliberate.
declare module 'i2c-bus' {
  const mod: { openPromisified(busNumber: number): Promise<unknown> };
  export default mod;
}

declare module 'unix-dgram' {
  export interface UnixDgramSocket {
    on(event: 'message', fn: (buf: Buffer, rinfo: { size: number; path?: string }) => void): void;
    on(event: 'error' | 'listening' | 'connect' | 'writable' | 'congestion', fn: (arg?: unknown) => void): void;
    bind(path: string): void;
    send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
    close(): void;
  }
  const mod: { createSocket(type: 'unix_dgram', listener?: (buf: Buffer) => void): UnixDgramSocket };
  export default mod;
}
