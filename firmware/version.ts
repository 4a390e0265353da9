import { readFileSync } from 'node:fs';

/** Firmware version as published in status messages: the package version. */
export const FIRMWARE_VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'edgefw' && pkg.version) return pkg.version;
    } catch {
      /* try the next location (source tree or dist/) */
    }
  }
  return '0.0.0';
})();

/**
 * A day on or before the one this firmware was built (bump it with each release; a stale value
 * only weakens the check). Wall time cannot be earlier: the clock's floor, which turns a GPS date
 * from before it into a week-rollover correction as gpsd does with its build date.
 */
export const FIRMWARE_DATE_MS = Date.UTC(2026, 10, 28);
