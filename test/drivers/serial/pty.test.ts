/**
 * Every serial driver end to end through the real native serialport binding: a socat pty pair,
 * the driver on one end, the device simulator writing the other end at the part's baud rate
 * (9600 Bd for all five). Then the unplug: socat is killed mid-stream under the runtime's own
 * device runner; that device faults while the others keep sampling, and when the pty returns the
 * runner re-probes and readings resume without a restart.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, ManualClock, SystemClock } from '../../../drivers/bus/clock.js';
import { SerialHub } from '../../../drivers/bus/serial-hub.js';
import { openRealSerialLink } from '../../../drivers/bus/serial-real.js';
import { mhz19b } from '../../../drivers/serial/mhz19b/index.js';
import { Mhz19bSimulator } from '../../../drivers/serial/mhz19b/simulator.js';
import { modbusRtu } from '../../../drivers/serial/modbus-rtu/index.js';
import { ModbusSlaveSimulator } from '../../../drivers/serial/modbus-rtu/simulator.js';
import { AGREE_MS, nmeaGps } from '../../../drivers/serial/nmea-gps/index.js';
import { NmeaGpsSimulator } from '../../../drivers/serial/nmea-gps/simulator.js';
import { pms5003 } from '../../../drivers/serial/pms5003/index.js';
import { Pms5003Simulator } from '../../../drivers/serial/pms5003/simulator.js';
import { sds011 } from '../../../drivers/serial/sds011/index.js';
import { Sds011Simulator } from '../../../drivers/serial/sds011/simulator.js';
import type { SerialSimDevice } from '../../../drivers/sim/serial-device.js';
import { SerialPortSimHost } from '../../../drivers/sim/serial-port-host.js';
import type { DeviceCommon, DeviceDefinition, Driver } from '../../../drivers/types.js';
import { RunningDevice } from '../../../firmware/device/running-device.js';
import { FaultRegistry } from '../../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import type { Sample } from '../../../firmware/reading.js';
import { deviceContext, deviceOptions, silentLog } from '../../helpers/drivers.js';
import { PtyPair } from '../../helpers/pty.js';
import { readRealtime, readUntilValues, until, value } from '../../helpers/serial.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

/** A simulator on the device end of a fresh pty pair, speaking at `baud` through the native binding. */
async function simOnPty(sim: SerialSimDevice, baud = 9600): Promise<{ pty: PtyPair; host: SerialPortSimHost; restart: () => Promise<SerialPortSimHost> }> {
  const pty = await PtyPair.open();
  const start = async (): Promise<SerialPortSimHost> => {
    const h = new SerialPortSimHost(sim, openRealSerialLink({ path: pty.devicePath, baudRate: baud, owner: 'sim' }), 5);
    await h.start();
    cleanup.push(() => h.stop());
    return h;
  };
  const host = await start();
  cleanup.push(() => pty.stop());
  return { pty, host, restart: start };
}

function driverOn<O extends DeviceCommon>(def: DeviceDefinition<O>, port: string, entry: Record<string, unknown>, hub: SerialHub, clock: Clock, id = 'dut'): Driver {
  const o = deviceOptions(def, { id, port, ...entry });
  const d = def.create(o, deviceContext(clock, { serial: hub }, [], id));
  cleanup.push(async () => d.close?.());
  return d;
}

