import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../../../firmware/lifecycle/state.js';
import { type Change, lineDiff } from './changes.js';

/**
 * Raspberry Pi boot settings the sensors need: the header's I²C bus (dtparam=i2c_arm=on →
 * /dev/i2c-1) and the primary UART (enable_uart=1). Raspberry Pi OS Bookworm keeps config.txt
 * in /boot/firmware/, older releases in /boot/. A commented-out or opposite setting is edited
 * in place; a missing one is appended under an `[all]` section so a model filter above cannot
 * swallow it. The change is shown as a diff before it is written, and takes effect at the next
 * reboot (the plan says so).
 */
export const BOOT_SETTINGS: readonly { readonly key: string; readonly value: string; readonly why: string }[] = [
  { key: 'dtparam=i2c_arm', value: 'on', why: 'I²C on header pins 3/5 (/dev/i2c-1)' },
  { key: 'enable_uart', value: '1', why: 'UART on header pins 8/10 (/dev/serial0)' },
];

export function configTxtPath(root: string): string | undefined {
  return ['boot/firmware/config.txt', 'boot/config.txt'].map((p) => join(root, p)).find((p) => existsSync(p));
}

export function editedConfig(text: string): string {
  const lines = text.split('\n');
  const missing: string[] = [];
  for (const s of BOOT_SETTINGS) {
    const want = `${s.key}=${s.value}`;
    const re = new RegExp(`^\\s*#?\\s*${s.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=(.*)$`);
    const idx = lines.findIndex((l) => re.test(l));
    const active = lines.findIndex((l) => !l.trimStart().startsWith('#') && re.test(l));
    if (active >= 0) {
      if (lines[active]?.trim() !== want) lines[active] = want;
    } else if (idx >= 0) lines[idx] = want;
    else missing.push(want);
  }
  let out = lines.join('\n');
  if (missing.length) {
    if (!out.endsWith('\n')) out += '\n';
    out += `\n# edgefw: sensor buses (edgefw provision)\n[all]\n${missing.join('\n')}\n`;
  }
  return out;
}

export function bootConfigChanges(root: string): { changes: Change[]; note?: string } {
  const file = configTxtPath(root);
  if (!file) return { changes: [], note: `no ${join(root, 'boot/firmware/config.txt')} or ${join(root, 'boot/config.txt')}: not a Raspberry Pi, boot settings skipped` };
  const before = readFileSync(file, 'utf8');
  const after = editedConfig(before);
  if (after === before) return { changes: [] };
  return {
    changes: [{
      what: `edit ${file}: ${BOOT_SETTINGS.map((s) => `${s.key}=${s.value} (${s.why})`).join(', ')}; takes effect at the next reboot`,
      diff: lineDiff(file, before, after),
      apply: () => writeDurable(file, after, 0o644),
    }],
  };
}
