import { describe, expect, it } from 'vitest';
import { parseProfileText } from '../../config/load.js';
import { problemsInText as problems } from '../helpers/profiles.js';

const HEAD = `
box: { id: kiosk-7 }
buses:
  i2c:
    - { name: i2c1, simulated: true }
    - { name: i2c3, simulated: true }
devices:
`;

describe('profiles with the I²C device family', () => {
  it('two devices on one address of one bus is a profile error naming both', () => {
    // an INA219 strapped A0 = SDA sits at 0x44, where the SHT3x with ADDR low already is
    const p = problems(`${HEAD}
  - { id: climate, type: sht3x, bus: i2c1, address: 0x44 }
  - { id: supply, type: ina219, bus: i2c1, address: 0x44 }
`);
    expect(p).toEqual(['devices[1].address: 0x44 on i2c1 is already taken by device "climate"']);
  });

  it('the same address on two buses, or next to a disabled device, is fine', () => {
    const profile = parseProfileText(`${HEAD}
  - { id: climate, type: sht3x, bus: i2c1, address: 0x44 }
  - { id: supply, type: ina219, bus: i2c3, address: 0x44 }
  - { id: spare, type: ina219, bus: i2c1, address: 0x44, enabled: false }
  - { id: light, type: bh1750, bus: i2c1 }
  - { id: co2, type: scd4x, bus: i2c1 }
`);
    expect(profile.devices.map((d) => [d.id, (d as { address?: number }).address])).toEqual([
      ['climate', 0x44],
      ['supply', 0x44],
      ['spare', 0x44],
      ['light', 0x23],
      ['co2', 0x62],
    ]);
  });

  it('device-specific mistakes are named by path', () => {
    const p = problems(`${HEAD}
  - { id: co2, type: scd4x, bus: i2c1, interval: 2s }
  - { id: adc, type: ads1115, bus: i2c1, inputs: [{ name: noise, input: ain5 }] }
  - { id: supply, type: ina219, bus: i2c1, shunt: { ohms: 0.1, maxCurrent: 4 } }
  - { id: light, type: bh1750, bus: i2c1, resolution: ultra }
`);
    expect(p).toEqual([
      'devices[0].interval: interval (the SCD4x measures every 5 s) 2000 ms is outside 5000..86400000 ms',
      expect.stringMatching(/^devices\[1\]\.inputs\[0\]\.input: "ain5" is not one of "ain0-ain1", /),
      'devices[2].shunt: maxCurrent 4 A × 0.1 Ω = 400.0 mV exceeds the INA219 shunt range of ±320 mV; use a smaller shunt',
      'devices[3].resolution: "ultra" is not one of "high", "high2", "low"',
    ]);
  });

  it('a timeout shorter than the conversions a read waits for is refused, with the sum', () => {
    const p = problems(`${HEAD}
  - id: adc
    type: ads1115
    bus: i2c1
    dataRate: 8
    inputs: [{ name: a, input: ain0 }, { name: b, input: ain1 }, { name: c, input: ain2 }, { name: d, input: ain3 },
             { name: e, input: ain0-ain1 }, { name: f, input: ain0-ain3 }, { name: g, input: ain1-ain3 }, { name: h, input: ain2-ain3 }]
  - { id: light, type: bh1750, bus: i2c1, mtreg: 254, timeout: 500ms }
  - { id: supply, type: ina219, bus: i2c1, samples: 128, timeout: 100ms }
`);
    expect(p).toEqual([
      'devices[0].timeout: 1000 ms is shorter than one read takes (1144 ms: 8 inputs × 143 ms at 8 SPS); set timeout to at least 1144 ms',
      'devices[1].timeout: 500 ms is shorter than one read takes (663 ms: high resolution at MTreg 254); set timeout to at least 663 ms',
      'devices[2].timeout: 100 ms is shorter than one read takes (155 ms: shunt and bus conversions averaging 128 samples); set timeout to at least 155 ms',
    ]);
  });

  it('ADS1115 channels come from the declared inputs', () => {
    const p = problems(`${HEAD}
  - id: adc
    type: ads1115
    bus: i2c1
    inputs: [{ name: noise, input: ain0 }]
    channels: { soil: {} }
`);
    expect(p).toEqual(['devices[0].channels.soil: a ads1115 has no channel "soil" (noise)']);
  });
});
