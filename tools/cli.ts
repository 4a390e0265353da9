#!/usr/bin/env node
import { Command } from 'commander';
import { FIRMWARE_VERSION } from '../firmware/version.js';

/**
 * `edgefw`: the one command on a box and on a laptop. Each subcommand lives in
 * tools/commands/<name>.ts and registers itself with one line in COMMANDS. Only the module of
 * the command being run is loaded (`edgefw run` on a box never loads the benchmarks, the
 * scanner or the simulators); help and unknown commands load them all.
 */
type Register = (program: Command) => void;
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  run: async () => {
    // the uplink thread loads MQTT and SQLite on the other core while this one loads the rest
    if (!process.argv.includes('--help') && !process.argv.includes('-h')) (await import('../firmware/uplink/prestart.js')).prestartUplinkWorker();
    return (await import('./commands/run.js')).registerRun;
  },
  config: async () => (await import('./commands/config.js')).registerConfig,
  tail: async () => (await import('./commands/tail.js')).registerTail,
  bench: async () => (await import('./commands/bench.js')).registerBench,
  scan: async () => (await import('./commands/scan.js')).registerScan,
  probe: async () => (await import('./commands/probe-serial.js')).registerProbeSerial,
  simulate: async () => (await import('./commands/simulate-serial.js')).registerSimulateSerial,
  diag: async () => (await import('./commands/diag.js')).registerDiag,
  ack: async () => (await import('./commands/ack.js')).registerAck,
  keygen: async () => (await import('./commands/keygen.js')).registerKeygen,
  cmd: async () => (await import('./commands/cmd.js')).registerCmd,
  bundle: async () => (await import('./commands/bundle.js')).registerBundle,
  update: async () => (await import('./commands/update.js')).registerUpdate,
  provision: async () => (await import('./commands/provision.js')).registerProvision,
  site: async () => (await import('./commands/site.js')).registerSite,
  'support-bundle': async () => (await import('./commands/support-bundle.js')).registerSupportBundle,
};

const program = new Command();
program
  .name('edgefw')
  .description('Edge firmware runtime for smart-city kiosks and sensor boxes')
  .version(FIRMWARE_VERSION)
  .showHelpAfterError('(edgefw <command> --help lists the options)');

const wanted = process.argv.slice(2).find((a) => !a.startsWith('-'));
for (const name of wanted !== undefined && wanted in COMMANDS ? [wanted] : Object.keys(COMMANDS)) {
  (await (COMMANDS[name] as () => Promise<Register>)())(program);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // a command that did not handle its own bad input: one line, the stack only when asked for
  console.error(`edgefw: ${e instanceof Error ? e.message : String(e)}${process.env.EDGEFW_DEBUG ? `\n${(e as Error).stack ?? ''}` : ' (EDGEFW_DEBUG=1 shows where)'}`);
  process.exit(1);
}
