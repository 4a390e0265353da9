/**
 * SCD4x (SCD40 / SCD41) commands and execution times (Sensirion SCD4x datasheet, version 1.4,
 * section 3.5–3.10, table 9). Commands are 16 bits MSB first; arguments and responses are words
 * each followed by a Sensirion CRC-8.
 */

/** The only address (section 3.4). */
export const ADDRESS = 0x62;

export const CMD = {
  START_PERIODIC: 0x21b1,
  READ_MEASUREMENT: 0xec05,
  STOP_PERIODIC: 0x3f86,
  GET_DATA_READY: 0xe4b8,
  GET_SERIAL: 0x3682,
  SET_ALTITUDE: 0x2427,
  GET_ALTITUDE: 0x2322,
  SET_AMBIENT_PRESSURE: 0xe000,
  REINIT: 0x3646,
} as const;

/** Execution time, ms: the sensor NACKs a read or a new command before it has passed (table 9). */
export const EXEC_MS: Readonly<Record<number, number>> = {
  [CMD.START_PERIODIC]: 0,
  [CMD.READ_MEASUREMENT]: 1,
  [CMD.STOP_PERIODIC]: 500,
  [CMD.GET_DATA_READY]: 1,
  [CMD.GET_SERIAL]: 1,
  [CMD.SET_ALTITUDE]: 1,
  [CMD.GET_ALTITUDE]: 1,
  [CMD.SET_AMBIENT_PRESSURE]: 1,
  [CMD.REINIT]: 20,
};

/** Commands the sensor accepts while periodic measurement runs (table 9, last column). */
export const ALLOWED_WHILE_PERIODIC: ReadonlySet<number> = new Set([
  CMD.READ_MEASUREMENT,
  CMD.GET_DATA_READY,
  CMD.STOP_PERIODIC,
  CMD.SET_AMBIENT_PRESSURE,
]);

/** Periodic measurement delivers a new reading every 5 s (3.5.1). */
export const MEASUREMENT_INTERVAL_MS = 5000;

/** get_data_ready_status: data ready when the least significant 11 bits are not all 0 (3.8.2). */
export function dataReady(word: number): boolean {
  return (word & 0x07ff) !== 0;
}

/** Three serial words → the 48-bit serial number. Datasheet: 0xF896 0x9F07 0x3BBE → 273325796834238. */
export function serialNumber(words: readonly number[]): number {
  return words.reduce((acc, w) => acc * 65536 + w, 0);
}
