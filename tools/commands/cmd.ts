import type { Command } from 'commander';
import type { Profile } from '../../config/schema.js';
import { type SendResult, sendCommand } from '../../firmware/commands/client.js';
import { profileOrExit, transportOrExit } from '../profile-arg.js';
import { type DiagReport, renderReport } from '../../firmware/diagnostics/diag.js';
import type { BrokerTransport } from '../../firmware/uplink/transport.js';
import { pinnedBoxKey, senderKey } from '../command-keys.js';

interface CmdOptions {
  key?: string;
  boxKey?: string;
  url?: string;
  prefix?: string;
  profile?: string;
  timeout: string;
  json?: boolean;
}

/** `name=value` pairs (a value that parses as JSON is taken as JSON: 1, true, "x") or one JSON object. */
export function parseCommandArgs(words: readonly string[]): Record<string, unknown> {
  if (words.length === 1 && words[0]?.trim().startsWith('{')) {
    const v: unknown = JSON.parse(words[0]);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('ARGS must be a JSON object or name=value pairs');
    return v as Record<string, unknown>;
  }
  const args: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`"${w}" is not name=value`);
    const raw = w.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    args[w.slice(0, eq)] = value;
  }
  return args;
}

/** Print a command's outcome; returns the exit code (0 executed, 1 refused or failed, 2 no answer). */
export function reportResult(r: SendResult, box: string, json: boolean): number {
  if (r.status !== 'reply') {
    console.error(`${r.status}: ${r.detail}${r.status === 'no-reply' && r.forged > 0 ? ` (${r.forged} reply/replies with a wrong signature refused)` : ''}`);
    return 2;
  }
  const { reply } = r;
  if (json) console.log(JSON.stringify(reply, null, 2));
  else {
    const via = r.boxKeyFrom === 'pinned' ? 'pinned box key' : 'box key from its retained status (pin it with --box-key)';
    console.log(`${reply.ok ? 'OK' : 'REFUSED'} ${reply.cmd} on ${box}: reply signed by ${reply.key}, ${via}`);
    if (r.forged > 0) console.log(`warning: ${r.forged} forged reply/replies with the same id were refused`);
    const report = reply.result?.report as DiagReport | undefined;
    if (reply.ok && reply.cmd === 'diag' && report) console.log(renderReport(report, process.stdout.isTTY === true));
    else if (reply.ok) console.log(JSON.stringify(reply.result ?? {}, null, 2));
    else console.log(`${reply.reason ?? 'error'}: ${reply.error ?? ''}`);
  }
  return reply.ok ? 0 : 1;
}

/**
 * `edgefw cmd BOX COMMAND [ARGS…] --key FILE`: sign a command envelope, send it to the box over
 * MQTT, wait for its reply and verify that the box signed it.
 */
export function registerCmd(program: Command): void {
  program
    .command('cmd')
    .description('send a signed command to a box and verify its signed reply (diag, ack, output, reprobe, restart, update)')
    .argument('<box>', 'box id')
    .argument('<command>', 'command name')
    .argument('[args...]', 'arguments: name=value pairs (device=relay value=on hold=30000) or one JSON object')
    .option('-k, --key <file>', 'private key (edgefw keygen) listed in the box\'s trust list')
    .option('--box-key <key>', 'the box\'s public key (base64 or a .pub file); default: from its retained status')
    .option('-u, --url <url>', 'broker URL (default: the profile\'s, else mqtt://127.0.0.1:1883)')
    .option('--prefix <prefix>', 'topic prefix (default: the profile\'s, else edgefw)')
    .option('-p, --profile <file>', 'take broker, credentials and prefix from this profile')
    .option('--timeout <ms>', 'wait this long for the reply', '15000')
    .option('--json', 'print the signed reply as JSON')
    .action(async (box: string, command: string, words: string[], opts: CmdOptions) => {
      let profile: Profile | undefined;
      if (opts.profile) {
        profile = profileOrExit(opts.profile);
        if (!profile) return;
      }
      let args: Record<string, unknown>;
      try {
        args = parseCommandArgs(words);
      } catch (e) {
        console.error(`cmd: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const key = senderKey(opts.key, profile);
      const boxKey = pinnedBoxKey(opts.boxKey, profile?.box.id === box ? profile : undefined);
      if (typeof key === 'string' || typeof boxKey === 'string') {
        console.error(`cmd: ${typeof key === 'string' ? key : (boxKey as string)}`);
        process.exitCode = 2;
        return;
      }
      // the profile's broker, credentials and TLS files (password and key files read now)
      let transport: BrokerTransport = { url: opts.url ?? 'mqtt://127.0.0.1:1883' };
      if (profile) {
        const t = transportOrExit(profile, 'cmd', opts.url);
        if (!t) return;
        transport = t;
      }
      const prefix = opts.prefix ?? profile?.uplink.topicPrefix ?? 'edgefw';
      const r = await sendCommand({
        ...transport, base: `${prefix}/${box}`, box, cmd: command, args, privateKey: key.privateKey, publicKey: key.publicKey,
        ...(boxKey ? { boxKey } : {}), timeoutMs: Number(opts.timeout),
      });
      process.exitCode = reportResult(r, box, opts.json === true);
    });
}
