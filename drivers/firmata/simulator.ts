import { CMD, MODE, MODE_NAMES, PROTOCOL_VERSION, SYSEX, dataLength, encode7bitString, lsb, msb } from './protocol.js';

/** Pin table of the simulated board: what each pin can do (capability response). */
export interface SimPin {
  /** mode → resolution in bits, as the capability response reports it */
  readonly modes: ReadonlyMap<number, number>;
  /** analog channel of the pin, or undefined (127 in the mapping response) */
  readonly analogChannel?: number;
}

/**
 * Arduino Uno (ATmega328P) running StandardFirmata 2.5: digital pins 0–13, A0–A5 are pins 14–19;
 * PWM on 3, 5, 6, 9, 10, 11 (8-bit); ADC 10-bit; A4/A5 double as I²C. Pins 0/1 are the USB
 * serial link itself and StandardFirmata leaves them out of the capability list.
 */
export function unoPins(): SimPin[] {
  const pins: SimPin[] = [];
  for (let p = 0; p < 20; p++) {
    const m = new Map<number, number>();
    if (p >= 2) {
      m.set(MODE.INPUT, 1).set(MODE.OUTPUT, 1).set(MODE.PULLUP, 1);
      if ([3, 5, 6, 9, 10, 11].includes(p)) m.set(MODE.PWM, 8).set(MODE.SERVO, 14);
      if (p >= 14) m.set(MODE.ANALOG, 10);
      if (p === 18 || p === 19) m.set(MODE.I2C, 1);
    }
    pins.push(p >= 14 ? { modes: m, analogChannel: p - 14 } : { modes: m });
  }
  return pins;
}

interface PinState {
  mode: number | undefined;
  /** output level (OUTPUT), duty 0..255 (PWM) */
  value: number;
  /** level an external circuit puts on an input pin; undefined = floating */
  external: 0 | 1 | undefined;
}

/**
 * A board speaking StandardFirmata, for tests and the demo. Host bytes go in through
 * `receive()`, board bytes come out through the `send` callback (a serial port, a pty, the mock
 * binding). Refusals StandardFirmata would make (a pin mode the pin lacks, a write to a pin that
 * is not an output) are recorded in `violations`, so a driver bug fails a test.
 *
 * It owns no timer: `tick()` is one pass of the sketch's loop() — analog reports for enabled
 * channels, digital reports for ports whose inputs changed. Whoever plays the board's clock
 * (the demo world task, a test) calls it.
 *
 * Test face: `setAnalog(0, 512)` / `setVoltage(0, 2.5)`, `setInput(7, 0)`, `output(9)`,
 * `modeOf(9)`, `mute` (sketch hung: nothing answers), `reboot()` (power cycle).
 */
export class FirmataSimulator {
  readonly firmwareName = 'StandardFirmata.ino';
  readonly violations: string[] = [];
  /** host messages handled, by kind */
  readonly seen = new Map<string, number>();
  /** nothing answers and nothing is reported (sketch crashed, wrong sketch) */
  mute = false;
  send: (bytes: Uint8Array) => void = () => undefined;
  private pins: PinState[];
  private readonly analog: number[];
  private readonly reportAnalog = new Set<number>();
  private readonly reportPorts = new Set<number>();
  private readonly lastPort = new Map<number, number>();
  private buf: number[] = [];
  samplingIntervalMs = 19;

  constructor(
    private readonly table: readonly SimPin[] = unoPins(),
    /** ADC reference voltage: 5 V on an Uno */
    readonly vref = 5,
  ) {
    this.pins = table.map(() => ({ mode: undefined, value: 0, external: undefined }));
    this.analog = table.filter((p) => p.analogChannel !== undefined).map(() => 0);
  }

  /** Power-on: all pins inputs, no reporting; StandardFirmata announces itself. */
  reboot(announce = true): void {
    this.pins = this.table.map(() => ({ mode: undefined, value: 0, external: undefined }));
    this.reportAnalog.clear();
    this.reportPorts.clear();
    this.lastPort.clear();
    this.buf = [];
    if (announce) {
      this.reply([CMD.REPORT_VERSION, PROTOCOL_VERSION.major, PROTOCOL_VERSION.minor]);
      this.replyFirmware();
    }
  }

