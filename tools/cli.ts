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

/**
 * `edgefw`: the one command on a box and on a laptop. Each subcommand lives in
 * tools/commands/<name>.ts and registers itself here with one line.
 */
const program = new Command();
program
  .name('edgefw')
  .description('Edge firmware runtime for smart-city kiosks and sensor boxes')
  .version(FIRMWARE_VERSION)
  .showHelpAfterError();

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

await program.parseAsync(process.argv);
