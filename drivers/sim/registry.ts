import type { Clock } from '../bus/clock.js';
import type { DeviceCommon } from '../types.js';
import type { I2cSimDevice } from './i2c-target.js';
import type { SerialSimDevice } from './serial-device.js';
import { Ads1115Simulator } from '../i2c/ads1115/simulator.js';
import type { Ads1115Options } from '../i2c/ads1115/schema.js';
import { Bh1750Simulator } from '../i2c/bh1750/simulator.js';
import type { Bh1750Options } from '../i2c/bh1750/schema.js';
import { Bme280Simulator } from '../i2c/bme280/simulator.js';
import type { Bme280Options } from '../i2c/bme280/schema.js';
import { Ina219Simulator } from '../i2c/ina219/simulator.js';
import type { Ina219Options } from '../i2c/ina219/schema.js';
import { Scd4xSimulator } from '../i2c/scd4x/simulator.js';
import { Sht3xSimulator } from '../i2c/sht3x/simulator.js';
import { Mhz19bSimulator } from '../serial/mhz19b/simulator.js';
import { ModbusSlaveSimulator } from '../serial/modbus-rtu/simulator.js';
import type { ModbusRtuOptions } from '../serial/modbus-rtu/schema.js';
import { NmeaGpsSimulator } from '../serial/nmea-gps/simulator.js';
import { Pms5003Simulator } from '../serial/pms5003/simulator.js';
import { Sds011Simulator } from '../serial/sds011/simulator.js';

/**
 * The simulator layer's registry: for each device type, the register-level (I²C) or protocol
 * (serial) simulator that stands in for the part when its bus or entry says `simulated`.
 *
 * It is not part of the driver contract (drivers/types.ts) and no production module imports it:
 * the composition root loads it dynamically only when a profile simulates something
 * (firmware/simulation.ts), and tools, benchmarks and tests import it directly. A box with real
 * parts never loads a simulator. Simulators stay beside their driver (drivers/<bus>/<part>/
 * simulator.ts); a new simulated part is one line here.
 */
export interface I2cSimulatorInfo<O extends DeviceCommon = DeviceCommon> {
  readonly bus: 'i2c';
  create(options: O, clock: Clock): I2cSimDevice;
}

export interface SerialSimulatorInfo<O extends DeviceCommon = DeviceCommon> {
  readonly bus: 'serial';
  create(options: O, clock: Clock): SerialSimDevice;
  /** The demo's world model leaves this simulator alone (a kiosk's GPS does not wander). */
  readonly stationary?: boolean;
}

export type SimulatorInfo<O extends DeviceCommon = DeviceCommon> = I2cSimulatorInfo<O> | SerialSimulatorInfo<O>;

const i2c = <O extends DeviceCommon>(create: (o: O, clock: Clock) => I2cSimDevice): I2cSimulatorInfo<O> => ({ bus: 'i2c', create });
const serial = <O extends DeviceCommon>(create: (o: O, clock: Clock) => SerialSimDevice, stationary = false): SerialSimulatorInfo<O> => ({ bus: 'serial', create, stationary });

/** Simulators by device type. Firmata boards are simulated by drivers/firmata (FirmataScene); GPIO by drivers/sim/gpio-chip.ts. */
export const SIMULATORS: Readonly<Record<string, SimulatorInfo<DeviceCommon & any>>> = {
  bme280: i2c<Bme280Options>((o, clock) => new Bme280Simulator(clock, o.variant)),
  sht3x: i2c((_o, clock) => new Sht3xSimulator(clock)),
  bh1750: i2c<Bh1750Options>((o, clock) => new Bh1750Simulator(clock, { resolution: o.resolution, mtreg: o.mtreg })),
  ads1115: i2c<Ads1115Options>((o, clock) => new Ads1115Simulator(clock, o.inputs)),
  ina219: i2c<Ina219Options>((o, clock) => new Ina219Simulator(clock, o)),
  scd4x: i2c((_o, clock) => new Scd4xSimulator(clock)),
  pms5003: serial((_o, clock) => new Pms5003Simulator(clock)),
  sds011: serial((_o, clock) => new Sds011Simulator(clock)),
  mhz19b: serial((_o, clock) => new Mhz19bSimulator(clock)),
  'nmea-gps': serial((_o, clock) => new NmeaGpsSimulator(clock), true),
  'modbus-rtu': serial<ModbusRtuOptions>((o, clock) => new ModbusSlaveSimulator(clock, o.unit, o.registers, o.baud)),
};

/** The register-level simulator of an I²C device type, or undefined if it has none. */
export function i2cSimulator<O extends DeviceCommon>(type: string): I2cSimulatorInfo<O> | undefined {
  const s = SIMULATORS[type];
  return s?.bus === 'i2c' ? (s as I2cSimulatorInfo<O>) : undefined;
}

/** The protocol simulator of a serial device type, or undefined if it has none. */
export function serialSimulator<O extends DeviceCommon>(type: string): SerialSimulatorInfo<O> | undefined {
  const s = SIMULATORS[type];
  return s?.bus === 'serial' ? (s as SerialSimulatorInfo<O>) : undefined;
}

/** A new simulator for one profile entry, as the registry makes it (tests, tools). */
export function simulatorFor(entry: DeviceCommon, clock: Clock): I2cSimDevice | SerialSimDevice {
  const s = SIMULATORS[entry.type];
  if (!s) throw new Error(`device type ${entry.type} has no simulator`);
  return s.create(entry as never, clock);
}
