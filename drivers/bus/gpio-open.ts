import type { GpioBus } from './gpio.js';

/** A `buses.gpio[]` entry of a profile (see config/schema.ts gpioBusSchema). */
export interface GpioBusConfig {
  readonly name: string;
  readonly simulated: boolean;
  readonly chip?: string;
  readonly sysfsRoot: string;
  readonly stateDir?: string;
}

/**
 * Open the GPIO controller a profile names: the simulated header, or the real one through
 * onoff (loaded only then, so a box without GPIO never loads the native epoll addon).
 */
export async function openGpioBus(config: GpioBusConfig): Promise<GpioBus> {
  if (config.simulated) {
    const { SimulatedGpioChip } = await import('../sim/gpio-chip.js');
    return new SimulatedGpioChip(config.name, config.stateDir);
  }
  const { RealGpioBus } = await import('./gpio-real.js');
  return new RealGpioBus(config.name, { root: config.sysfsRoot, chip: config.chip });
}
