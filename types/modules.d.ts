// Libraries that ship no type declarations. Each is wrapped in one small file that states the
// part of its API we rely on (see drivers/bus/i2c-real.ts), so `unknown` here is deliberate.
declare module 'i2c-bus' {
  const mod: { openPromisified(busNumber: number): Promise<unknown> };
  export default mod;
}
