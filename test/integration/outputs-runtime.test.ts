/**
 * Safe states through the real `edgefw run` (built CLI) on a simulated header whose output
 * latches live in files, as a real pin's level outlives the process.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { finished, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/scratch.js';

describe('edgefw run drives outputs to their safe state', () => {
  const dir = tempDir('run-safe');
  const pins = join(dir, 'pins');
  const profile = join(dir, 'box.yaml');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const writeProfile = (screenSafe: 'on' | 'off'): void =>
    writeFileSync(
      profile,
      `box: { id: safe-run }
uplink: { embeddedBroker: { port: 0 } }
storage: { dir: ${JSON.stringify(join(dir, 'data'))} }
buses:
  gpio: [{ name: hdr, simulated: true, stateDir: ${JSON.stringify(pins)} }]
devices:
  - { id: door, type: gpio-input, bus: hdr, line: 5, kind: switch }
  - { id: screen, type: gpio-output, bus: hdr, line: 18, kind: relay, safe: '${screenSafe}' }
  - { id: fan, type: gpio-output, bus: hdr, line: 19, kind: relay, safe: 'on' }
`,
    );
  const pin = (n: number): string => readFileSync(join(pins, `gpio${n}`), 'utf8');
  const ready = async (child: ReturnType<typeof startCli>): Promise<string> => {
    // a liveness wait: start-up takes seconds on a loaded machine
    for (let i = 0; i < 1200 && !child.out.stdout.includes('"device":"door"'); i++) await sleep(25);
    return child.out.stdout;
  };

  it('kill -9 leaves a relay energised; the next start drops it before the broker and any probe; SIGTERM drives safe again', async () => {
    mkdirSync(pins, { recursive: true });
    // a box whose screen relay is on while it runs (its safe state is "on" in this first profile)
    writeProfile('on');
    const a = startCli(['run', '--profile', profile]);
    await ready(a);
    expect([pin(18), pin(19)]).toEqual(['1', '1']);
    a.kill('SIGKILL');
    await finished(a);
    expect(pin(18)).toBe('1'); // the latch holds after the crash: the hazard this feature exists for

    // the profile now says the screen relay's safe state is off; the next start must drop it first
    writeProfile('off');
    const b = startCli(['run', '--profile', profile]);
    const log = await ready(b);
    expect([pin(18), pin(19)]).toEqual(['0', '1']);
    const found = log.indexOf('GPIO18 relay was on at start (unclean shutdown or another program); driven to its safe state');
    expect(found).toBeGreaterThan(0);
    expect(log.indexOf('embedded MQTT broker listening')).toBeGreaterThan(found);
    expect(log.indexOf('"device":"door"')).toBeGreaterThan(found);

    // something (a technician's test lead, a stray command) pulls the fan relay off; SIGTERM must put it back
    writeFileSync(join(pins, 'gpio19'), '0');
    b.kill('SIGTERM');
    const done = await finished(b);
    expect(done.code).toBe(0);
    expect(pin(19)).toBe('1');
  }, 90_000);
});
