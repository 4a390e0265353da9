/**
 * The narrow GPIO seam every GPIO driver talks to. A line is one pin of the 40-pin header,
 * named by its BCM number (GPIO17 is header pin 11); the backend turns that into whatever the
 * kernel wants (the sysfs number, offset by the gpiochip base on kernel 6.6+, see gpio-sysfs.ts).
 *
 * Levels are logical: with `activeLow` the backend inverts, so 1 always means "active" (a
 * relay energised, a contact closed to ground through a pull-up, a PIR output high).
 *
 * Errors are DeviceError: GPIO_UNAVAILABLE when the line cannot be opened (no sysfs GPIO,
 * line busy, not on this chip), DEVICE_FAULT for a failed read or write.
 */
export type Level = 0 | 1;

/** Which edges wake a watcher. Drivers usually ask for both and debounce themselves. */
export type EdgeMode = 'none' | 'rising' | 'falling' | 'both';

/**
 * Bias of an input. sysfs cannot set it: on a Raspberry Pi it is set in config.txt
 * (`gpio=17=ip,pu`); the simulated chip honours it so an unconnected input reads its pull.
 */
export type Pull = 'up' | 'down' | 'none';

export interface InputOptions {
  readonly edge: EdgeMode;
  readonly activeLow: boolean;
  readonly pull: Pull;
}

export interface OutputOptions {
  readonly activeLow: boolean;
  /** level driven from the moment the line becomes an output (glitch-free: direction "high"/"low") */
  readonly initial: Level;
}

/** Called once per edge with the logical level read right after it. */
export type EdgeListener = (level: Level) => void;

export interface GpioLine {
  /** "GPIO17" (and the backend's own number where it differs, e.g. "GPIO17 (sysfs 529)") */
  readonly name: string;
  readonly bcm: number;
  read(): Promise<Level>;
  /** Outputs only; an input refuses with DEVICE_FAULT. */
  write(level: Level): Promise<void>;
  /** One listener per line; a second watch() replaces the first. Edges arrive in order. */
  watch(listener: EdgeListener): void;
  unwatch(): void;
  /** Stop watching and give the line back (sysfs unexport). An output keeps its last level. */
  release(): Promise<void>;
}

/**
 * A GPIO controller from the profile (`buses.gpio[]`): the header of a Pi (real, through onoff)
 * or a simulated chip. Opening a line that is already open fails with GPIO_UNAVAILABLE.
 */
export interface GpioBus {
  readonly name: string;
  openInput(bcm: number, options: InputOptions): GpioLine;
  openOutput(bcm: number, options: OutputOptions): GpioLine;
  /** The level an output line holds right now without changing it (undefined: not exported). */
  peekOutput(bcm: number, activeLow: boolean): Level | undefined;
  close(): Promise<void>;
}

/** BCM numbers on the 40-pin header of every Raspberry Pi since the B+ (GPIO0..27). */
export const HEADER_LINES = 28;