describe('serial drivers over a socat pty pair and the native binding', { timeout: 60_000 }, () => {
  it('PMS5003 at 9600 Bd: active mode streams, passive mode answers READ; values exact', async () => {
    const clock = new SystemClock();
    const sim = new Pms5003Simulator(clock, 30, true);
    const { pty } = await simOnPty(sim);
    const driver = driverOn(pms5003, pty.hostPath, { warmup: 0 }, new SerialHub(), clock);
    await driver.init();
    sim.setChannel('pm2_5', 35);
    sim.setChannel('pm10', 52);
    const v = await readUntilValues(driver, (x) => value(x, 'pm2_5') === 35 && value(x, 'pm10') === 52);
    expect(value(v, 'pm2_5_cf1')).toBe(38); // 30 + (35 − 30) × 1.5: the simulator's CF=1 relation
    expect(driver.describe()).toMatchObject({ modeAcknowledged: true, checksumErrors: 0 });

    const passiveSim = new Pms5003Simulator(clock, 30, true);
    const p2 = await simOnPty(passiveSim);
    const passive = driverOn(pms5003, p2.pty.hostPath, { warmup: 0, mode: 'passive' }, new SerialHub(), clock);
    await passive.init();
    await until(() => passiveSim.currentMode === 'passive', 2000, 'passive mode');
    passiveSim.setChannel('pm2_5', 12);
    const before = passiveSim.sent;
    expect(value(await readRealtime(passive), 'pm2_5')).toBe(12);
    expect(passiveSim.sent).toBe(before + 1);
    expect(passiveSim.violations).toEqual([]);
  });

  it('PMS5003 drops readings during the fan warm-up after init', async () => {
    const sim = new Pms5003Simulator(new SystemClock(), 30, true);
    const { pty } = await simOnPty(sim);
    // the driver keeps time on a clock the test moves: the warm-up ends at exactly 1500 ms of it,
    // however late a loaded machine delivers the frames
    const clock = new ManualClock();
    const driver = driverOn(pms5003, pty.hostPath, { warmup: 1500 }, new SerialHub(), clock);
    await driver.init();
    await until(() => Number(driver.describe().frames) >= 3, 10_000, 'frames from the part');
    clock.mono = 1499; // frames are arriving, but the fan has not settled
    expect(await readRealtime(driver)).toEqual([]);
    expect(driver.describe()).toMatchObject({ warmingUp: true, checksumErrors: 0 });
    clock.mono = 1500;
    await readUntilValues(driver, () => true, 10_000);
  });

  it('SDS011 at 9600 Bd: streamed frames, then query mode', async () => {
    const clock = new SystemClock();
    const sim = new Sds011Simulator(clock, 30);
    const { pty } = await simOnPty(sim);
    const driver = driverOn(sds011, pty.hostPath, {}, new SerialHub(), clock);
    await driver.init();
    sim.setChannel('pm2_5', 123.6);
    sim.setChannel('pm10', 261.8);
    await readUntilValues(driver, (x) => value(x, 'pm2_5') === 123.6 && value(x, 'pm10') === 261.8);
    expect(driver.describe()).toMatchObject({ sensorId: 'a160' });

    const qsim = new Sds011Simulator(clock, 30);
    const q = await simOnPty(qsim);
    const query = driverOn(sds011, q.pty.hostPath, { mode: 'query' }, new SerialHub(), clock);
    await query.init();
    await until(() => qsim.reportingMode === 'query', 2000, 'query mode');
    qsim.setChannel('pm10', 77.7);
    expect(value(await readRealtime(query), 'pm10')).toBe(77.7);
  });

  // answer timeouts are real time over a real pty: 1 s, so a loaded machine's late answer is not
  // taken for a silent part (the silent cases wait them out; the asserted counts stay exact)
  it('MH-Z19B at 9600 Bd: request/response, range and ABC set at init; timeouts retried a bounded number of times', async () => {
    const clock = new SystemClock();
    const sim = new Mhz19bSimulator(clock);
    const { pty } = await simOnPty(sim);
    const driver = driverOn(mhz19b, pty.hostPath, { warmup: 0, abc: false, range: 2000, responseTimeout: 1000, retries: 2 }, new SerialHub(), clock);
    await driver.init();
    await until(() => sim.rangePpm === 2000 && !sim.abc, 2000, 'range and ABC commands');
    sim.setChannel('co2', 1234);
    expect(await readRealtime(driver)).toEqual([{ channel: 'co2', value: 1234 }]);
    sim.setChannel('co2', 2600);
    expect(value(await readRealtime(driver), 'co2')).toBe(2000); // clipped to the detection range, as the part does

    sim.faults.silent = true;
    const t0 = performance.now();
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT', retryable: true, details: { attempts: 3 } });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3 * 1000 - 20); // a timeout never ends early
    sim.faults.silent = false;
    sim.faults.corruptNext = 3;
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'SERIAL_CHECKSUM', details: { attempts: 3 } });
    sim.faults.corruptNext = 1; // one bad answer, the retry gets a good one
    expect(value(await readRealtime(driver), 'co2')).toBe(2000);
    expect(sim.violations).toEqual([]);
  });

  it('GPS at 9600 Bd: no fix, then a fix; a valid RMC marks the clock trusted by GPS', async () => {
    const clock = new SystemClock();
    expect(clock.timeSource()).not.toBe('gps');
    const sim = new NmeaGpsSimulator(clock, 30, 0);
    sim.loseFix(); // indoors: time from the receiver's RTC, no position, status V
    sim.setChannel('latitude', -33.8568);
    sim.setChannel('longitude', 151.2153);
    const { pty } = await simOnPty(sim);
    const driver = driverOn(nmeaGps, pty.hostPath, {}, new SerialHub(), clock);
    await driver.init();
    const noFix = await readUntilValues(driver, () => true);
    expect(value(noFix, 'fix_quality')).toBe(0);
    expect(noFix.find((v) => v.channel === 'latitude')).toBeUndefined();
    expect(clock.timeSource()).not.toBe('gps');
    sim.restoreFix(); // carried outside
    const fix = await readUntilValues(driver, (x) => x.some((v) => v.channel === 'latitude'), 3000);
    expect(value(fix, 'latitude')).toBeCloseTo(-33.8568, 5);
    expect(value(fix, 'longitude')).toBeCloseTo(151.2153, 5);
    expect(value(fix, 'satellites')).toBe(8);
    // the GGA with the position can be read before the RMC of the same second: wait for the RMC
    await until(() => clock.timeSource() === 'gps', 10_000, 'the clock trusted by the RMC');
    // the receiver's time was taken from this wall clock when the sentence was sent, so it can
    // only be behind by the trip (AGREE_MS at most, or the clock would not be trusted), never ahead
    const offset = (driver.describe() as { clockOffsetMs: number }).clockOffsetMs;
    expect(offset).toBeLessThanOrEqual(10); // the sentence's 10 ms resolution
    expect(offset).toBeGreaterThanOrEqual(-AGREE_MS);
  });

  it('Modbus RTU: a simulated slave on a pty serves the register map; exceptions and CRC errors become typed faults', async () => {
    const clock = new SystemClock();
    const registers = [
      { name: 'voltage', function: 4, address: 0, type: 'float32', unit: 'V' },
      { name: 'current', function: 4, address: 2, type: 'float32', order: 'CDAB', unit: 'A' },
      { name: 'energy', function: 3, address: 40, type: 'uint32', scale: 0.01, unit: 'kWh' },
      { name: 'temperature', function: 3, address: 50, type: 'int16', scale: 0.1, unit: '°C' },
    ];
    const o = deviceOptions(modbusRtu, { port: '/dev/null', unit: 7, registers });
    const sim = new ModbusSlaveSimulator(clock, 7, o.registers);
    const { pty } = await simOnPty(sim);
    const driver = driverOn(modbusRtu, pty.hostPath, { unit: 7, registers, responseTimeout: 1000, retries: 1 }, new SerialHub(), clock);
    await driver.init();
    sim.setChannel('voltage', 230.5);
    sim.setChannel('current', 3.25);
    sim.setChannel('energy', 98765.43);
    sim.setChannel('temperature', -12.3);
    const v = await readRealtime(driver);
    expect(value(v, 'voltage')).toBe(230.5);
    expect(value(v, 'current')).toBe(3.25);
    expect(value(v, 'energy')).toBeCloseTo(98765.43, 6);
    expect(value(v, 'temperature')).toBeCloseTo(-12.3, 6);
    expect(driver.describe()).toMatchObject({ requestsPerRead: 3 });

    sim.exceptionNext(2);
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION', retryable: false, details: { exception: 2, unit: 7 } });
    sim.exceptionNext(6);
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION', retryable: true, details: { exception: 6 } });
    sim.faults.corruptNext = 2;
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'SERIAL_CHECKSUM' });
    sim.faults.silent = true;
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT', details: { attempts: 2 } });
    sim.faults.silent = false;
    expect(value(await readRealtime(driver), 'voltage')).toBe(230.5);
  });

  it('Modbus RTU: two meters on one RS-485 line share the port, each answering its own unit id', async () => {
    const clock = new SystemClock();
    const regs = (name: string): Record<string, unknown>[] => [{ name, function: 3, address: 0, type: 'uint16' }];
    const a = deviceOptions(modbusRtu, { id: 'meter-a', port: '/dev/null', unit: 1, registers: regs('a') });
    const b = deviceOptions(modbusRtu, { id: 'meter-b', port: '/dev/null', unit: 2, registers: regs('b') });
    const line = new ModbusSlaveSimulator(clock, 1, a.registers);
    line.merge(new ModbusSlaveSimulator(clock, 2, b.registers));
    line.setChannel('a', 111);
    line.setChannel('b', 222);
    const { pty } = await simOnPty(line);
    const hub = new SerialHub();
    cleanup.push(() => hub.close());
    const da = driverOn(modbusRtu, pty.hostPath, { unit: 1, registers: regs('a'), responseTimeout: 1000 }, hub, clock, 'meter-a');
    const db = driverOn(modbusRtu, pty.hostPath, { unit: 2, registers: regs('b'), responseTimeout: 1000 }, hub, clock, 'meter-b');
    await da.init();
    await db.init();
    const [va, vb] = await Promise.all([readRealtime(da), readRealtime(db)]);
    expect(va).toEqual([{ channel: 'a', value: 111 }]);
    expect(vb).toEqual([{ channel: 'b', value: 222 }]);
    expect(line.served.get(1)).toBe(1);
    expect(line.served.get(2)).toBe(1);
  });

  it('a streaming part that stops sending raises SERIAL_NO_DATA after staleAfter', async () => {
    const sim = new Pms5003Simulator(new SystemClock(), 30, true);
    const { pty } = await simOnPty(sim);
    // silence is measured on the driver's clock, which the test moves: exactly staleAfter
    const clock = new ManualClock();
    const driver = driverOn(pms5003, pty.hostPath, { warmup: 0, staleAfter: 600 }, new SerialHub(), clock);
    await driver.init();
    await readUntilValues(driver, () => true);
    sim.faults.silent = true; // fan stalled / sensor unpowered: the port stays, the frames stop
    // the frames already on the wire arrive (at clock 0); then nothing more comes
    const frames = (): number => Number(driver.describe().frames);
    for (let last = -1, same = 0; same < 3; await sleep(100)) {
      same = frames() === last ? same + 1 : 0;
      last = frames();
    }
    await readRealtime(driver);
    clock.mono = 600;
    expect(await readRealtime(driver)).toEqual([]); // within staleAfter: nothing new, no fault yet
    clock.mono = 601;
    await expect(readRealtime(driver)).rejects.toMatchObject({ code: 'SERIAL_NO_DATA', retryable: true, details: { silentMs: 601, staleAfter: 600 } });
  });
});

