import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { loadProfile } from '../../../config/load.js';
import { type Layout, committedLink, currentLink, linkVersion, pointLink, readState, releaseDir, releasesDir, writeState } from '../../../firmware/lifecycle/state.js';
import { hostTarget, releaseKeyId } from '../manifest.js';
import { publicKeyText } from '../../../firmware/security/keys.js';
import { checkBundle, syncTree, unpackBundle, verifyInstalled } from '../release.js';
import { accountChanges, serviceOwner } from './accounts.js';
import { bootConfigChanges } from './boot-config.js';
import { type Change, type Owner, dirChange, fileChange } from './changes.js';
import { type BoxKeySource, identityChanges } from './identity.js';

export interface ProvisionOptions {
  /** root of the box: / on a real box, a scratch tree in tests */
  readonly root: string;
  /** the profile to install (validated with the profile loader first) */
  readonly profile: string;
  /** release bundle to install (needed the first time) */
  readonly bundle?: string;
  /** release public keys (the trust list for bundles) */
  readonly releaseKeys: readonly KeyObject[];
  /** O= of the CSR */
  readonly organisation?: string;
  readonly boxKeys: BoxKeySource;
  /** unit and udev rules to install (default: the ones beside this program) */
  readonly systemdDir?: string;
}

export interface Plan {
  readonly changes: Change[];
  readonly notes: string[];
  readonly layout: Layout;
  readonly csrFile: string;
}

/** A path of the box under the root (a profile path already inside the scratch root stays). */
export function inRoot(root: string, p: string): string {
  if (root === '/' || p.startsWith(`${root.replace(/\/$/, '')}/`)) return p;
  return join(root, p);
}

const here = new URL('.', import.meta.url).pathname;
/** tools/systemd beside this program (dist/tools/lifecycle/provision → <release>/tools/systemd) */
export function defaultSystemdDir(): string {
  return [join(here, '../../../../tools/systemd'), join(here, '../../../tools/systemd')].find((d) => existsSync(join(d, 'edgefw.service'))) ?? join(here, '../../../../tools/systemd');
}

