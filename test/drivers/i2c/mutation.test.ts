/**
 * The contract sweep must be able to fail. Each case here breaks one of the drivers' raw → SI
 * conversions (doubles it, as a wrong shift or a forgotten divisor would) in a fresh module
 * graph, runs the contract sweep of test/helpers/i2c-sweep.ts over the parts that use it, and
 * expects readings outside tolerance. If a simulator computed its raw registers with the
 * driver's own conversion, the broken conversion would be mirrored and the sweep would pass:
 * this is the test that the simulators' maths is independent of the drivers'.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

type Mod = Record<string, unknown>;
type Fn = (...a: never[]) => unknown;

interface Mutation {
  readonly name: string;
  /** module path as the drivers import it, relative to this file */
  readonly module: string;
  readonly mutate: (orig: Mod) => Mod;
  /** device types whose sweep must catch it */
  readonly types: readonly string[];
}

const doubled = (orig: Mod, name: string, pick: (r: never) => unknown = (r) => (r as number) * 2): Mod => ({
  ...orig,
  [name]: (...a: never[]) => pick((orig[name] as Fn)(...a) as never),
});

const MUTATIONS: readonly Mutation[] = [
  { name: 'BME280 humidity ×2', module: '../../../drivers/i2c/bme280/compensation.js', types: ['bme280'], mutate: (o) => doubled(o, 'compensateHumidity') },
  { name: 'BME280 pressure ×2', module: '../../../drivers/i2c/bme280/compensation.js', types: ['bme280'], mutate: (o) => doubled(o, 'compensatePressure') },
  {
    name: 'BME280 temperature ×2',
    module: '../../../drivers/i2c/bme280/compensation.js',
    types: ['bme280'],
    mutate: (o) => doubled(o, 'compensateTemperature', (r: { tFine: number; centiC: number }) => ({ ...r, centiC: r.centiC * 2 })),
  },
  { name: 'Sensirion humidity ×2', module: '../../../drivers/i2c/sensirion.js', types: ['sht3x', 'scd4x'], mutate: (o) => doubled(o, 'sensirionHumidity') },
  { name: 'Sensirion temperature ×2', module: '../../../drivers/i2c/sensirion.js', types: ['sht3x', 'scd4x'], mutate: (o) => doubled(o, 'sensirionTemperature') },
  { name: 'BH1750 count → lux ×2', module: '../../../drivers/i2c/bh1750/registers.js', types: ['bh1750'], mutate: (o) => doubled(o, 'countToLux') },
  { name: 'ADS1115 code → volts ×2', module: '../../../drivers/i2c/ads1115/registers.js', types: ['ads1115'], mutate: (o) => doubled(o, 'codeToVolts') },
  { name: 'INA219 bus voltage LSB ×2', module: '../../../drivers/i2c/ina219/registers.js', types: ['ina219'], mutate: (o) => ({ ...o, BUS_LSB_V: (o.BUS_LSB_V as number) * 2 }) },
  {
    name: 'INA219 current and power LSB ×2',
    module: '../../../drivers/i2c/ina219/settings.js',
    types: ['ina219'],
    mutate: (o) => doubled(o, 'settings', (s: { currentLsb: number; powerLsb: number }) => ({ ...s, currentLsb: s.currentLsb * 2, powerLsb: s.powerLsb * 2 })),
  },
];

afterEach(() => {
  vi.doUnmock('../../../drivers/i2c/bme280/compensation.js');
  for (const m of MUTATIONS) vi.doUnmock(m.module);
  vi.resetModules();
});

describe('I²C contract sweep catches a broken conversion (mutation check)', () => {
  it('passes with the drivers as they are', async () => {
    vi.resetModules();
    const { DEVICE_TYPES } = await import('../../../drivers/registry.js');
    const { sweepI2c } = await import('../../helpers/i2c-sweep.js');
    for (const def of DEVICE_TYPES.filter((d) => d.i2c)) expect((await sweepI2c(def)).misses, def.type).toEqual([]);
  });

  it.each(MUTATIONS.map((m) => [m.name, m] as const))('%s is caught', async (_name, m) => {
    vi.resetModules();
    vi.doMock(m.module, async (importOriginal) => m.mutate(await importOriginal<Mod>()));
    const { DEVICE_TYPES } = await import('../../../drivers/registry.js');
    const { sweepI2c } = await import('../../helpers/i2c-sweep.js');
    for (const type of m.types) {
      const def = DEVICE_TYPES.find((d) => d.type === type);
      if (!def) throw new Error(`no device type ${type}`);
      const { misses } = await sweepI2c(def);
      expect(misses.length, `${m.name} on ${type}`).toBeGreaterThan(0);
    }
  });
});
