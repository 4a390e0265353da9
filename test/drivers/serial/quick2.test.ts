import { expect, it } from 'vitest';
import { modbusRtu } from '../../../drivers/serial/modbus-rtu/index.js';
import { mhz19b } from '../../../drivers/serial/mhz19b/index.js';
import { nmeaGps } from '../../../drivers/serial/nmea-gps/index.js';
import { sds011 } from '../../../drivers/serial/sds011/index.js';
import { NmeaGpsSimulator } from '../../../drivers/serial/nmea-gps/simulator.js';
import { Sds011Simulator } from '../../../drivers/serial/sds011/simulator.js';
import { mockSerialRig, readUntilValues, readRealtime, value } from '../../helpers/serial.js';

it('modbus via mock', async () => {
  const rig = mockSerialRig(modbusRtu, { registers: [
    { name: 'voltage', function: 4, address: 0, type: 'float32', unit: 'V', min: 0, max: 300 },
    { name: 'current', function: 4, address: 6, type: 'float32', order: 'CDAB', unit: 'A' },
    { name: 'energy', function: 3, address: 100, type: 'uint32', scale: 0.01, unit: 'kWh' },
  ] });
  await rig.driver.init();
  rig.sim.setChannel('voltage', 231.5);
  rig.sim.setChannel('current', 4.25);
  rig.sim.setChannel('energy', 12345.67);
  const v = await readRealtime(rig.driver);
  console.log(v);
  expect(value(v, 'voltage')).toBeCloseTo(231.5, 4);
  expect(value(v, 'energy')).toBeCloseTo(12345.67, 4);
  (rig.sim as any).exceptionNext(2);
  await expect(readRealtime(rig.driver)).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION' });
  rig.sim.faults.corruptNext = 3;
  await expect(readRealtime(rig.driver)).rejects.toMatchObject({ code: 'SERIAL_CHECKSUM' });
  rig.sim.faults.silent = true;
  await expect(readRealtime(rig.driver)).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
});

it('mhz via mock', async () => {
  const rig = mockSerialRig(mhz19b, { warmup: 0 });
  await rig.driver.init();
  rig.sim.setChannel('co2', 812);
  const v = await readRealtime(rig.driver);
  expect(value(v, 'co2')).toBe(812);
});

it('sds via mock', async () => {
  const rig = mockSerialRig(sds011, {}, (c) => new Sds011Simulator(c, 30));
  await rig.driver.init();
  rig.sim.setChannel('pm2_5', 123.6);
  const v = await readUntilValues(rig.driver, (x) => value(x, 'pm2_5') === 123.6);
  expect(value(v, 'pm2_5')).toBe(123.6);
  const q = mockSerialRig(sds011, { mode: 'query' }, (c) => new Sds011Simulator(c, 30));
  await q.driver.init();
  q.sim.setChannel('pm10', 261.8);
  expect(value(await readRealtime(q.driver), 'pm10')).toBe(261.8);
});

it('gps via mock', async () => {
  const rig = mockSerialRig(nmeaGps, {}, (c) => new NmeaGpsSimulator(c, 30, 100));
  rig.clock.markTrusted('none');
  await rig.driver.init();
  rig.sim.setChannel('latitude', 48.1173);
  const v = await readUntilValues(rig.driver, (x) => x.some((c) => c.channel === 'latitude'));
  console.log(v, rig.driver.describe(), rig.clock.timeSource());
  expect(value(v, 'latitude')).toBeCloseTo(48.1173, 5);
});