export async function planProvision(o: ProvisionOptions): Promise<Plan> {
  const root = o.root;
  const notes: string[] = [];
  const profile = loadProfile(o.profile); // throws ProfileError naming every problem
  const stateDir = inRoot(root, profile.storage.dir);
  const layout: Layout = { installDir: join(root, 'opt/edgefw'), stateDir };
  const csrFile = join(stateDir, 'box.csr');
  const svc = (): Owner | undefined => serviceOwner(root);
  const rootAndService = (): Owner | undefined => {
    const s = serviceOwner(root);
    return s ? { uid: 0, gid: s.gid } : undefined;
  };
  const changes: Change[] = [];

  changes.push(...accountChanges(root, stateDir));
  changes.push(...dirChange(stateDir, 0o750, svc));
  changes.push(...dirChange(join(root, 'etc/edgefw'), 0o755));
  changes.push(...dirChange(join(root, 'etc/edgefw/release-keys'), 0o755));
  changes.push(...dirChange(layout.installDir, 0o755, svc));
  changes.push(...dirChange(releasesDir(layout), 0o755, svc));

  // the trust list: release keys the box accepts bundles from
  if (o.releaseKeys.length === 0 && !existsSync(join(root, 'etc/edgefw/release-keys'))) notes.push('no --release-key: this box will refuse every update until one is installed');
  for (const k of o.releaseKeys) changes.push(...fileChange(join(root, 'etc/edgefw/release-keys', `${releaseKeyId(k)}.pub`), `${publicKeyText(k)}\n`, 0o644, undefined, ' (release key)'));

  // the profile, validated above; it may hold the broker password: root-owned, readable by the service group
  changes.push(...fileChange(join(root, 'etc/edgefw/profile.yaml'), readFileSync(o.profile), 0o640, rootAndService, ` (profile of box ${profile.box.id})`));

  // the release
  const journal = readState(stateDir);
  const committed = journal?.committed ?? linkVersion(committedLink(layout));
  if (o.bundle) {
    const target = hostTarget();
    if (!target) throw new Error(`this machine (${process.arch}) is not a bundle target`);
    const trusted = [...o.releaseKeys];
    const m = await checkBundle(o.bundle, { trusted, target, node: process.versions.node, maxBytes: 2048 * 1048576 });
    const dir = releaseDir(layout, m.version);
    const same = existsSync(join(dir, 'manifest.json')) && JSON.stringify(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))) === JSON.stringify(m);
    const damage = same ? verifyInstalled(dir, trusted) : [];
    const installed = same && damage.length === 0;
    if (damage.length) notes.push(`release ${m.version} differs from its signed manifest (${damage.length}: ${damage.slice(0, 3).join(', ')}): reinstalling it`);
    if (committed && committed !== m.version) {
      notes.push(`this box runs ${committed}; provisioning does not switch versions — install ${m.version} with \`edgefw update ${o.bundle}\``);
    } else {
      if (!installed) {
        changes.push({ what: `install edgefw ${m.version} (${m.files.length} files, ${(m.bytes / 1048576).toFixed(1)} MB) into ${dir}`, apply: async () => {
          const staging = join(releasesDir(layout), `.staging-${m.version}-${process.pid}`);
          rmSync(staging, { recursive: true, force: true });
          await unpackBundle(o.bundle as string, m, staging);
          rmSync(dir, { recursive: true, force: true });
          renameSync(staging, dir);
          const own = svc();
          if (own && process.getuid?.() === 0) execFileSync('chown', ['-R', `${own.uid}:${own.gid}`, dir]);
          syncTree(dir);
        } });
        if (m.buildOnTarget.length) notes.push(`native modules to build on this box once: cd ${dir} && npm rebuild ${m.buildOnTarget.map((n) => n.name).join(' ')} (python3, make, g++; docs/install.md)`);
      }
      if (!journal || linkVersion(currentLink(layout)) !== m.version || linkVersion(committedLink(layout)) !== m.version) {
        changes.push({ what: `current, committed → releases/${m.version}; update journal at ${m.version} (floor ${m.version})`, apply: () => {
          pointLink(layout, committedLink(layout), m.version);
          pointLink(layout, currentLink(layout), m.version);
          const s = readState(stateDir);
          if (!s) writeState(stateDir, undefined, { state: 'idle', version: m.version, committed: m.version, floor: m.version, installDir: layout.installDir });
        } });
      }
    }
  } else if (!committed) notes.push('no release installed and no --bundle given: the service has nothing to start');
  else {
    const damage = verifyInstalled(releaseDir(layout, committed), o.releaseKeys.length ? o.releaseKeys : []);
    if (damage.length) {
      const what = `release ${committed} differs from its signed manifest (${damage.length}: ${damage.slice(0, 3).join(', ')}${damage.length > 3 ? ', …' : ''}); provision again with --bundle <its bundle> to reinstall it`;
      changes.push({ what, apply: () => {
        throw new Error(what);
      } });
    }
  }

  // the service unit and the udev rules, as shipped with this program
  const sd = o.systemdDir ?? defaultSystemdDir();
  changes.push(...fileChange(join(root, 'etc/systemd/system/edgefw.service'), readFileSync(join(sd, 'edgefw.service')), 0o644, undefined, ' (systemd unit; then systemctl daemon-reload && systemctl enable --now edgefw)'));
  changes.push(...fileChange(join(root, 'etc/udev/rules.d/99-edgefw.rules'), readFileSync(join(sd, '99-edgefw.rules')), 0o644, undefined, ' (udev: stable serial names, I²C/serial/GPIO for the service groups; then udevadm control --reload && udevadm trigger)'));

  const boot = bootConfigChanges(root);
  changes.push(...boot.changes);
  if (boot.note) notes.push(boot.note);

  changes.push(...identityChanges(stateDir, csrFile, { boxId: profile.box.id, ...(o.organisation ? { organisation: o.organisation } : {}) }, o.boxKeys, svc));
  return { changes, notes, layout, csrFile };
}

export async function applyPlan(p: Plan, say: (line: string) => void): Promise<void> {
  for (const c of p.changes) {
    say(`• ${c.what}`);
    if (c.diff) say(c.diff);
    await c.apply();
  }
}
