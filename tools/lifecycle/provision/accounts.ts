import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../../../firmware/lifecycle/state.js';
import type { Change, Owner } from './changes.js';

/**
 * The service account: a system user `edgefw` (no login, home = the state directory) in its own
 * group and in the groups that own the hardware: i2c (/dev/i2c-*), dialout (serial ports), gpio
 * (/sys/class/gpio, /dev/gpiochip*), video (vcgencmd get_throttled). On the real root the plan
 * is carried out with groupadd/useradd/usermod; under a scratch root (--root, tests) the same
 * plan edits <root>/etc/passwd and <root>/etc/group, so every step is tested without touching
 * the machine.
 */
export const SERVICE_USER = 'edgefw';
export const HARDWARE_GROUPS = ['i2c', 'dialout', 'gpio', 'video'] as const;

interface GroupLine {
  name: string;
  gid: number;
  members: string[];
}

function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')) : [];
}

function groups(root: string): GroupLine[] {
  return readLines(join(root, 'etc/group')).map((l) => {
    const [name = '', , gid = '0', members = ''] = l.split(':');
    return { name, gid: Number(gid), members: members.split(',').filter(Boolean) };
  });
}

function users(root: string): { name: string; uid: number; gid: number; home: string }[] {
  return readLines(join(root, 'etc/passwd')).map((l) => {
    const [name = '', , uid = '0', gid = '0', , home = ''] = l.split(':');
    return { name, uid: Number(uid), gid: Number(gid), home };
  });
}

/** The service user's uid/gid once it exists (for chown), read from <root>/etc/passwd. */
export function serviceOwner(root: string): Owner | undefined {
  const u = users(root).find((x) => x.name === SERVICE_USER);
  return u ? { uid: u.uid, gid: u.gid } : undefined;
}

/** A free system id (below 1000, from 999 down) in both files. */
function freeId(taken: Set<number>): number {
  for (let id = 999; id > 100; id--) if (!taken.has(id)) return id;
  throw new Error('no free system uid/gid below 1000');
}

export function accountChanges(root: string, stateDir: string): Change[] {
  const real = root === '/';
  const changes: Change[] = [];
  const gs = groups(root);
  const us = users(root);
  const missingGroups = [SERVICE_USER, ...HARDWARE_GROUPS].filter((g) => !gs.some((x) => x.name === g));
  const user = us.find((u) => u.name === SERVICE_USER);
  const needMembership = HARDWARE_GROUPS.filter((g) => !gs.find((x) => x.name === g)?.members.includes(SERVICE_USER));
  const home = real ? stateDir : stateDir.slice(root.length - (root.endsWith('/') ? 1 : 0)) || '/';

  if (real) {
    for (const g of missingGroups) changes.push({ what: `groupadd --system ${g}`, apply: () => void execFileSync('groupadd', ['--system', g]) });
    if (!user) changes.push({ what: `useradd --system --gid ${SERVICE_USER} --home-dir ${stateDir} --shell /usr/sbin/nologin ${SERVICE_USER}`, apply: () => void execFileSync('useradd', ['--system', '--gid', SERVICE_USER, '--home-dir', stateDir, '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER]) });
    if (needMembership.length) changes.push({ what: `usermod --append --groups ${needMembership.join(',')} ${SERVICE_USER}`, apply: () => void execFileSync('usermod', ['--append', '--groups', needMembership.join(','), SERVICE_USER]) });
    return changes;
  }
  if (missingGroups.length === 0 && user && needMembership.length === 0) return [];
  const what = [
    ...missingGroups.map((g) => `group ${g}`),
    ...(user ? [] : [`system user ${SERVICE_USER} (home ${home}, no login)`]),
    ...(needMembership.length ? [`${SERVICE_USER} into ${needMembership.join(', ')}`] : []),
  ];
  changes.push({
    what: `accounts in ${join(root, 'etc')}/passwd, group: ${what.join('; ')}`,
    apply: () => {
      const g = groups(root);
      const taken = new Set([...g.map((x) => x.gid), ...users(root).map((x) => x.uid)]);
      for (const name of missingGroups) {
        const gid = freeId(taken);
        taken.add(gid);
        g.push({ name, gid, members: [] });
      }
      for (const name of HARDWARE_GROUPS) {
        const line = g.find((x) => x.name === name);
        if (line && !line.members.includes(SERVICE_USER)) line.members.push(SERVICE_USER);
      }
      writeDurable(join(root, 'etc/group'), `${g.map((x) => `${x.name}:x:${x.gid}:${x.members.join(',')}`).join('\n')}\n`);
      if (!user) {
        const own = g.find((x) => x.name === SERVICE_USER);
        const uid = taken.has(own?.gid ?? -1) && !users(root).some((u) => u.uid === own?.gid) ? (own?.gid as number) : freeId(taken);
        const lines = readLines(join(root, 'etc/passwd'));
        lines.push(`${SERVICE_USER}:x:${uid}:${own?.gid}:edgefw sensor box runtime:${home}:/usr/sbin/nologin`);
        writeDurable(join(root, 'etc/passwd'), `${lines.join('\n')}\n`);
      }
    },
  });
  return changes;
}