  // ---- host → board ----

  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.byte(b);
  }

  private byte(b: number): void {
    const buf = this.buf;
    if (buf[0] === CMD.START_SYSEX) {
      if (b === CMD.END_SYSEX) {
        this.sysex(buf.slice(1));
        this.buf = [];
      } else if (b & 0x80) {
        this.violation(`sysex 0x${(buf[1] ?? 0).toString(16)} interrupted by command byte 0x${b.toString(16)}`);
        this.buf = [];
        this.byte(b);
      } else buf.push(b);
      return;
    }
    if (b & 0x80) {
      this.buf = [b];
      if (b === CMD.START_SYSEX) return;
    } else if (buf.length === 0) {
      this.violation(`data byte 0x${b.toString(16)} without a command`);
      return;
    } else buf.push(b);
    const cmd = this.buf[0] as number;
    const need = dataLength(cmd);
    if (need === undefined) {
      this.violation(`unknown command 0x${cmd.toString(16)}`);
      this.buf = [];
    } else if (this.buf.length === need + 1) {
      this.command(this.buf);
      this.buf = [];
    }
  }

  private count(kind: string): void {
    this.seen.set(kind, (this.seen.get(kind) ?? 0) + 1);
  }

  private violation(msg: string): void {
    this.violations.push(msg);
  }

  private command(m: readonly number[]): void {
    const cmd = m[0] as number;
    const hi = cmd & 0xf0;
    const d1 = m[1] ?? 0;
    const d2 = m[2] ?? 0;
    if (cmd === CMD.REPORT_VERSION) {
      this.count('REPORT_VERSION');
      this.reply([CMD.REPORT_VERSION, PROTOCOL_VERSION.major, PROTOCOL_VERSION.minor]);
    } else if (cmd === CMD.SYSTEM_RESET) {
      this.count('SYSTEM_RESET');
      this.reboot(false);
    } else if (cmd === CMD.SET_PIN_MODE) {
      this.count('SET_PIN_MODE');
      this.setMode(d1, d2);
    } else if (cmd === CMD.SET_DIGITAL_PIN_VALUE) {
      this.count('SET_DIGITAL_PIN_VALUE');
      this.writePin(d1, d2 ? 1 : 0);
    } else if (hi === CMD.DIGITAL_MESSAGE) {
      this.count('DIGITAL_MESSAGE');
      const port = cmd & 0x0f;
      const bits = d1 | (d2 << 7);
      // StandardFirmata writes only pins in OUTPUT mode; other bits set the pull-up of INPUT pins
      for (let i = 0; i < 8; i++) {
        const p = this.pins[port * 8 + i];
        if (p && p.mode === MODE.OUTPUT) p.value = (bits >> i) & 1;
      }
    } else if (hi === CMD.ANALOG_MESSAGE) {
      this.count('ANALOG_MESSAGE');
      this.pwm(cmd & 0x0f, d1 | (d2 << 7));
    } else if (hi === CMD.REPORT_ANALOG) {
      this.count('REPORT_ANALOG');
      const ch = cmd & 0x0f;
      if (ch >= this.analog.length) this.violation(`REPORT_ANALOG for channel ${ch}: the board has A0..A${this.analog.length - 1}`);
      else if (d1) this.reportAnalog.add(ch);
      else this.reportAnalog.delete(ch);
    } else if (hi === CMD.REPORT_DIGITAL) {
      this.count('REPORT_DIGITAL');
      const port = cmd & 0x0f;
      if (d1) {
        this.reportPorts.add(port);
        this.lastPort.delete(port); // StandardFirmata reports the port at once when enabled
        this.reportDigital(port);
      } else this.reportPorts.delete(port);
    }
  }

  private sysex(m: readonly number[]): void {
    const id = m[0];
    if (id === SYSEX.REPORT_FIRMWARE) {
      this.count('REPORT_FIRMWARE');
      this.replyFirmware();
    } else if (id === SYSEX.CAPABILITY_QUERY) {
      this.count('CAPABILITY_QUERY');
      const out: number[] = [CMD.START_SYSEX, SYSEX.CAPABILITY_RESPONSE];
      for (const p of this.table) {
        for (const [mode, res] of p.modes) out.push(mode, res);
        out.push(0x7f);
      }
      this.reply([...out, CMD.END_SYSEX]);
    } else if (id === SYSEX.ANALOG_MAPPING_QUERY) {
      this.count('ANALOG_MAPPING_QUERY');
      this.reply([CMD.START_SYSEX, SYSEX.ANALOG_MAPPING_RESPONSE, ...this.table.map((p) => p.analogChannel ?? 0x7f), CMD.END_SYSEX]);
    } else if (id === SYSEX.SAMPLING_INTERVAL) {
      this.count('SAMPLING_INTERVAL');
      this.samplingIntervalMs = (m[1] ?? 0) | ((m[2] ?? 0) << 7);
    } else if (id === SYSEX.EXTENDED_ANALOG) {
      this.count('EXTENDED_ANALOG');
      let v = 0;
      for (let i = 2; i < m.length; i++) v |= (m[i] ?? 0) << (7 * (i - 2));
      this.pwm(m[1] ?? 0, v);
    } else {
      this.count(`SYSEX_0x${(id ?? 0).toString(16)}`);
    }
  }

  private setMode(pin: number, mode: number): void {
    const cap = this.table[pin];
    if (!cap?.modes.has(mode)) {
      this.violation(`pin ${pin} cannot be ${MODE_NAMES[mode] ?? `mode 0x${mode.toString(16)}`}`);
      return;
    }
    const p = this.pins[pin] as PinState;
    p.mode = mode;
    p.value = 0;
  }

  private writePin(pin: number, level: 0 | 1): void {
    const p = this.pins[pin];
    if (!p || p.mode !== MODE.OUTPUT) {
      this.violation(`write to pin ${pin} in mode ${p?.mode === undefined ? 'unset' : MODE_NAMES[p.mode]}`);
      return;
    }
    p.value = level;
  }

  private pwm(pin: number, duty: number): void {
    const p = this.pins[pin];
    if (!p || (p.mode !== MODE.PWM && p.mode !== MODE.SERVO)) {
      this.violation(`PWM write to pin ${pin} in mode ${p?.mode === undefined ? 'unset' : MODE_NAMES[p.mode]}`);
      return;
    }
    if (duty > 255) this.violation(`PWM duty ${duty} on pin ${pin} exceeds 8 bits`);
    p.value = Math.min(255, duty);
  }

  private reply(bytes: readonly number[]): void {
    if (!this.mute) this.send(Uint8Array.from(bytes));
  }

  private replyFirmware(): void {
    this.reply([CMD.START_SYSEX, SYSEX.REPORT_FIRMWARE, PROTOCOL_VERSION.major, PROTOCOL_VERSION.minor, ...encode7bitString(this.firmwareName), CMD.END_SYSEX]);
  }

  // ---- board → host ----

  /** One pass of loop(): analog channels that report, digital ports whose inputs changed. */
  tick(): void {
    for (const ch of [...this.reportAnalog].sort((a, b) => a - b)) {
      const v = this.analog[ch] ?? 0;
      this.reply([CMD.ANALOG_MESSAGE | ch, lsb(v), msb(v)]);
    }
    for (const port of this.reportPorts) this.reportDigital(port);
  }

  private portValue(port: number): number {
    let bits = 0;
    for (let i = 0; i < 8; i++) {
      const p = this.pins[port * 8 + i];
      if (!p) continue;
      let level = 0;
      if (p.mode === MODE.INPUT || p.mode === MODE.PULLUP) level = p.external ?? (p.mode === MODE.PULLUP ? 1 : 0);
      else if (p.mode === MODE.OUTPUT) level = p.value;
      bits |= level << i;
    }
    return bits;
  }

  private reportDigital(port: number): void {
    const v = this.portValue(port);
    if (this.lastPort.get(port) === v) return;
    this.lastPort.set(port, v);
    this.reply([CMD.DIGITAL_MESSAGE | port, lsb(v), msb(v)]);
  }

  // ---- test face ----

  /** Raw 10-bit ADC code on channel A`ch` (0..1023). */
  setAnalog(ch: number, raw: number): void {
    if (ch < 0 || ch >= this.analog.length) throw new Error(`the board has A0..A${this.analog.length - 1}, not A${ch}`);
    this.analog[ch] = Math.max(0, Math.min(1023, Math.round(raw)));
  }

  /** Volts on A`ch`, converted like the ATmega ADC: code = V × 1024 / Vref, clipped to 1023. */
  setVoltage(ch: number, volts: number): void {
    this.setAnalog(ch, Math.min(1023, Math.floor((volts * 1024) / this.vref)));
  }

  /** Level an external circuit puts on a digital input pin. Reported on the next tick(). */
  setInput(pin: number, level: 0 | 1 | undefined): void {
    const p = this.pins[pin];
    if (!p) throw new Error(`no pin ${pin}`);
    p.external = level;
  }

  modeOf(pin: number): string | undefined {
    const m = this.pins[pin]?.mode;
    return m === undefined ? undefined : MODE_NAMES[m];
  }

  /** What an output pin drives: 0/1 in OUTPUT mode, the 8-bit duty in PWM mode. */
  output(pin: number): number | undefined {
    const p = this.pins[pin];
    return p && (p.mode === MODE.OUTPUT || p.mode === MODE.PWM) ? p.value : undefined;
  }

  reporting(): { analog: number[]; ports: number[] } {
    return { analog: [...this.reportAnalog].sort(), ports: [...this.reportPorts].sort() };
  }
}
