/**
 * The GPS as a time source: a date from before the clock's floor (build date, last run) is a
 * week rollover and gets 1024-week periods added, as gpsd does; a date years after the floor
 * raises GPS_DATE_IMPLAUSIBLE and never marks the clock trusted; and a plausible GPS time marks
 * the clock trusted only when the box's wall clock agrees with it (edgefw does not set the clock).
 */
import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../../drivers/bus/clock.js';
import { nmeaGps } from '../../../drivers/serial/nmea-gps/index.js';
import { GPS_ROLLOVER_MS, correctRollover } from '../../../drivers/serial/nmea-gps/parser.js';
import { NmeaGpsSimulator } from '../../../drivers/serial/nmea-gps/simulator.js';
import { FIRMWARE_DATE_MS } from '../../../firmware/version.js';
import { mockSerialRig, readUntilValues } from '../../helpers/serial.js';

const DAY = 86_400_000;

function rig(utcOffsetMs: number) {
  const clock = new SystemClock({ floorMs: Date.now() - DAY });
  const r = mockSerialRig(nmeaGps, { staleAfter: 2000 }, (c) => {
    const s = new NmeaGpsSimulator(c, 40, 0);
    s.utcOffsetMs = utcOffsetMs;
    return s;
  }, clock);
  return { ...r, clock };
}

const describeOf = (d: { describe(): Readonly<Record<string, unknown>> }) => d.describe() as { gpsTime?: string; rollovers?: number; clockOffsetMs?: number };

describe('GPS time and the week rollover', () => {
  it('1024 weeks = 7168 days; a date before the floor is moved forward in whole periods', () => {
    expect(GPS_ROLLOVER_MS).toBe(7168 * DAY);
    const apr2019 = Date.UTC(1999, 7, 22, 0, 2, 31, 420); // what a Telit HE910 sent on 2019-04-07
    expect(new Date(correctRollover(apr2019, Date.UTC(2019, 0, 1)).ms).toISOString()).toBe('2019-04-07T00:02:31.420Z');
    // with this firmware's date as the floor the same sentence lands in 2038: years ahead, refused below
    const now = correctRollover(apr2019, FIRMWARE_DATE_MS);
    expect(now.rollovers).toBe(2);
    expect(new Date(now.ms).getUTCFullYear()).toBe(2038);
    expect(correctRollover(apr2019, undefined)).toEqual({ ms: apr2019, rollovers: 0 });
  });

  it('a receiver 1024 weeks behind is corrected and, agreeing with the wall clock, trusted', async () => {
    const { driver, clock, sim } = rig(-GPS_ROLLOVER_MS);
    expect(clock.timeSource()).toBe('none');
    await driver.init();
    await readUntilValues(driver, (v) => v.some((x) => x.channel === 'latitude'));
    await readUntilValues(driver, () => clock.timeSource() === 'gps', 2000);
    const d = describeOf(driver);
    expect(d.rollovers).toBe(1);
    expect(Math.abs(d.clockOffsetMs ?? Number.NaN)).toBeLessThan(1000);
    expect(driver.conditions?.()).toEqual([]);
    expect(sim.violations).toEqual([]);
    await driver.close?.();
  });

  it('a date twelve years ahead raises GPS_DATE_IMPLAUSIBLE and the clock stays untrusted', async () => {
    const { driver, clock } = rig(12 * 365 * DAY);
    await driver.init();
    await readUntilValues(driver, (v) => v.some((x) => x.channel === 'latitude'));
    await readUntilValues(driver, () => (driver.conditions?.().length ?? 0) > 0, 2000);
    expect(driver.conditions?.()).toEqual([{ code: 'GPS_DATE_IMPLAUSIBLE', message: expect.stringMatching(/^dut: GPS date 20\d\d-\d\d-\d\d is 12\.0 years after what this box knows/) }]);
    expect(clock.timeSource()).toBe('none');
    await driver.close?.();
  });

  it('a plausible GPS time that the wall clock disagrees with (2 h) does not make the wall clock trusted', async () => {
    const { driver, clock } = rig(2 * 3600_000);
    await driver.init();
    await readUntilValues(driver, (v) => v.some((x) => x.channel === 'latitude'));
    await readUntilValues(driver, () => describeOf(driver).clockOffsetMs !== undefined, 2000);
    expect(describeOf(driver).clockOffsetMs).toBeGreaterThan(2 * 3600_000 - 2000);
    expect(driver.conditions?.()).toEqual([]);
    expect(clock.timeSource()).toBe('none');
    await driver.close?.();
  });
});
