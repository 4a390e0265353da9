import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../drivers/bus/clock.js';
import { RealI2cBus } from '../../drivers/bus/i2c-real.js';
import { SCAN_FIRST, SCAN_LAST } from '../../drivers/bus/i2c.js';
import { Bme280Simulator } from '../../drivers/i2c/bme280/simulator.js';
import { Bh1750Simulator } from '../../drivers/i2c/bh1750/simulator.js';
import { Scd4xSimulator } from '../../drivers/i2c/scd4x/simulator.js';
import { SimulatedI2cBus } from '../../drivers/sim/i2c-bus.js';
import { I2cSimDevice, type SampleRange } from '../../drivers/sim/i2c-target.js';
import { scanI2cBus } from '../../firmware/diagnostics/i2c-scan.js';
import { runScanI2c } from '../../tools/commands/scan.js';
import { standInI2c } from '../helpers/i2c-stand-in.js';
import { tempDir } from '../helpers/scratch.js';

/** A PCF8574 LCD backpack at 0x27: an 8-bit port, no registers; edgefw has no driver for it. */
class Pcf8574Sim extends I2cSimDevice {
  readonly part = 'PCF8574';
  readonly channels: readonly string[] = [];
  private port = 0xff;
  onWrite(data: Uint8Array): void {
    this.port = data[data.length - 1] ?? this.port;
  }
  onRead(length: number): Uint8Array {
    return new Uint8Array(length).fill(this.port);
  }
  protected applyChannel(): void {}
  sampleRange(): SampleRange {
    return { min: 0, max: 0, tolerance: 0 };
  }
}

const PROFILE = `
box: { id: scan-test }
buses:
  i2c:
    - { name: i2c1, simulated: true }
    - { name: side, simulated: true }
devices:
  - { id: env, type: bme280, bus: i2c1, address: 0x76 }
  - { id: climate, type: sht3x, bus: i2c1, address: 0x44 }
  - { id: light, type: bh1750, bus: i2c1, address: 0x23 }
  - { id: supply, type: ina219, bus: side, address: 0x41 }
`;

function profileFile(text = PROFILE): string {
  const dir = tempDir('scan');
  const file = join(dir, 'box.yaml');
  writeFileSync(file, text);
  return file;
}

describe('scanI2cBus', () => {
  it('names found parts by chip id, marks a missing expected part and an unexpected one', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('i2c1');
    bus.attach(0x76, new Bme280Simulator(clock));
    bus.attach(0x23, new Bh1750Simulator(clock));
    bus.attach(0x62, new Scd4xSimulator(clock));
    bus.attach(0x27, new Pcf8574Sim(clock));
    const bmp = new Bme280Simulator(clock, 'bmp280');
    bus.attach(0x77, bmp);
    const r = await scanI2cBus(bus, [
      { id: 'env', type: 'bme280', address: 0x76 },
      { id: 'climate', type: 'sht3x', address: 0x44 },
      { id: 'light', type: 'bh1750', address: 0x23 },
      { id: 'outdoor', type: 'bme280', address: 0x77 },
    ]);
    expect(r.answering).toEqual([0x23, 0x27, 0x62, 0x76, 0x77]);
    expect(r.entries.map((e) => e.line)).toEqual([
      '0x23 BH1750 "light" expected — found (the part has no chip id to check)',
      '0x27 unexpected',
      '0x44 SHT3x "climate" expected — MISSING',
      '0x62 unexpected — likely SCD4x (by address)',
      '0x76 BME280 "env" expected — found, BME280 (chip id 0x60) ok',
      '0x77 BME280 "outdoor" expected — found, but it does not identify as BME280; it looks like BMP280 (chip id 0x58)',
    ]);
    expect(r).toMatchObject({ expected: 4, missing: 1, wrongPart: 1, unexpected: 2, ok: false });
    expect(bmp.violations).toEqual([]);
  });

  it('probes only 0x08–0x77: the reserved addresses are never touched', async () => {
    const touched: number[] = [];
    const bus = new SimulatedI2cBus('b');
    const probe = bus.probe.bind(bus);
    bus.probe = async (a: number): Promise<boolean> => {
      touched.push(a);
      return probe(a);
    };
    await scanI2cBus(bus);
    expect(touched[0]).toBe(SCAN_FIRST);
    expect(touched[touched.length - 1]).toBe(SCAN_LAST);
    expect(touched).toHaveLength(0x77 - 0x08 + 1);
  });

  it('a missing adapter is I2C_BUS_MISSING, not an empty bus', async () => {
    const bus = new SimulatedI2cBus('b');
    bus.missing = true;
    await expect(scanI2cBus(bus)).rejects.toMatchObject({ code: 'I2C_BUS_MISSING' });
  });
});

