/**
 * Safe states through the real `edgefw run` (built CLI) on a simulated header whose output
 * latches live in files, as a real pin's level outlives the process.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { finished, startCli } from '../helpers/cli.js';

describe('edgefw run drives outputs to their safe state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-run-safe-'));
  const pins = join(dir, 'pins');
  const profile = join(dir, 'box.yaml');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('at the first start after a crash before the broker starts, and again at SIGTERM', async () => {
    mkdirSync(pins, { recursive: true });
    writeFileSync(join(pins, 'gpio18'), '1'); // the screen relay was left energised by a kill -9
    writeFileSync(
      profile,
      `box: { id: safe-run }
uplink: { embeddedBroker: { port: 0 } }
storage: { dir: ${JSON.stringify(join(dir, 'data'))} }
buses:
  gpio: [{ name: hdr, simulated: true, stateDir: ${JSON.stringify(pins)} }]
devices:
  - { id: screen, type: gpio-output, bus: hdr, line: 18, kind: relay, safe: 'off' }
  - { id: fan, type: gpio-output, bus: hdr, line: 19, kind: relay, safe: 'on' }
`,
    );
    const child = startCli(['run', '--profile', profile]);
    for (let i = 0; i < 200 && !child.out.stdout.includes('device ready'); i++) await sleep(25);
    const log = child.out.stdout;
    expect(readFileSync(join(pins, 'gpio18'), 'utf8')).toBe('0');
    expect(readFileSync(join(pins, 'gpio19'), 'utf8')).toBe('1');
    const found = log.indexOf('GPIO18 relay was on at start (unclean shutdown or another program); driven to its safe state');
    const broker = log.indexOf('embedded MQTT broker listening');
    expect(found).toBeGreaterThan(0);
    expect(broker).toBeGreaterThan(found); // outputs before anything else
    // something (a technician with a multimeter, a stray command) pulls the fan relay off; SIGTERM must put it back
    writeFileSync(join(pins, 'gpio19'), '0');
    child.kill('SIGTERM');
    const done = await finished(child);
    expect(done.code).toBe(0);
    expect(readFileSync(join(pins, 'gpio19'), 'utf8')).toBe('1');
  }, 30_000);
});
