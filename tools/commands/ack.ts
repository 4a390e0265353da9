import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import mqtt from 'mqtt';
import { ProfileError } from '../../config/load.js';
import { displayUrl } from '../../config/url.js';
import { brokerTransport } from '../../config/secrets.js';
import { type BrokerTransport, transportOptions } from '../../firmware/uplink/transport.js';
import { mqttUrl } from '../options.js';
import { profileOrExit } from '../profile-arg.js';

interface AckOptions {
  profile: string;
  subject?: string;
  url?: string;
}

/**
 * `edgefw ack [CODE]`: acknowledge faults on the running box (cmd/ack over MQTT). A latched
 * fault (WATCHDOG_RESTART) whose condition is gone clears; others are marked acknowledged.
 */
export function registerAck(program: Command): void {
  program
    .command('ack')
    .description('acknowledge faults on the running box (latched faults clear once acknowledged)')
    .argument('[code]', 'fault code, e.g. WATCHDOG_RESTART (default: every active fault)')
    .option('-p, --profile <file>', 'profile YAML file of the box', '/etc/edgefw/profile.yaml')
    .option('-s, --subject <subject>', 'only the fault of this device or component')
    .option('-u, --url <url>', 'broker URL (default: the profile\'s)', mqttUrl)
    .action(async (code: string | undefined, opts: AckOptions) => {
      const profile = profileOrExit(opts.profile);
      if (!profile) return;
      let transport: BrokerTransport;
      try {
        transport = brokerTransport(profile, opts.url);
      } catch (e) {
        if (!(e instanceof ProfileError)) throw e;
        console.error(e.message);
        process.exitCode = 2;
        return;
      }
      const url = displayUrl(transport.url);
      const base = `${profile.uplink.topicPrefix}/${profile.box.id}`;
      const id = randomBytes(6).toString('hex');
      const client = mqtt.connect(transport.url, { ...transportOptions(transport), reconnectPeriod: 0, connectTimeout: 5000 });
      const result = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve(`no reply from ${profile.box.id} within 10 s (is edgefw running?)`), 10_000);
        client.on('error', (e) => resolve(`broker ${url}: ${e.message}`));
        client.on('message', (_t, payload) => {
          const r = JSON.parse(payload.toString('utf8')) as { id?: string; ok: boolean; acknowledged?: number; error?: string };
          if (r.id !== id) return;
          clearTimeout(timer);
          resolve(r.ok ? `OK ${r.acknowledged ?? 0} fault(s) acknowledged` : `refused: ${r.error ?? '?'}`);
        });
        client.on('connect', () => {
          client.subscribe(`${base}/cmd/ack/reply`, { qos: 1 }, () => {
            client.publish(`${base}/cmd/ack`, JSON.stringify({ id, ...(code ? { code } : {}), ...(opts.subject ? { subject: opts.subject } : {}) }), { qos: 1 });
          });
        });
      });
      client.end(true);
      console.log(result);
      process.exitCode = result.startsWith('OK') ? 0 : 1;
    });
}
