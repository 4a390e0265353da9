import type { FirmataOptions } from './schema.js';
import { attachSimulatedBoard, detachSimulatedBoard } from './sim-link.js';
import { FirmataSimulator } from './simulator.js';

/**
 * The demo's simulated Firmata board: a StandardFirmata simulator on the device's path (over
 * the mock binding) whose analog inputs follow slow waves inside 30–70 % of each input's volt
 * span. `update(tS)` is one pass of the board's loop(), called by the runtime's world task.
 */
export class FirmataScene {
  readonly sim = new FirmataSimulator();
  private readonly waves: { ch: number; lo: number; hi: number; periodS: number }[];

  constructor(private readonly options: FirmataOptions) {
    attachSimulatedBoard(options.path, this.sim);
    this.waves = options.analog.map((a, i) => {
      const [v0, v1] = a.volts ?? [0, options.vref];
      const span = v1 - v0;
      return { ch: a.pin, lo: v0 + span * 0.3, hi: v0 + span * 0.7, periodS: 90 + 70 * i };
    });
    this.update(0);
  }

  update(tS: number): void {
    for (const w of this.waves) {
      const mid = (w.lo + w.hi) / 2;
      this.sim.setVoltage(w.ch, mid + ((w.hi - w.lo) / 2) * Math.sin((2 * Math.PI * tS) / w.periodS));
    }
    this.sim.tick();
  }

  close(): void {
    detachSimulatedBoard(this.options.path);
  }
}
