import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DiagReport } from '../../firmware/diagnostics/diag.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * `edgefw diag` on the demo profile (its embedded broker moved to a free port and its data to a
 * temporary directory, so the test does not meet a demo someone is running).
 */
describe('edgefw diag on the demo profile', () => {
  let dir: string;
  let profile: string;
  beforeAll(async () => {
    dir = tempDir('diag');
    const demo = parse(readFileSync('config/profiles/demo.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
    demo.uplink = { ...demo.uplink, embeddedBroker: { host: '127.0.0.1', port: await freePort() } };
    demo.storage = { dir: join(dir, 'data') };
    profile = join(dir, 'demo.yaml');
    writeFileSync(profile, stringify(demo));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with every device answering: PASS lines for device, reading and bus; exit 0', async () => {
    const r = await runCli(['diag', '--profile', profile]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ {2}PASS {2}env +Bosch BME280 .*part BME280, chipId 0x60, bus i2c1, address 0x76$/m);
    expect(r.stdout).toMatch(/^ {2}PASS {2}env reading +temperature -?\d+(\.\d+)? °C, pressure \d+(\.\d+)? hPa, humidity \d+(\.\d+)? %RH$/m);
    expect(r.stdout).toMatch(/^ {2}PASS {2}i2c1 0x76 +env \(bme280\) acknowledges: BME280 \(chip id 0x60\)$/m);
    expect(r.stdout).toMatch(/^ {2}WARN {2}broker +embedded broker .* runs only inside `edgefw run`/m);
    expect(r.stdout).toMatch(/^ {2}PASS {2}writable +data directory writable$/m);
    // the broker WARNs (the embedded one runs only inside edgefw run); warming-up serial parts WARN "no reading yet"
    expect(r.stdout).toMatch(/^RESULT WARN {2}\(\d+ pass, \d+ warn, 0 fail\)$/m);
    expect(r.stdout).not.toMatch(/^ {2}FAIL /m);
    expect(r.code).toBe(0);
  });

  it('with the BME280 unplugged: FAIL with I2C_NACK and its remedy, the bus scan misses 0x76, exit 1', async () => {
    const r = await runCli(['diag', '--profile', profile, '--simulate-unplug', 'env']);
    expect(r.stdout).toMatch(/^ {2}FAIL {2}env +i2c1 0x76: no acknowledge \(ENXIO\)$/m);
    expect(r.stdout).toContain('I2C_NACK: Check the 4-wire cable (VCC, GND, SDA, SCL) and reseat it');
    expect(r.stdout).toMatch(/^ {2}FAIL {2}i2c1 0x76 +env \(bme280\): nothing acknowledges 0x76$/m);
    expect(r.stdout).toMatch(/^RESULT FAIL /m);
    expect(r.code).toBe(1);
  });

  it('--json gives the same report for machines, with the profile hash', async () => {
    const r = await runCli(['diag', '--profile', profile, '--json', '--simulate-unplug', 'env']);
    const j = JSON.parse(r.stdout) as DiagReport;
    expect(j).toMatchObject({ v: 1, box: 'demo-kiosk-01', verdict: 'FAIL', source: 'standalone', profileHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(j.checks.find((c) => c.name === 'env')).toMatchObject({ section: 'device', verdict: 'FAIL', code: 'I2C_NACK', remedy: expect.stringContaining('edgefw scan i2c') });
    expect(r.code).toBe(1);
  });

  it('names a bad --simulate-unplug device and a bad profile, exit 2', async () => {
    const a = await runCli(['diag', '--profile', profile, '--simulate-unplug', 'nosuch']);
    expect(a.stderr).toContain('--simulate-unplug nosuch: no simulated device with that id in the profile');
    expect(a.code).toBe(2);
    const b = await runCli(['diag', '--profile', 'test/config/profiles/bad/typos.yaml']);
    expect(b.stderr).toContain('typos.yaml: 9 problems');
    expect(b.code).toBe(2);
  });
});