describe('unplug under the device runner', () => {
  it('the unplugged device faults, the others keep sampling, and readings resume when the pty returns', async () => {
    const clock = new SystemClock({ assumeTrusted: true });
    const scheduler = new Scheduler();
    cleanup.push(async () => scheduler.stop());
    const faults = new FaultRegistry(clock);
    const samples: Sample[] = [];
    const hub = new SerialHub();
    const pmsSim = new Pms5003Simulator(clock, 20, true);
    const gpsSim = new NmeaGpsSimulator(clock, 20, 0);
    const co2Sim = new Mhz19bSimulator(clock);
    const pms = await simOnPty(pmsSim);
    const gps = await simOnPty(gpsSim);
    const co2 = await simOnPty(co2Sim);
    const runners = [
      { def: pms5003, id: 'dust', port: pms.pty.hostPath, entry: { warmup: 0, staleAfter: 500 } },
      { def: nmeaGps, id: 'gps', port: gps.pty.hostPath, entry: {} },
      { def: mhz19b, id: 'co2', port: co2.pty.hostPath, entry: { warmup: 0, responseTimeout: 100, retries: 1 } },
    ].map(({ def, id, port, entry }) => {
      const o = deviceOptions(def as DeviceDefinition<DeviceCommon>, { id, port, interval: 100, ...entry });
      const driver = (def as DeviceDefinition<DeviceCommon>).create(o, deviceContext(clock, { serial: hub }, [], id));
      const r = new RunningDevice(
        driver,
        { id, type: def.type, intervalMs: 100, phaseMs: 0, timeoutMs: 400, failAfter: 2, backoffMinMs: 150, backoffMaxMs: 400 },
        { scheduler, clock, faults, sink: (s) => samples.push(s), log: silentLog },
      );
      cleanup.push(() => r.stop());
      r.start();
      return r;
    });
    const [dust] = runners;
    const count = (dev: string, from: number): number => samples.slice(from).filter((s) => s.device === dev && s.values.length > 0).length;
    await until(() => ['dust', 'gps', 'co2'].every((d) => count(d, 0) >= 2), 5000, 'all three sampling');

    await pms.pty.stop(); // cable pulled mid-stream
    await until(() => faults.active().some((f) => f.code === 'SERIAL_PORT_LOST' && f.subject === 'dust'), 3000, 'SERIAL_PORT_LOST on dust');
    // from the loss on, no dust reading (a read in flight at the kill may still deliver its frame)
    const cut = samples.length;
    await until(() => dust?.state === 'failed', 3000, 'dust failed');
    // the others carry on (counted, not timed: a loaded machine only makes this take longer)
    await until(() => count('gps', cut) >= 3 && count('co2', cut) >= 3, 15_000, 'gps and co2 sampling on');
    expect(count('dust', cut)).toBe(0);

    await pms.pty.start(); // plugged back in: same path
    await pms.restart();
    const back = samples.length;
    await until(() => count('dust', back) >= 2, 5000, 'dust sampling again');
    expect(dust?.state).toBe('ok');
    expect(faults.active().some((f) => f.subject === 'dust')).toBe(false);
  });
});
