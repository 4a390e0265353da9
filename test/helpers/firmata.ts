import { ManualClock } from '../../drivers/bus/clock.js';
import { firmata, type FirmataDriver } from '../../drivers/firmata/index.js';
import type { FirmataOptions } from '../../drivers/firmata/schema.js';
import { attachSimulatedBoard, detachSimulatedBoard } from '../../drivers/firmata/sim-link.js';
import { FirmataSimulator } from '../../drivers/firmata/simulator.js';
import type { ChannelValue } from '../../drivers/types.js';
import { deviceContext, deviceOptions } from './drivers.js';

let boards = 0;

export interface FirmataRig {
  readonly sim: FirmataSimulator;
  readonly driver: FirmataDriver;
  readonly clock: ManualClock;
  readonly path: string;
  readonly emitted: ChannelValue[][];
  pushed(channel: string): number[];
  /** let bytes cross the mock binding (it completes reads on the next tick) */
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

/** A simulated Uno on the in-process mock binding with the real driver (johnny-five, firmata-io) on top. */
export function firmataRig(entry: Record<string, unknown>): FirmataRig {
  const path = `sim:uno-${++boards}`;
  const sim = new FirmataSimulator();
  attachSimulatedBoard(path, sim);
  const clock = new ManualClock();
  const emitted: ChannelValue[][] = [];
  const options = deviceOptions(firmata, { path, simulated: true, queryAfter: 100, ...entry }) as FirmataOptions;
  const driver = firmata.create(options, deviceContext(clock, {}, emitted)) as FirmataDriver;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    sim,
    driver,
    clock,
    path,
    emitted,
    pushed: (channel) => emitted.flat().filter((v) => v.channel === channel).map((v) => v.value),
    settle,
    async dispose() {
      await driver.close();
      detachSimulatedBoard(path);
    },
  };
}
