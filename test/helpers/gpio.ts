import { ManualClock } from '../../drivers/bus/clock.js';
import { SimulatedGpioChip } from '../../drivers/sim/gpio-chip.js';
import type { ChannelValue, DeviceCommon, DeviceDefinition, Driver } from '../../drivers/types.js';
import { deviceContext, deviceOptions } from './drivers.js';

export interface GpioRig<O extends DeviceCommon> {
  readonly clock: ManualClock;
  readonly chip: SimulatedGpioChip;
  readonly driver: Driver;
  readonly options: O;
  readonly emitted: ChannelValue[][];
  /** emitted values of one channel, in order */
  pushed(channel: string): number[];
}

export function gpioRig<O extends DeviceCommon>(def: DeviceDefinition<O>, entry: Record<string, unknown>, chip = new SimulatedGpioChip('hdr')): GpioRig<O> {
  const clock = new ManualClock();
  const emitted: ChannelValue[][] = [];
  const options = deviceOptions(def, { ...def.example, bus: chip.name, ...entry });
  const driver = def.create(options, deviceContext(clock, { gpio: chip }, emitted));
  return {
    clock,
    chip,
    driver,
    options,
    emitted,
    pushed: (channel) => emitted.flat().filter((v) => v.channel === channel).map((v) => v.value),
  };
}

export function valueOf(values: readonly ChannelValue[], channel: string): number | undefined {
  return values.find((v) => v.channel === channel)?.value;
}
