import { describe, expect, it } from 'vitest';
import { RealI2cBus, translateI2cError } from '../../../drivers/bus/i2c-real.js';
import { DeviceError } from '../../../drivers/errors.js';
import { errnoError, standInI2c } from '../../helpers/i2c-stand-in.js';

describe('RealI2cBus: argument mapping onto i2c-bus’s promisified API', () => {
  it('write, read, register read and register write map to i2cWrite, i2cRead, readI2cBlock, writeI2cBlock', async () => {
    const s = standInI2c({ answering: [0x44, 0x76], registers: { 0x76: { 0xd0: [0x60] } } });
    const bus = new RealI2cBus('i2c1', s.api);
    await bus.write(0x44, Uint8Array.of(0x24, 0x00));
    expect(await bus.read(0x44, 6)).toEqual(new Uint8Array(6).fill(0xa5));
    expect(await bus.readRegister(0x76, 0xd0, 1)).toEqual(Uint8Array.of(0x60));
    await bus.writeRegister(0x76, 0xf4, Uint8Array.of(0x27));
    expect(s.calls).toEqual([
      { method: 'i2cWrite', args: [0x44, 2, Buffer.from([0x24, 0x00])] },
      { method: 'i2cRead', args: [0x44, 6, 6] },
      { method: 'readI2cBlock', args: [0x76, 0xd0, 1, 1] },
      { method: 'writeI2cBlock', args: [0x76, 0xf4, 1, Buffer.from([0x27])] },
    ]);
  });

  it('probe scans exactly one address; check asks the adapter for its functions; close closes', async () => {
    const s = standInI2c({ answering: [0x23] });
    const bus = new RealI2cBus('i2c1', s.api);
    expect(await bus.probe(0x23)).toBe(true);
    expect(await bus.probe(0x24)).toBe(false);
    await bus.check();
    await bus.close();
    expect(s.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['scan', 0x23, 0x23],
      ['scan', 0x24, 0x24],
      ['i2cFuncs'],
      ['close'],
    ]);
    expect(s.closed).toBe(true);
  });

  it('a missing /dev/i2c-N scans empty in i2c-bus, so check() is what reports it', async () => {
    const s = standInI2c({ missing: true });
    const bus = new RealI2cBus('i2c1', s.api);
    expect(await bus.probe(0x76)).toBe(false);
    await expect(bus.check()).rejects.toMatchObject({ code: 'I2C_BUS_MISSING', retryable: false, message: expect.stringContaining('i2c1: open failed (ENOENT)') });
  });
});

describe('RealI2cBus: errno translation', () => {
  const cases: [string, string, boolean][] = [
    ['ENXIO', 'I2C_NACK', true],
    ['EREMOTEIO', 'I2C_BUS_ERROR', true],
    ['EIO', 'I2C_BUS_ERROR', true],
    ['EAGAIN', 'I2C_BUS_ERROR', true],
    ['ETIMEDOUT', 'DEVICE_TIMEOUT', true],
    ['ENOENT', 'I2C_BUS_MISSING', false],
    ['EBUSY', 'I2C_BUS_ERROR', true],
  ];
  it.each(cases)('%s → %s (retryable %s), naming bus, address and operation', async (errno, code, retryable) => {
    const s = standInI2c({ answering: [0x76] });
    const bus = new RealI2cBus('i2c1', s.api);
    s.failNext('readI2cBlock', errnoError(errno, 'from the kernel'));
    const err = await bus.readRegister(0x76, 0xf7, 8).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ code, retryable, details: { bus: 'i2c1', address: 0x76, op: 'read register 0xf7', errno } });
    expect((err as DeviceError).message).toMatch(new RegExp(`^i2c1 0x76: read register 0xf7 failed \\(${errno}\\)`));
    expect((err as DeviceError).cause).toBeInstanceOf(Error);
  });

  it('EREMOTEIO from an address that no longer answers a probe is I2C_NACK (how a Raspberry Pi reports a NACK)', async () => {
    const s = standInI2c({ answering: [] });
    const bus = new RealI2cBus('i2c1', s.api);
    s.failNext('i2cWrite', errnoError('EREMOTEIO', 'Remote I/O error'));
    const err = await bus.write(0x44, Uint8Array.of(0x24, 0x00)).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'I2C_NACK', retryable: true, details: { errno: 'EREMOTEIO', probed: false } });
    expect((err as Error).message).toBe('i2c1 0x44: write failed (EREMOTEIO): EREMOTEIO, Remote I/O error; 0x44 does not answer a probe (no acknowledge)');
    expect(s.calls.map((c) => [c.method, ...c.args.slice(0, 2)])).toEqual([['i2cWrite', 0x44, 2], ['scan', 0x44, 0x44]]);
  });

  it('an unplugged part (ENXIO) on write is I2C_NACK', async () => {
    const s = standInI2c({ answering: [] });
    const bus = new RealI2cBus('i2c1', s.api);
    await expect(bus.write(0x44, Uint8Array.of(0xf3, 0x2d))).rejects.toMatchObject({ code: 'I2C_NACK', details: { errno: 'ENXIO', op: 'write' } });
  });

  it('a short transfer is a retryable I2C_BUS_ERROR with the byte counts', async () => {
    const s = standInI2c({ answering: [0x62] });
    const bus = new RealI2cBus('i2c1', s.api);
    s.shortNext(3);
    await expect(bus.read(0x62, 9)).rejects.toMatchObject({ code: 'I2C_BUS_ERROR', retryable: true, details: { got: 3, want: 9 } });
    s.shortNext(0);
    await expect(bus.readRegister(0x62, 0x00, 2)).rejects.toMatchObject({ code: 'I2C_BUS_ERROR', details: { got: 0, want: 2 } });
  });

  it('something thrown without an errno still becomes a DeviceError', () => {
    const e = translateI2cError('weird', 'i2c0', 'scan');
    expect(e).toMatchObject({ code: 'I2C_BUS_ERROR', message: 'i2c0: scan failed (error): weird' });
  });
});
