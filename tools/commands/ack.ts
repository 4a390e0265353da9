import type { Command } from 'commander';
import { sendCommand } from '../../firmware/commands/client.js';
import { mqttUrl } from '../options.js';
import { profileOrExit, transportOrExit } from '../profile-arg.js';
import { pinnedBoxKey, senderKey } from '../command-keys.js';
import { reportResult } from './cmd.js';

interface AckOptions {
  profile: string;
  subject?: string;
  url?: string;
  key?: string;
  boxKey?: string;
}

/**
 * `edgefw ack [CODE] --key FILE`: acknowledge faults on the running box with a signed `ack`
 * command. A latched fault (WATCHDOG_RESTART) whose condition is gone clears; others are marked
 * acknowledged. The reply counts only when the box signed it.
 */
export function registerAck(program: Command): void {
  program
    .command('ack')
    .description('acknowledge faults on the running box with a signed command (latched faults clear once acknowledged)')
    .argument('[code]', 'fault code, e.g. WATCHDOG_RESTART (default: every active fault)')
    .option('-p, --profile <file>', 'profile YAML file of the box', '/etc/edgefw/profile.yaml')
    .option('-s, --subject <subject>', 'only the fault of this device or component')
    .option('-k, --key <file>', 'private key listed in the box\'s trust list with ack')
    .option('--box-key <key>', 'the box\'s public key (base64 or .pub file); default: <storage.dir>/box.key.pub, else its retained status')
    .option('-u, --url <url>', 'broker URL (default: the profile\'s)', mqttUrl)
    .action(async (code: string | undefined, opts: AckOptions) => {
      const profile = profileOrExit(opts.profile);
      if (!profile) return;
      const key = senderKey(opts.key, profile);
      const boxKey = pinnedBoxKey(opts.boxKey, profile);
      if (typeof key === 'string' || typeof boxKey === 'string') {
        console.error(`ack: ${typeof key === 'string' ? key : (boxKey as string)}`);
        process.exitCode = 2;
        return;
      }
      const box = profile.box.id;
      const transport = transportOrExit(profile, 'ack', opts.url);
      if (!transport) return;
      const r = await sendCommand({
        ...transport,
        base: `${profile.uplink.topicPrefix}/${box}`, box, cmd: 'ack',
        args: { ...(code ? { code } : {}), ...(opts.subject ? { subject: opts.subject } : {}) },
        privateKey: key.privateKey, publicKey: key.publicKey, ...(boxKey ? { boxKey } : {}), timeoutMs: 10_000,
      });
      process.exitCode = reportResult(r, box, false);
    });
}
