import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { ManualClock } from '../../drivers/bus/clock.js';
import { Bme280Simulator } from '../../drivers/i2c/bme280/simulator.js';
import { SimulatedI2cBus } from '../../drivers/sim/i2c-bus.js';
import type { OpenBuses } from '../../firmware/buses.js';
import type { DeviceStatus } from '../../firmware/device/running-device.js';
import { busChecks, faultChecks, makeReport, profileHash, renderReport, runningDeviceChecks, worst } from '../../firmware/diagnostics/diag.js';
import { FaultRegistry } from '../../firmware/diagnostics/registry.js';

const profile = parseProfile({
  box: { id: 'scan-box' },
  buses: { i2c: [{ name: 'i2c1', simulated: true }] },
  devices: [{ id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76 }],
});

function busesWith(bus: SimulatedI2cBus): OpenBuses {
  // bus checks look at the I²C buses only
  return { provider: { i2c: () => bus }, i2c: new Map([['i2c1', bus]]), simulators: new Map(), scenes: [], close: async () => undefined } as unknown as OpenBuses;
}

describe('bus checks against the profile', () => {
  it('names the part at the expected address, flags a wrong part and an unexpected one by its chip id', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('i2c1');
    const fitted = new Bme280Simulator(clock, 'bmp280');
    bus.attach(0x76, fitted); // a BMP280 where the profile has a bme280 entry: named by its chip id
    bus.attach(0x77, new Bme280Simulator(clock, 'bme280')); // fitted, but not in the profile
    const lines = async (): Promise<string[]> => (await busChecks(profile, busesWith(bus))).map((c) => `${c.verdict} ${c.name}: ${c.detail}${c.code ? ` [${c.code}]` : ''}`);
    expect(await lines()).toEqual([
      'PASS i2c1 0x76: env (bme280) acknowledges: BMP280 (chip id 0x58)',
      'WARN i2c1 0x77: BME280 (chip id 0x60) answers at 0x77, and the profile does not name it',
    ]);
    fitted.setChipId(0x99); // not a Bosch BMx280 at all
    expect((await lines())[0]).toBe('FAIL i2c1 0x76: env (bme280): something answers at 0x76 but it is not a bme280 [WRONG_CHIP_ID]');
  });

  it('a missing adapter is one FAIL line with I2C_BUS_MISSING', async () => {
    const bus = new SimulatedI2cBus('i2c1');
    bus.missing = true;
    const [c] = await busChecks(profile, busesWith(bus));
    expect(c).toMatchObject({ section: 'bus', name: 'i2c1', verdict: 'FAIL', code: 'I2C_BUS_MISSING', remedy: expect.stringContaining('raspi-config') });
  });
});

describe('report', () => {
  it('turns active faults into lines with remedies; errors FAIL, warnings WARN; the worst decides', () => {
    const reg = new FaultRegistry(new ManualClock());
    reg.raise({ code: 'UNDERVOLTAGE_SINCE_BOOT', subject: 'supply', message: 'since boot' });
    reg.raise({ code: 'I2C_NACK', subject: 'env', message: 'no ack' });
    const checks = faultChecks(reg.active());
    expect(checks.map((c) => `${c.verdict} ${c.name}`)).toEqual(['WARN UNDERVOLTAGE_SINCE_BOOT@supply', 'FAIL I2C_NACK@env']);
    expect(worst(checks)).toBe('FAIL');
    expect(worst([])).toBe('PASS');
    const text = renderReport(makeReport('service', profile, '0.1.0', Date.UTC(2026, 0, 1), checks));
    expect(text.split('\n')[0]).toBe(`edgefw diag  box scan-box  profile ${profileHash(profile)}  fw 0.1.0  2026-01-01T00:00:00.000Z  (from the running service)`);
    expect(text).toContain('  FAIL  I2C_NACK@env');
    expect(text.trimEnd().split('\n').at(-1)).toBe('RESULT FAIL  (0 pass, 1 warn, 1 fail)');
  });

  it('the profile hash ignores key order and changes with any setting', () => {
    const a = parseProfile({ box: { id: 'h' }, uplink: { url: 'mqtt://a:1883', topicPrefix: 'x' } });
    const b = parseProfile({ uplink: { topicPrefix: 'x', url: 'mqtt://a:1883' }, box: { id: 'h' } });
    const c = parseProfile({ box: { id: 'h' }, uplink: { url: 'mqtt://a:1884', topicPrefix: 'x' } });
    expect(profileHash(a)).toBe(profileHash(b));
    expect(profileHash(a)).not.toBe(profileHash(c));
  });
});

describe('device lines of a running box', () => {
  const status = (over: Partial<DeviceStatus>): DeviceStatus => ({
    id: 'env', type: 'bme280', state: 'ok', reads: 10, errors: 0, consecutiveErrors: 0, lastError: undefined,
    lastValues: [{ channel: 'temperature', value: 21.5 }, { channel: 'pressure', value: 1013 }, { channel: 'humidity', value: 45 }],
    lastSampleMono: 1, identity: { part: 'BME280' }, nextProbeInMs: undefined, ...over,
  });

  it('ok with plausible values PASS; a device not probed yet WARNs; one failing to answer FAILs with its code', () => {
    const line = (s: DeviceStatus): string[] => runningDeviceChecks(profile, [s]).map((c) => `${c.verdict} ${c.name}: ${c.detail}${c.code ? ` [${c.code}]` : ''}`);
    expect(line(status({}))).toEqual(['PASS env: ok: part BME280', 'PASS env reading: temperature 21.5 °C, pressure 1013 hPa, humidity 45 %RH']);
    expect(line(status({ state: 'probing', reads: 0, lastValues: [], nextProbeInMs: 1500 }))).toEqual(['WARN env: starting: first probe in 2 s']);
    expect(line(status({ state: 'probing', reads: 0, errors: 2, lastValues: [], nextProbeInMs: 3000, lastError: { code: 'I2C_NACK', message: 'i2c1 0x76: no acknowledge (ENXIO)' } }))).toEqual([
      'FAIL env: probing: i2c1 0x76: no acknowledge (ENXIO); next probe in 3 s [I2C_NACK]',
    ]);
    expect(line(status({ lastValues: [{ channel: 'temperature', value: 120 }] }))[1]).toBe('FAIL env reading: temperature 120 °C outside -40..85 [VALUE_OUT_OF_RANGE]');
  });

  it('a scaled analog input is checked against its transducer range: soil 175 % FAILs, 42 % passes (docs/diagnostics.md)', () => {
    const analog = parseProfile({
      box: { id: 'soil-box' },
      buses: { i2c: [{ name: 'i2c1', simulated: true }] },
      devices: [{ id: 'analog', type: 'ads1115', bus: 'i2c1', inputs: [{ name: 'soil', input: 'ain1', unit: '%', scale: { volts: [2.8, 1.2], values: [0, 100] } }] }],
    });
    const at = (value: number): string[] =>
      runningDeviceChecks(analog, [status({ id: 'analog', type: 'ads1115', identity: { part: 'ADS1115' }, lastValues: [{ channel: 'soil', value }] })]).map((c) => `${c.verdict} ${c.detail}${c.code ? ` [${c.code}]` : ''}`);
    // 0 V on the input (the probe's wire off) reads 175 % through the scale: not wet soil
    expect(at(175)[1]).toBe('FAIL soil 175 % outside 0..100 [VALUE_OUT_OF_RANGE]');
    expect(at(-81)[1]).toBe('FAIL soil -81 % outside 0..100 [VALUE_OUT_OF_RANGE]');
    expect(at(42)[1]).toBe('PASS soil 42 %');
  });
});
