#!/usr/bin/env node
import { Command } from 'commander';
import { FIRMWARE_VERSION } from '../firmware/version.js';
import { registerBench } from './commands/bench.js';
import { registerConfig } from './commands/config.js';
import { registerProbeSerial } from './commands/probe-serial.js';
import { registerRun } from './commands/run.js';
import { registerScan } from './commands/scan.js';
import { registerSimulateSerial } from './commands/simulate-serial.js';
import { registerTail } from './commands/tail.js';
import { registerDiag } from './commands/diag.js';
import { registerAck } from './commands/ack.js';
import { registerCmd } from './commands/cmd.js';
import { registerKeygen } from './commands/keygen.js';
import { registerBundle } from './commands/bundle.js';
import { registerUpdate } from './commands/update.js';
import { registerProvision } from './commands/provision.js';
import { registerSite } from './commands/site.js';
import { registerSupportBundle } from './commands/support-bundle.js';

/**
 * `edgefw`: the one command on a box and on a laptop. Each subcommand lives in
 * tools/commands/<name>.ts and registers itself here with one line.
 */
const program = new Command();
program
  .name('edgefw')
  .description('Edge firmware runtime for smart-city kiosks and sensor boxes')
  .version(FIRMWARE_VERSION)
  .showHelpAfterError('(edgefw <command> --help lists the options)');

registerRun(program);
registerConfig(program);
registerTail(program);
registerBench(program);
registerScan(program);
registerProbeSerial(program);
registerSimulateSerial(program);
registerDiag(program);
registerAck(program);
registerKeygen(program);
registerCmd(program);
registerBundle(program);
registerUpdate(program);
registerProvision(program);
registerSite(program);
registerSupportBundle(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // a command that did not handle its own bad input: one line, the stack only when asked for
  console.error(`edgefw: ${e instanceof Error ? e.message : String(e)}${process.env.EDGEFW_DEBUG ? `\n${(e as Error).stack ?? ''}` : ' (EDGEFW_DEBUG=1 shows where)'}`);
  process.exit(1);
}
