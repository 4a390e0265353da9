import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { profileJsonSchema } from '../../config/json-schema.js';
import { ProfileError, loadProfile, parseProfileText } from '../../config/load.js';
import { problems } from '../helpers/profiles.js';

describe('profile validation', () => {
  it('accepts the shipped example profiles', () => {
    for (const f of ['config/profiles/demo.yaml', 'config/profiles/kiosk-pi.yaml']) {
      expect(() => loadProfile(f), f).not.toThrow();
    }
  });

  it('lists every field mistake with its path and what is allowed', () => {
    expect(problems('test/config/profiles/bad/typos.yaml')).toEqual([
      'box.id: "Kiosk 7" is not a valid box id (lower-case letters, digits, - and _, up to 63)',
      'uplink.url: "http://broker:1883" is not an MQTT URL (mqtt://host:port or mqtts://…)',
      'uplink.keepalive: keepalive 10 ms is outside 1000..3600000 ms',
      'devices[0].address: 0x40 is not a BME280 address (0x76, 0x77)',
      expect.stringMatching(/^devices\[1\]\.type: "bme281" is not a known device type \(.*bme280.*\)$/),
      'devices[2].oversampling.temperature: 3 is not one of 1, 2, 4, 8, 16',
      'devices[2].filter: "5" is not one of "2", "4", "8", "16", "off"',
      'devices[2]: unknown key "adress" (check the spelling; see docs/profile.md)',
      'devices[3].interval: "2x" is not a duration (write 500ms, 1s, 5m or 1h)',
    ]);
  });

  it('checks references once the fields are right: buses, duplicate ids and addresses, channels', () => {
    expect(problems('test/config/profiles/bad/references.yaml')).toEqual([
      'buses.i2c[1].name: bus name "i2c1" is used twice',
      'devices[1].id: device id "env" is used twice',
      'devices[1].address: 0x76 on i2c1 is already taken by device "env"',
      'devices[2].bus: "i2c9" is not a bus in buses.i2c (i2c1)',
      'devices[3].channels.humidity: a bme280 has no channel "humidity" (temperature, pressure)',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const p = problems('test/config/profiles/bad/syntax.yaml');
    expect(p.length).toBeGreaterThan(0);
    expect(p[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('names the file in the error message and refuses a profile that is not a mapping', () => {
    expect(() => parseProfileText('- a\n- b\n', 'box.yaml')).toThrow(/^box\.yaml: 1 problem\n {2}\(top level\): a profile is a mapping/);
    expect(() => loadProfile('/nonexistent/profile.yaml')).toThrow(/cannot read the file/);
  });

  it('applies defaults and units: durations in ms, hex addresses as numbers', () => {
    const p = parseProfileText('box: {id: b}\nbuses: {i2c: [{name: x, simulated: true}]}\ndevices: [{id: e, type: bme280, bus: x, interval: 1.5s, address: "0x77"}]');
    expect(p.devices[0]).toMatchObject({ interval: 1500, timeout: 1000, address: 0x77, enabled: true });
    expect(p.uplink).toMatchObject({ url: 'mqtt://127.0.0.1:1883', topicPrefix: 'edgefw', keepalive: 30_000 });
  });
});

describe('config/profile.schema.json', () => {
  it('is the JSON Schema generated from the profile schema (run `npx edgefw config schema -o config/profile.schema.json`)', () => {
    const committed: unknown = JSON.parse(readFileSync('config/profile.schema.json', 'utf8'));
    expect(committed).toEqual(profileJsonSchema());
  });
});
