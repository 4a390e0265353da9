import type { Clock } from '../../bus/clock.js';
import { FrameHunter } from '../../bus/serial-frames.js';
import type { SampleRange } from '../../sim/part.js';
import { SerialSimDevice, clamp } from '../../sim/serial-device.js';
import { CMD, mhzCommand } from './commands.js';
import { encodeCo2 } from './parser.js';

/**
 * An MH-Z19B on its UART (9600 8N1): silent until asked. READ is answered with the
 * concentration (clipped to the detection range); ZERO, SPAN, ABC and RANGE change state and,
 * as the datasheet documents no answer for them, are not answered. A zero calibration outside
 * fresh air shifts the baseline exactly as on the real part (the next reads are off by the
 * difference), which is why the driver never sends it on its own.
 */
/** FF 86 00 00 00 00 00 00 7A: what a preheating part answers (PyPMS's captured case) */
const PREHEAT_ANSWER = Uint8Array.of(0xff, 0x86, 0, 0, 0, 0, 0, 0, 0x7a);

export class Mhz19bSimulator extends SerialSimDevice {
  readonly part = 'MH-Z19B';
  readonly channels = ['co2'] as const;
  readonly baudRate = 9600;
  private readonly commands = new FrameHunter(mhzCommand);
  /** test face: answer with all data bytes zero, as during the preheat */
  zeroFrames = false;
  private co2 = 612;
  private offset = 0;
  abc = true;
  rangePpm = 5000;
  /** answers delayed this many pump ticks (a slow part) */
  slowTicks = 0;
  private delayed: { due: number; frame: Uint8Array }[] = [];
  private ticks = 0;

  receive(bytes: Uint8Array): void {
    const before = this.commands.stats.checksumErrors;
    for (const c of this.commands.push(bytes)) this.command(c);
    if (this.commands.stats.checksumErrors > before) this.violation('command with a bad checksum (the part ignores it)');
  }

  private command(c: Uint8Array): void {
    const b = (i: number): number => c[i] as number;
    switch (b(2)) {
      case CMD.READ: {
        // preheating (test face): a verified answer with every data byte zero
        const frame = this.zeroFrames ? PREHEAT_ANSWER.slice() : encodeCo2(clamp(this.co2 + this.offset, 0, this.rangePpm));
        if (this.slowTicks > 0) this.delayed.push({ due: this.ticks + this.slowTicks, frame });
        else this.send(frame);
        return;
      }
      case CMD.ZERO:
        this.offset = 400 - this.co2; // the part now calls the current air 400 ppm
        return;
      case CMD.ABC:
        this.abc = b(3) === 0xa0;
        return;
      case CMD.RANGE: {
        const r = (b(6) << 8) | b(7);
        if (r !== 2000 && r !== 5000 && r !== 10000) this.violation(`detection range ${r} ppm (2000, 5000 or 10000)`);
        else this.rangePpm = r;
        return;
      }
      case CMD.SPAN:
        return;
      default:
        this.violation(`unknown command 0x${b(2).toString(16)}`);
    }
  }

  tick(): void {
    this.ticks++;
    const due = this.delayed.filter((d) => d.due <= this.ticks);
    this.delayed = this.delayed.filter((d) => d.due > this.ticks);
    for (const d of due) this.send(d.frame);
  }

  protected applyChannel(_channel: string, value: number): void {
    this.co2 = clamp(value, 0, 10000);
  }

  sampleRange(): SampleRange {
    // 400–5000 ppm at the default range; accuracy ±(50 ppm + 5 %) is the sensor's, the protocol is exact
    return { min: 400, max: 5000, tolerance: 0.5 };
  }
}
