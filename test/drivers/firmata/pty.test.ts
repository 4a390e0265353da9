/**
 * The real johnny-five and firmata-io code against the Firmata simulator over a socat
 * pseudo-terminal pair with the native serialport binding, run by the real device runner and
 * scheduler. Killing socat is the USB unplug.
 */
import { readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../drivers/bus/clock.js';
import { johnnyFiveBoards } from '../../../drivers/firmata/connection.js';
import { type FirmataDriver, firmata } from '../../../drivers/firmata/index.js';
import { FirmataSimulator } from '../../../drivers/firmata/simulator.js';
import { gpioInput } from '../../../drivers/gpio/input/index.js';
import { SimulatedGpioChip } from '../../../drivers/sim/gpio-chip.js';
import { RunningDevice } from '../../../firmware/device/running-device.js';
import { FaultRegistry } from '../../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import type { Sample } from '../../../firmware/reading.js';
import { deviceOptions, silentLog } from '../../helpers/drivers.js';
import { PtyBoard, PtyPair } from '../../helpers/pty.js';
import { tempDir } from '../../helpers/scratch.js';

const CYCLES = Number(process.env.EDGEFW_FIRMATA_CYCLES ?? 20);

describe('Firmata over a socat pty: unplug and replug', () => {
  const dir = tempDir('pty');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`resumes after each of ${CYCLES} unplug/replug cycles while other devices keep sampling, without leaking listeners`, async () => {
    const pty = new PtyPair(join(dir, 'host'), join(dir, 'board'));
    const sim = new FirmataSimulator();
    const board = new PtyBoard(sim, pty.devicePath);
    await pty.start();
    await board.open();
    sim.setVoltage(0, 1.25);
    const mcuLoop = setInterval(() => sim.tick(), 10); // the board's own loop() clock

    const clock = new SystemClock({ assumeTrusted: true });
    const scheduler = new Scheduler();
    const faults = new FaultRegistry(clock);
    const samples: Sample[] = [];
    const sink = (s: Sample): void => {
      samples.push(s);
    };
    const chip = new SimulatedGpioChip('hdr');
    const ctx = (id: string) => ({
      id,
      clock,
      log: silentLog,
      buses: { i2c: () => { throw new Error('no i2c'); }, gpio: () => chip },
      emit: (values: readonly { channel: string; value: number }[]) => sink({ device: id, kind: 'event', monoMs: clock.monoMs(), wallMs: clock.wallMs(), timeSource: 'assumed', values: values.map((v) => ({ ...v, unit: '' })) }),
    });
    const driver = firmata.create(
      deviceOptions(firmata, { path: pty.hostPath, queryAfter: 50, staleAfter: 500, analog: [{ name: 'light', pin: 'A0' }], outputs: [{ name: 'pump', pin: 8 }] }),
      ctx('uno'),
    ) as FirmataDriver;
    const door = gpioInput.create(deviceOptions(gpioInput, { bus: 'hdr', line: 5, kind: 'switch' }), ctx('door'));
    const deps = { scheduler, clock, faults, sink, log: silentLog };
    const uno = new RunningDevice(driver, { id: 'uno', type: 'firmata', intervalMs: 20, phaseMs: 0, timeoutMs: 2000, failAfter: 1, backoffMinMs: 20, backoffMaxMs: 100 }, deps);
    const doorDev = new RunningDevice(door, { id: 'door', type: 'gpio-input', intervalMs: 20, phaseMs: 5, timeoutMs: 100 }, deps);
    uno.start();
    doorDev.start();

    const unoSamples = (): Sample[] => samples.filter((s) => s.device === 'uno' && s.kind === 'sample' && s.values.some((v) => v.channel === 'light'));
    const until = async (what: string, cond: () => boolean, ms = 5000): Promise<void> => {
      const end = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; uno ${JSON.stringify({ ...uno.status(), identity: undefined })}`);
        await sleep(5);
      }
    };

    const leakProbe = () => ({
      listeners: driver.listeners(),
      boards: johnnyFiveBoards(),
      process: process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0),
      // an old port left open would keep its file descriptor (serialport's native binding holds no libuv handle)
      ttys: readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith('/dev/pts/');
        } catch {
          return false;
        }
      }).length,
    });
    let baseline: ReturnType<typeof leakProbe> | undefined;
    const outages: { doorSamples: number; ms: number }[] = [];

    try {
      await until('first handshake', () => unoSamples().length > 0);
      expect(unoSamples().at(-1)?.values.find((v) => v.channel === 'light')?.value).toBe(1.25);
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        await until('board readings', () => unoSamples().length > 0);
        if (cycle === 2) baseline = leakProbe();
        // unplug
        const t0 = Date.now();
        await board.close();
        await pty.stop();
        await until('FIRMATA_LOST', () => faults.active().some((f) => f.code === 'FIRMATA_LOST' && f.subject === 'uno'));
        // outage: the board is gone, everything else carries on
        const doorBefore = samples.filter((s) => s.device === 'door').length;
        const unoBefore = unoSamples().length;
        await until('door samples during the outage', () => samples.filter((s) => s.device === 'door').length - doorBefore >= 3);
        const doorDuring = samples.filter((s) => s.device === 'door').length - doorBefore;
        expect(unoSamples().length).toBe(unoBefore); // no board readings while unplugged
        // replug, with a new level on A0 so resumed readings are provably new
        samples.length = 0;
        sim.setVoltage(0, 0.625 * (1 + (cycle % 4)));
        await pty.start();
        await board.open();
        await until(`readings after replug ${cycle}`, () => unoSamples().some((s) => s.values.find((v) => v.channel === 'light')?.value === 0.625 * (1 + (cycle % 4))));
        outages.push({ doorSamples: doorDuring, ms: Date.now() - t0 });
      }
      const end = leakProbe();
      expect(end).toEqual(baseline);
      expect(driver.handshakes).toBe(CYCLES + 1);
      expect(sim.violations).toEqual([]);
      expect(sim.output(8)).toBe(0); // pump back at its safe value after every handshake
      console.log(`firmata pty: ${CYCLES} cycles, unplug→readings ${Math.min(...outages.map((o) => o.ms))}–${Math.max(...outages.map((o) => o.ms))} ms, listeners ${end.listeners}, j5 boards ${end.boards}, open ptys ${end.ttys}`);
    } finally {
      clearInterval(mcuLoop);
      await uno.stop();
      await doorDev.stop();
      scheduler.stop();
      await board.close();
      await pty.stop();
    }
  }, 120_000);
});
