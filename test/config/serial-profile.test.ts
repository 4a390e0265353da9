/** Serial device entries in a profile: every mistake named with its path and what is allowed. */
import { describe, expect, it } from 'vitest';
import { ProfileError, parseProfileText } from '../../config/load.js';

function problems(devices: string): readonly string[] {
  try {
    parseProfileText(`box: { id: kiosk-7 }\ndevices:\n${devices}`, 'serial.yaml');
  } catch (e) {
    if (e instanceof ProfileError) return e.problems;
    throw e;
  }
  throw new Error('profile was accepted');
}

const BY_ID = '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1ABC-if00-port0';

describe('serial device entries', () => {
  it('accepts each serial type with its defaults', () => {
    const p = parseProfileText(
      `box: { id: kiosk-7 }
devices:
  - { id: dust, type: pms5003, port: ${BY_ID} }
  - { id: pm, type: sds011, port: /dev/ttyUSB1, mode: query }
  - { id: co2, type: mhz19b, port: /dev/ttyAMA0, abc: false }
  - { id: gps, type: nmea-gps, port: /dev/ttyACM0 }
  - id: meter
    type: modbus-rtu
    port: /dev/ttyUSB2
    parity: even
    registers:
      - { name: voltage, function: 4, address: 0, type: float32, unit: V }
`,
      'serial.yaml',
    );
    expect(p.devices.map((d) => [d.id, (d as { baud?: number }).baud])).toEqual([
      ['dust', 9600],
      ['pm', 9600],
      ['co2', 9600],
      ['gps', 9600],
      ['meter', 9600],
    ]);
    expect(p.devices[0]).toMatchObject({ mode: 'active', warmup: 30_000, staleAfter: 10_000, simulated: false });
    expect(p.devices[2]).toMatchObject({ range: 5000, warmup: 180_000, responseTimeout: 300, retries: 2 });
    expect(p.devices[4]).toMatchObject({ unit: 1, stopBits: 1, registers: [{ name: 'voltage', function: 4, order: 'ABCD', scale: 1, offset: 0 }] });
  });

  it('names bad ports, baud rates and modes', () => {
    expect(
      problems(`  - { id: a, type: pms5003, port: ttyUSB0 }
  - { id: b, type: pms5003, port: /dev/ttyUSB1, baud: 115200 }
  - { id: c, type: sds011, port: /dev/ttyUSB2, mode: passive, workPeriod: 45 }
  - { id: d, type: mhz19b, port: /dev/ttyUSB3, range: 3000 }
  - { id: e, type: nmea-gps, port: /dev/ttyUSB4, baud: 9601 }
`),
    ).toEqual([
      'devices[0].port: "ttyUSB0" is not a serial device path (write /dev/serial/by-id/… or /dev/ttyUSB0)',
      'devices[1].baud: 115200 is not one of 9600',
      'devices[2].mode: "passive" is not one of "active", "query"',
      'devices[2].workPeriod: Too big: expected number to be <=30',
      'devices[3].range: 3000 is not one of 2000, 5000, 10000',
      'devices[4].baud: 9601 is not one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200',
    ]);
  });

  it('names register-map mistakes with their index', () => {
    expect(
      problems(`  - id: meter
    type: modbus-rtu
    port: /dev/ttyUSB0
    unit: 0
    registers:
      - { name: voltage, function: 6, address: 0 }
      - { name: voltage, address: 65535, type: float32 }
      - { name: Power, address: 10, type: float64, order: ABDC }
      - { name: current, address: 20, min: 5, max: 1 }
`),
    ).toEqual([
      'devices[0].unit: Too small: expected number to be >=1',
      'devices[0].registers[0].function: 6 is not a register read function (3 = holding, 4 = input)',
      'devices[0].registers[2].name: a channel name: lower-case letters, digits and _',
      'devices[0].registers[2].type: "float64" is not one of "int16", "uint16", "int32", "uint32", "float32"',
      'devices[0].registers[2].order: "ABDC" is not one of "ABCD", "CDAB", "BADC", "DCBA"',
    ]);
    expect(
      problems(`  - id: meter
    type: modbus-rtu
    port: /dev/ttyUSB0
    timeout: 5s
    registers:
      - { name: voltage, address: 0 }
      - { name: voltage, address: 65535, type: float32 }
      - { name: current, address: 20, min: 5, max: 1 }
  - { id: meter2, type: modbus-rtu, port: /dev/ttyUSB0, unit: 2, registers: [] }
`),
    ).toEqual([
      'devices[0].registers[1].name: register name "voltage" is used twice',
      'devices[0].registers[1].address: a float32 at 65535 runs past register 65535',
      'devices[0].registers[2].max: max 1 is not above min 5',
      'devices[1].registers: a Modbus device needs at least one register',
    ]);
  });

  it('one port carries one device, except Modbus slaves at one speed', () => {
    expect(
      problems(`  - { id: dust, type: pms5003, port: /dev/ttyUSB0 }
  - { id: co2, type: mhz19b, port: /dev/ttyUSB0 }
  - { id: m1, type: modbus-rtu, port: /dev/ttyUSB1, unit: 1, registers: [{ name: v, address: 0 }] }
  - { id: m2, type: modbus-rtu, port: /dev/ttyUSB1, unit: 2, registers: [{ name: v, address: 0 }] }
  - { id: m3, type: modbus-rtu, port: /dev/ttyUSB1, unit: 3, baud: 19200, registers: [{ name: v, address: 0 }] }
  - { id: m4, type: modbus-rtu, port: /dev/ttyUSB1, unit: 2, registers: [{ name: v, address: 0 }] }
`),
    ).toEqual([
      'devices[1].port: /dev/ttyUSB0 is already used by device "dust"; only RS-485 (Modbus) devices can share a port',
      'devices[4].baud: 19200 Bd differs from device "m1" on the same line (9600 Bd)',
      'devices[5].unit: unit 2 on /dev/ttyUSB1 is already device "m2"; every slave on a line needs its own unit id',
    ]);
  });

  it('refuses a device timeout shorter than a request/response read may take with its retries', () => {
    expect(
      problems(`  - { id: co2, type: mhz19b, port: /dev/ttyUSB0, responseTimeout: 500 }
  - id: meter
    type: modbus-rtu
    port: /dev/ttyUSB1
    timeout: 2s
    registers:
      - { name: a, function: 3, address: 0 }
      - { name: b, function: 4, address: 0 }
      - { name: c, function: 4, address: 9 }
  - { id: dust, type: pms5003, port: /dev/ttyUSB2, mode: passive, responseTimeout: 400, retries: 1, timeout: 800 }
`),
    ).toEqual([
      'devices[0].timeout: 1000 ms is shorter than a read may take with its retries (1500 ms: responseTimeout × attempts × requests); set timeout to at least 1500 ms or lower responseTimeout/retries',
      'devices[1].timeout: 2000 ms is shorter than a read may take with its retries (2700 ms: responseTimeout × attempts × requests); set timeout to at least 2700 ms or lower responseTimeout/retries',
    ]);
  });
});
