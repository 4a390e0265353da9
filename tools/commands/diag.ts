import pino from 'pino';
import type { Command } from 'commander';
import type { Profile } from '../../config/schema.js';
import { SystemClock } from '../../drivers/bus/clock.js';
import { I2cSimDevice } from '../../drivers/sim/i2c-target.js';
import { openBuses } from '../../firmware/buses.js';
import { probeBroker, requestServiceDiag } from '../../firmware/diagnostics/broker-probe.js';
import { brokerTransport } from '../../config/secrets.js';
import { type DiagCheck, type DiagReport, brokerCheck, transportChecks, busChecks, clockCheck, faultChecks, healthChecks, liveDeviceChecks, makeReport, renderReport } from '../../firmware/diagnostics/diag.js';
import { HealthMonitor } from '../../firmware/diagnostics/health.js';
import { FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { ensureDir } from '../../firmware/state/dirs.js';
import { FIRMWARE_VERSION } from '../../firmware/version.js';
import { profileOrExit, transportOrExit } from '../profile-arg.js';
import { pinnedBoxKey, senderKey } from '../command-keys.js';

interface DiagOptions {
  profile: string;
  json?: boolean;
  scan: boolean;
  standalone?: boolean;
  simulateUnplug?: string[];
  key?: string;
  boxKey?: string;
}

const EMPTY_UPLINK = { connected: false, received: 0, acked: 0, pending: 0, dropped: 0, messagesInFlight: 0, connects: 0, lastError: undefined };

/**
 * `edgefw diag`, standalone: opens the profile's buses itself, checks every device (init and one
 * read), scans the buses, asks the broker for a round trip and the box's retained faults, and
 * reads host health. Used when the service is not running (or with --standalone): a running
 * service is asked for its report over cmd/diag instead, so its parts are not re-initialised
 * under it.
 */
export async function runDiag(profile: Profile, opts: { scan: boolean; simulateUnplug?: readonly string[] }): Promise<DiagReport> {
  const log = pino({ level: 'silent' });
  const clock = new SystemClock({ assumeTrusted: profile.clock.assumeTrusted });
  const scheduler = new Scheduler();
  const faults = new FaultRegistry(clock);
  const checks: DiagCheck[] = [];
  const buses = await openBuses(profile, clock, faults, log);
  try {
    for (const id of opts.simulateUnplug ?? []) {
      const sim = buses.simulators.get(id);
      if (!(sim instanceof I2cSimDevice)) throw new Error(`--simulate-unplug ${id}: no simulated device with that id in the profile`);
      sim.faults.unplug();
    }
    checks.push(...(await liveDeviceChecks(profile, buses, clock, log, (ms) => scheduler.wait(ms))));
    checks.push(...(await busChecks(profile, buses, opts.scan)));
  } finally {
    await buses.close();
  }
  const base = `${profile.uplink.topicPrefix}/${profile.box.id}`;
  const eb = profile.uplink.embeddedBroker;
  const transport = brokerTransport(profile);
  const url = transport.url;
  const probe = await probeBroker({ ...transport, base, timeoutMs: 5000 });
  if (!probe.ok && eb) {
    checks.push({ section: 'broker', name: 'broker', verdict: 'WARN', detail: `embedded broker ${url} not answering: it runs only inside \`edgefw run\` (${probe.error})` });
  } else checks.push(brokerCheck(url, probe));
  checks.push(...transportChecks(profile, transport.secrets));
  checks.push(clockCheck(clock));
  try {
    ensureDir(profile.storage.dir); // as `edgefw run` does at start
  } catch {
    /* the storage lines below say what is wrong */
  }
  const monitor = new HealthMonitor({ config: profile.health, dataDir: profile.storage.dir, faults, scheduler, clock, uplink: () => EMPTY_UPLINK });
  checks.push(...healthChecks(await monitor.check(), profile.health));
  if (probe.ok && probe.retainedFaults) checks.push(...faultChecks(probe.retainedFaults));
  scheduler.stop();
  return makeReport('standalone', profile, FIRMWARE_VERSION, clock.wallMs(), checks);
}

export function registerDiag(program: Command): void {
  program
    .command('diag')
    .description('check every device, bus, the broker, clock, storage and host health; PASS / WARN / FAIL, exit 1 on FAIL')
    .option('-p, --profile <file>', 'profile YAML file', '/etc/edgefw/profile.yaml')
    .option('--json', 'print the report as JSON')
    .option('--no-scan', 'probe only the addresses the profile names instead of scanning 0x08-0x77')
    .option('--standalone', 'probe the hardware from this process even when the service is running')
    .option('-k, --key <file>', 'key to sign the diag request to a running service (default: the box key in storage.dir)')
    .option('--box-key <key>', 'the box\'s public key to verify its reply (default: <storage.dir>/box.key.pub, else its retained status)')
    .option('--simulate-unplug <device...>', 'simulated buses only: unplug these devices first (training, tests)')
    .action(async (opts: DiagOptions) => {
      const profile = profileOrExit(opts.profile);
      if (!profile) return;
      let report: DiagReport | undefined;
      if (!opts.standalone && !opts.simulateUnplug) {
        // a running service owns the buses: ask it (signed diag command, signed reply), rather
        // than re-initialising its parts under it
        const key = senderKey(opts.key, profile);
        const boxKey = pinnedBoxKey(opts.boxKey, profile);
        // no box key in storage.dir and none given: no service has run with this storage
        if (typeof key === 'string' || typeof boxKey === 'string') {
          if (opts.key || opts.boxKey || typeof boxKey === 'string') console.error(`diag: cannot ask a running service (${typeof key === 'string' ? key : (boxKey as string)}); checking from here`);
        } else {
          const transport = transportOrExit(profile, 'diag');
          if (!transport) return;
          const asked = await requestServiceDiag({
            ...transport,
            base: `${profile.uplink.topicPrefix}/${profile.box.id}`, box: profile.box.id, key, ...(boxKey ? { boxKey } : {}),
          });
          if (asked.note) console.error(`diag: ${asked.note}${asked.report ? '' : '; checking from here'}`);
          report = asked.report;
        }
      }
      try {
        report ??= await runDiag(profile, { scan: opts.scan, ...(opts.simulateUnplug ? { simulateUnplug: opts.simulateUnplug } : {}) });
      } catch (e) {
        console.error(`diag: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      console.log(opts.json ? JSON.stringify(report, null, 2) : renderReport(report, process.stdout.isTTY === true));
      process.exitCode = report.verdict === 'FAIL' ? 1 : 0;
    });
}
