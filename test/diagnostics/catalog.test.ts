import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICE_ERROR_CODES } from '../../drivers/errors.js';
import { FAULTS, type FaultDefinition } from '../../firmware/diagnostics/catalog.js';
import { faultsDocFile, renderFaultsMarkdown } from '../../firmware/diagnostics/faults-doc.js';
import { loadLanguages, remedySteps } from '../../firmware/diagnostics/i18n/index.js';

describe('fault catalogue', () => {
  it('docs/faults.md and docs/faults.<lang>.md are what `npm run docs:faults` generates (run it after editing catalog.ts or a translation)', async () => {
    const languages = await loadLanguages();
    expect(languages.map((l) => faultsDocFile(l))).toEqual(expect.arrayContaining(['faults.md', 'faults.vi.md']));
    for (const t of languages) {
      const committed = readFileSync(new URL(`../../docs/${faultsDocFile(t)}`, import.meta.url), 'utf8');
      expect(committed, faultsDocFile(t)).toBe(renderFaultsMarkdown(t));
    }
  });

  it('has an entry with causes and a remedy for every code and every device error', () => {
    for (const code of DEVICE_ERROR_CODES) expect(FAULTS).toHaveProperty(code);
    for (const [code, d] of Object.entries(FAULTS) as [string, FaultDefinition][]) {
      expect(code, code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(d.causes.length, code).toBeGreaterThan(0);
      expect(d.remedy.length, code).toBeGreaterThan(20);
      expect(d.raiseAfter ?? 1, code).toBeGreaterThanOrEqual(1);
      expect(d.clearAfter ?? 1, code).toBeGreaterThanOrEqual(1);
    }
  });

  it('lists every code in the generated page with its remedy', () => {
    const md = renderFaultsMarkdown();
    for (const [code, d] of Object.entries(FAULTS) as [string, FaultDefinition][]) {
      expect(md).toContain(`## ${code}\n`);
      for (const step of remedySteps(d.remedy)) expect(md).toContain(step);
    }
  });
});
