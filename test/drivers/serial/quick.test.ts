import { expect, it } from 'vitest';
import { pms5003 } from '../../../drivers/serial/pms5003/index.js';
import { Pms5003Simulator } from '../../../drivers/serial/pms5003/simulator.js';
import { mockSerialRig, readUntilValues, value } from '../../helpers/serial.js';

it('pms via mock', async () => {
  const rig = mockSerialRig(pms5003, { warmup: 0 }, (c) => new Pms5003Simulator(c, 50, true));
  await rig.driver.init();
  rig.sim.setChannel('pm2_5', 35);
  rig.sim.setChannel('pm10', 50);
  const v = await readUntilValues(rig.driver);
  console.log(v);
  expect(value(v, 'pm2_5')).toBe(35);
  await rig.driver.close?.();
});