describe('edgefw scan i2c (command module)', () => {
  it('on the simulated buses of a profile: one part missing, one unexpected → exit 1', async () => {
    const file = profileFile();
    const r = await runScanI2c({ profile: file, bus: 'i2c1' }, {
      prepareSimulatedBus: (bus) => {
        bus.detach(0x44); // the SHT3x cable is off
        bus.attach(0x27, new Pcf8574Sim(new ManualClock())); // someone fitted an LCD backpack
      },
    });
    expect(r.exitCode).toBe(1);
    expect(r.output.split('\n')).toEqual([
      'i2c1 (simulated): 3 addresses answering (probed 0x08–0x77)',
      '  0x23 BH1750 "light" expected — found (the part has no chip id to check)',
      '  0x27 unexpected',
      '  0x44 SHT3x "climate" expected — MISSING',
      '  0x76 BME280 "env" expected — found, BME280 (chip id 0x60) ok',
      '  2 of 3 expected parts found, 1 MISSING, 1 unexpected',
    ]);
  });

  it('every bus of the profile, all parts present → exit 0; --json gives the reports', async () => {
    const r = await runScanI2c({ profile: profileFile(), json: true });
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.output) as { ok: boolean; errors: unknown[]; reports: { bus: string; ok: boolean; entries: { status: string; identified?: string }[] }[] };
    expect(json).toMatchObject({ ok: true, errors: [] });
    const reports = json.reports;
    expect(reports.map((x) => [x.bus, x.ok])).toEqual([['i2c1', true], ['side', true]]);
    expect(reports[0]?.entries.map((e) => e.status)).toEqual(['found', 'ok', 'ok']);
    expect(reports[0]?.entries[1]?.identified).toBe('SHT3x (status 0x8010)');
    expect(reports[1]?.entries[0]?.identified).toBe('INA219 (config 0x399f)');
  });

  it('usage and profile errors exit 2 with a message naming what is wrong', async () => {
    const unknownBus = await runScanI2c({ profile: profileFile(), bus: 'i2c9' });
    expect(unknownBus).toMatchObject({ exitCode: 2, output: expect.stringContaining('no I²C bus "i2c9" in buses.i2c (i2c1 (simulated), side (simulated))') });
    const bad = await runScanI2c({ profile: profileFile(PROFILE.replace('address: 0x44', 'address: 0x46')) });
    expect(bad).toMatchObject({ exitCode: 2, output: expect.stringContaining('devices[1].address: 0x46 is not a SHT3x address (0x44, 0x45)') });
    expect(await runScanI2c({ bus: 'x' })).toMatchObject({ exitCode: 2 });
  });

  it('on a real bus through i2c-bus: answers named by address and chip id', async () => {
    const standIn = standInI2c({ answering: [0x40, 0x76], registers: { 0x76: { 0xd0: [0x60] }, 0x40: { 0x00: [0x39, 0x9f], 0x05: [0x00, 0x00] } } });
    const r = await runScanI2c({ bus: '3' }, { openRealBus: async (name) => new RealI2cBus(name, standIn.api) });
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain('/dev/i2c-3: 2 addresses answering');
    expect(r.output).toContain('0x40 unexpected — INA219 (config 0x399f)');
    expect(r.output).toContain('0x76 unexpected — BME280 (chip id 0x60)');
    expect(standIn.closed).toBe(true);
  });

  it('a real bus that does not exist exits 1 with the remedy from the fault catalogue', async () => {
    const standIn = standInI2c({ missing: true });
    const r = await runScanI2c({ bus: '1' }, { openRealBus: async (name) => new RealI2cBus(name, standIn.api) });
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain('I2C_BUS_MISSING');
    expect(r.output).toContain('raspi-config');
    const json = await runScanI2c({ bus: '1', json: true }, { openRealBus: async (name) => new RealI2cBus(name, standInI2c({ missing: true }).api) });
    expect(JSON.parse(json.output)).toMatchObject({ ok: false, reports: [], errors: [{ bus: 'i2c-1', code: 'I2C_BUS_MISSING', remedy: expect.stringContaining('raspi-config') }] });
  });
});

describe('expected part names from the profile', () => {
  it('a BME280 entry with variant bmp280 expects a BMP280, and a BME280 there is the wrong part', async () => {
    const text = `
box: { id: scan-variant }
buses: { i2c: [{ name: i2c1, simulated: true }] }
devices:
  - { id: baro, type: bme280, bus: i2c1, address: 0x77, variant: bmp280 }
`;
    const ok = await runScanI2c({ profile: profileFile(text) });
    expect(ok.output).toContain('0x77 BMP280 "baro" expected — found, BMP280 (chip id 0x58) ok');
    const swapped = await runScanI2c({ profile: profileFile(text) }, {
      prepareSimulatedBus: (bus) => (bus.device(0x77) as Bme280Simulator).setChipId(0x60),
    });
    expect(swapped.exitCode).toBe(1);
    expect(swapped.output).toContain('0x77 BMP280 "baro" expected — found, but it does not identify as BMP280; it looks like BME280 (chip id 0x60)');
  });
});
