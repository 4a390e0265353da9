import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/scratch.js';

describe('edgefw scan i2c (the installed command)', () => {
  it('finds every part of the demo profile on its simulated bus and exits 0', async () => {
    const r = await runCli(['scan', 'i2c', '--profile', 'config/profiles/demo.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('i2c1 (simulated): 6 addresses answering (probed 0x08–0x77)');
    expect(r.stdout).toContain('0x76 BME280 "env" expected — found, BME280 (chip id 0x60) ok');
    expect(r.stdout).toContain('0x44 SHT3x "climate" expected — found, SHT3x (status 0x8010) ok');
    expect(r.stdout).toContain('6 of 6 expected parts found');
  });

  it('a real bus that does not exist on this machine exits 1 with the I2C_BUS_MISSING remedy', async () => {
    const dir = tempDir('scan-cli');
    const file = join(dir, 'box.yaml');
    writeFileSync(file, 'box: { id: b }\nbuses: { i2c: [{ name: i2c99, bus: 99 }] }\ndevices:\n  - { id: climate, type: sht3x, bus: i2c99 }\n');
    const r = await runCli(['scan', 'i2c', '--profile', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('i2c99 (/dev/i2c-99): i2c99: open failed (ENOENT)');
    expect(r.stdout).toContain('I2C_BUS_MISSING — Enable I²C');
  });

  it('a bad profile exits 2 and says where', async () => {
    const r = await runCli(['scan', 'i2c', '--profile', 'test/config/profiles/bad/typos.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('devices[0].address: 0x40 is not a BME280 address (0x76, 0x77)');
  });
});
