import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ProfileError, parseProfile } from '../../config/load.js';
import { profileJsonSchema } from '../../config/json-schema.js';

/**
 * The editor schema (config/profile.schema.json) against the loader: Ajv compiles it in strict
 * mode, and a corpus of good and bad profiles gets the same verdict from both. The bad ones are
 * one mistake each in an otherwise good profile: what an editor must underline.
 */
const schema = JSON.parse(readFileSync('config/profile.schema.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
const loaderAccepts = (p: unknown): boolean => {
  try {
    parseProfile(p);
    return true;
  } catch (e) {
    if (e instanceof ProfileError) return false;
    throw e;
  }
};
/** Errors an editor would show: Ajv's "must match then schema" only repeats the branch's own. */
const shown = (): ErrorObject[] => (validate.errors ?? []).filter((e) => e.keyword !== 'if');

type Profile = { devices: Record<string, unknown>[]; [k: string]: unknown };
const demo = (): Profile => parse(readFileSync('config/profiles/demo.yaml', 'utf8')) as Profile;
const device = (p: Profile, id: string): Record<string, unknown> => {
  const d = p.devices.find((x) => x.id === id);
  if (!d) throw new Error(`no device ${id}`);
  return d;
};

const good: [string, () => unknown][] = [
  ['the demo profile', demo],
  ['the Raspberry Pi kiosk profile', () => parse(readFileSync('config/profiles/kiosk-pi.yaml', 'utf8'))],
  ['durations as numbers and strings', () => ({ ...demo(), jobs: [], devices: [{ id: 'env', type: 'bme280', bus: 'i2c1', address: '0X77', interval: 1500, timeout: ' 2.5s ' }] })],
  ['a BMP280 with a pressure rule', () => ({ ...demo(), jobs: [], devices: [{ id: 'env', type: 'bme280', variant: 'bmp280', bus: 'i2c1', address: 0x76, channels: { pressure: { report: { delta: '5%', delta_floor: 1 } } } }] })],
  ['a skip_initial in samples and in time', () => ({ ...demo(), jobs: [], devices: [{ id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, channels: { temperature: { filters: [{ skip_initial: 3 }, { skip_initial: '30s' }] } } }] })],
];

const bad: [string, (p: Profile) => void][] = [
  ['interval 2x', (p) => void (device(p, 'env').interval = '2x')],
  ['interval -5s', (p) => void (device(p, 'env').interval = '-5s')],
  ['interval 5 ms (below 10 ms)', (p) => void (device(p, 'env').interval = 5)],
  ['address 0x200', (p) => void (device(p, 'env').address = '0x200')],
  ['address 0x40 on a BME280', (p) => void (device(p, 'env').address = 0x40)],
  ['a channel a BME280 does not have', (p) => void ((device(p, 'env').channels as Record<string, unknown>).co2 = { report: { delta: 50 } })],
  ['an unknown device type', (p) => void (device(p, 'env').type = 'bme281')],
  ['an unknown key in a device', (p) => void (device(p, 'env').adress = 0x76)],
  ['two filters in one list item', (p) => void ((device(p, 'env').channels as Record<string, { filters?: unknown }>).humidity!.filters = [{ median: { window: 5 }, min: { window: 3 } }])],
  ['an unknown filter', (p) => void ((device(p, 'env').channels as Record<string, { filters?: unknown }>).humidity!.filters = [{ medain: { window: 5 } }])],
  ['delta -5%', (p) => void ((device(p, 'env').channels as Record<string, { report?: unknown }>).humidity!.report = { delta: '-5%' })],
  ['skip_initial 0 samples', (p) => void ((device(p, 'env').channels as Record<string, { filters?: unknown }>).humidity!.filters = [{ skip_initial: 0 }])],
  ['BME280 oversampling 3', (p) => void (device(p, 'env').oversampling = { temperature: 3 })],
  ['an unknown top-level key', (p) => void (p.uplnk = {})],
  ['uplink.url that is not an MQTT URL', (p) => void (p.uplink = { url: 'http://x' })],
  ['a box id with capitals', (p) => void (p.box = { id: 'Kiosk' })],
];

describe('config/profile.schema.json, the editor schema', () => {
  it('compiles in Ajv strict mode (JSON Schema 2020-12)', () => {
    expect(() => new Ajv2020({ strict: true }).compile(profileJsonSchema())).not.toThrow();
  });

  it.each(good)('%s: accepted by the loader and by the schema', (_, make) => {
    const p = make();
    expect(loaderAccepts(p)).toBe(true);
    expect(validate(p), JSON.stringify(shown().slice(0, 3))).toBe(true);
  });

  it.each(bad)('%s: refused by the loader and by the schema', (_, mutate) => {
    const p = demo();
    mutate(p);
    expect(loaderAccepts(p)).toBe(false);
    expect(validate(p)).toBe(false);
  });

  it('one typo in a device gives one error, at that device, from its own type only', () => {
    const p = demo();
    device(p, 'env').adress = 0x76;
    expect(validate(p)).toBe(false);
    expect(shown()).toHaveLength(1);
    expect(shown()[0]).toMatchObject({ instancePath: '/devices/0', keyword: 'additionalProperties', params: { additionalProperty: 'adress' } });

    const q = demo();
    device(q, 'env').type = 'bme281';
    expect(validate(q)).toBe(false);
    expect(shown()).toHaveLength(1);
    expect(shown()[0]).toMatchObject({ instancePath: '/devices/0/type', keyword: 'enum' });
  });
});
