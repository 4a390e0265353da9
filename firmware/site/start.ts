import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Profile } from '../../config/schema.js';
import { isOutputDriver } from '../../drivers/outputs.js';
import type { CommandExecutor } from '../commands/executor.js';
import type { RunningDevice } from '../device/running-device.js';
import { SiteServer } from './server.js';
import type { SiteSource } from './state.js';

/** What the technician page needs of the running box (firmware/runtime.ts). */
export interface SiteHost extends Omit<SiteSource, 'devices' | 'reprobe' | 'outputs' | 'command'> {
  devices(): readonly RunningDevice[];
  /** the signed-command handlers (firmware/commands/), once they run */
  executor(): CommandExecutor | undefined;
}

/**
 * Start the technician page (site.http) for a running box. A failure to listen (address in use)
 * is logged and returns undefined: the box samples and publishes as usual.
 */
export async function startSite(host: SiteHost, http: NonNullable<Profile['site']['http']>, log: Logger): Promise<SiteServer | undefined> {
  const src: SiteSource = {
    get profile(): Profile {
      return host.profile;
    },
    boot: host.boot,
    firmware: host.firmware,
    scheduler: host.scheduler,
    clock: host.clock,
    faults: host.faults,
    devices: () => host.devices().map((d) => d.status()),
    reprobe: (id) => {
      const d = host.devices().find((x) => x.id === id);
      void d?.reprobe();
      return d !== undefined;
    },
    uplink: host.uplink,
    outputs: () =>
      host.devices().flatMap((d) => (isOutputDriver(d.driver) ? d.driver.outputs().map((o) => ({ device: d.id, name: o.name, pwm: o.pwm, value: o.get(), safe: o.safe })) : [])),
    // the page's ack and output are the signed-command handlers themselves; the signer is the technician
    command: (name, args, signer) => {
      const executor = host.executor();
      return executor ? executor.run({ cmd: name, args, nonce: randomBytes(8).toString('hex'), signer }) : Promise.resolve({ ok: false as const, reason: 'unavailable', error: 'commands are not running yet' });
    },
    diagnostics: host.diagnostics,
    buses: host.buses,
    ...(host.exclusive ? { exclusive: host.exclusive } : {}),
  };
  const site = new SiteServer(src, http, log);
  try {
    await site.start();
    return site;
  } catch (e) {
    log.child({ module: 'runtime' }).error({ err: e, host: http.host, port: http.port }, 'technician page not started (address in use?); the box samples and publishes as usual');
    return undefined;
  }
}
