import { ProfileError, loadProfile, parseProfileText } from '../../config/load.js';

function collect(what: string, parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof ProfileError) return e.problems;
    throw e;
  }
  throw new Error(`${what} was accepted`);
}

/** The problems `edgefw config check` lists for a profile file; fails the test if it is accepted. */
export function problems(file: string): readonly string[] {
  return collect(file, () => loadProfile(file));
}

/** The same for profile text written in the test. */
export function problemsInText(text: string): readonly string[] {
  return collect('profile', () => parseProfileText(text, 'box.yaml'));
}

/**
 * A profile for a test that runs the built box as a process: simulated parts on one simulated
 * I²C bus (i2c1), a trusted clock (no GPS or NTP here), the state directory and the uplink the
 * test names. `uplink` is what goes inside `uplink: { … }`; each of `devices` inside one
 * `- { … }`; `more` are further top-level lines (commands, jobs …).
 */
export function simulatedBoxProfile(o: { box: string; uplink: string; storageDir: string; devices: readonly string[]; more?: readonly string[] }): string {
  return [
    `box: { id: ${o.box} }`,
    `uplink: { ${o.uplink} }`,
    'clock: { assumeTrusted: true }',
    `storage: { dir: "${o.storageDir}" }`,
    'buses: { i2c: [ { name: i2c1, simulated: true } ] }',
    ...(o.more ?? []),
    'devices:',
    ...o.devices.map((d) => `  - { ${d} }`),
    '',
  ].join('\n');
}

/** Two BME280s (env at 0x76, roof at 0x77) read every 20 ms: the kill and disk-trouble runs. */
export const TWO_BME280_AT_50HZ = ['id: env, type: bme280, bus: i2c1, address: 0x76, interval: 20', 'id: roof, type: bme280, bus: i2c1, address: 0x77, interval: 20'] as const;
