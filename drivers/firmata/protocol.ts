/**
 * Firmata 2.x wire protocol, the part StandardFirmata speaks (firmata/protocol, protocol.md).
 * MIDI-style messages: a command byte (bit 7 set) followed by 7-bit data bytes; 14-bit values
 * go LSB first: value = lsb | msb << 7. Example: analog channel 0 reading 512 is E0 00 04.
 */
export const CMD = {
  DIGITAL_MESSAGE: 0x90, // 0x90 | port, lsb, msb: 8 pin levels of a port
  ANALOG_MESSAGE: 0xe0, // 0xE0 | channel (report) or pin (PWM write), lsb, msb
  REPORT_ANALOG: 0xc0, // 0xC0 | channel, 0/1
  REPORT_DIGITAL: 0xd0, // 0xD0 | port, 0/1
  SET_PIN_MODE: 0xf4, // pin, mode
  SET_DIGITAL_PIN_VALUE: 0xf5, // pin, 0/1 (Firmata 2.5)
  REPORT_VERSION: 0xf9, // major, minor
  SYSTEM_RESET: 0xff,
  START_SYSEX: 0xf0,
  END_SYSEX: 0xf7,
} as const;

export const SYSEX = {
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  PIN_STATE_QUERY: 0x6d,
  PIN_STATE_RESPONSE: 0x6e,
  EXTENDED_ANALOG: 0x6f,
  STRING_DATA: 0x71,
  REPORT_FIRMWARE: 0x79,
  SAMPLING_INTERVAL: 0x7a,
} as const;

/** Pin modes (protocol.md "pin modes"); a capability response lists (mode, resolution) pairs. */
export const MODE = {
  INPUT: 0x00,
  OUTPUT: 0x01,
  ANALOG: 0x02,
  PWM: 0x03,
  SERVO: 0x04,
  I2C: 0x06,
  PULLUP: 0x0b,
} as const;

export const MODE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'INPUT',
  0x01: 'OUTPUT',
  0x02: 'ANALOG',
  0x03: 'PWM',
  0x04: 'SERVO',
  0x06: 'I2C',
  0x0b: 'PULLUP',
};

/** The protocol version StandardFirmata 2.5.x reports. */
export const PROTOCOL_VERSION = { major: 2, minor: 5 } as const;

export function lsb(v: number): number {
  return v & 0x7f;
}
export function msb(v: number): number {
  return (v >> 7) & 0x7f;
}

/** Sysex strings are 8-bit chars split into two 7-bit bytes each: "S" (0x53) → 53 00. */
export function encode7bitString(s: string): number[] {
  const out: number[] = [];
  for (const c of Buffer.from(s, 'latin1')) out.push(c & 0x7f, (c >> 7) & 0x7f);
  return out;
}

/** Bytes each command needs after the command byte (sysex is framed by F0 … F7 instead). */
export function dataLength(command: number): number | undefined {
  const hi = command & 0xf0;
  if (hi === CMD.DIGITAL_MESSAGE || hi === CMD.ANALOG_MESSAGE) return 2;
  if (hi === CMD.REPORT_ANALOG || hi === CMD.REPORT_DIGITAL) return 1;
  if (command === CMD.SET_PIN_MODE || command === CMD.SET_DIGITAL_PIN_VALUE) return 2;
  if (command === CMD.REPORT_VERSION || command === CMD.SYSTEM_RESET) return 0;
  return undefined;
}
