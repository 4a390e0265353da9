import type { Command } from 'commander';
import { z } from 'zod';
import { deviceCommon } from '../../config/schema.js';
import { SystemClock } from '../../drivers/bus/clock.js';
import { openRealSerialLink } from '../../drivers/bus/serial-real.js';
import { DEVICE_TYPES } from '../../drivers/registry.js';
import { serialSimulator } from '../../drivers/sim/registry.js';
import { SerialPortSimHost } from '../../drivers/sim/serial-port-host.js';

/**
 * `edgefw simulate serial --type pms5003 --path P`: a device simulator on a real port, so a
 * box (or `edgefw probe serial`) can be tried without the sensor: on a USB-serial adapter wired
 * to the box under test, or on one end of a pty pair on a laptop:
 *   socat -d -d pty,raw,echo=0,link=/tmp/dev pty,raw,echo=0,link=/tmp/box &
 *   edgefw simulate serial --type pms5003 --path /tmp/dev &
 *   edgefw probe serial --path /tmp/box
 */
export function registerSimulateSerial(program: Command): void {
  const simulate = program.commands.find((c) => c.name() === 'simulate') ?? program.command('simulate').description('run a device simulator on a real port');
  const types = DEVICE_TYPES.filter((d) => d.serial && serialSimulator(d.type)).map((d) => d.type);
  const cmd = simulate
    .command('serial')
    .description('speak a serial part\'s protocol on a port until interrupted')
    .requiredOption('--type <type>', `device type (${types.join(', ')})`)
    .requiredOption('--path <path>', 'port to speak on (a USB adapter, or one end of a socat pty pair)')
    .option('--options <json>', 'device options as in a profile entry, JSON (Modbus needs its registers)', '{}')
    .action(async (opts: { type: string; path: string; options: string }) => {
      const def = DEVICE_TYPES.find((d) => d.type === opts.type && d.serial);
      const simulator = serialSimulator(opts.type);
      if (!def?.serial || !simulator) return cmd.error(`--type ${opts.type} is not a serial device type (${types.join(', ')})`);
      let entry: unknown;
      try {
        entry = JSON.parse(opts.options);
      } catch (e) {
        return cmd.error(`--options is not JSON: ${(e as Error).message}`);
      }
      const parsed = z.strictObject({ ...deviceCommon, ...def.options }).safeParse({ id: 'sim', type: def.type, port: opts.path, ...(entry as object) });
      if (!parsed.success) return cmd.error(`--options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const clock = new SystemClock({ assumeTrusted: true });
      const sim = simulator.create(parsed.data as never, clock);
      const host = new SerialPortSimHost(sim, openRealSerialLink({ path: opts.path, baudRate: sim.baudRate, owner: 'simulator' }));
      await host.start();
      console.error(`${sim.part} simulator on ${opts.path} at ${sim.baudRate} Bd; Ctrl-C stops it`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        host.link.onLost(() => resolve());
      });
      await host.stop();
      console.error(`${host.bytesOut} bytes sent`);
    });
}
