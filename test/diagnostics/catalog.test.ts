import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICE_ERROR_CODES } from '../../drivers/errors.js';
import { FAULTS, type FaultDefinition } from '../../firmware/diagnostics/catalog.js';
import { renderFaultsMarkdown } from '../../firmware/diagnostics/faults-doc.js';

describe('fault catalogue', () => {
  it('docs/faults.md is what `npm run docs:faults` generates from the catalogue (run it after editing catalog.ts)', () => {
    const committed = readFileSync(new URL('../../docs/faults.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderFaultsMarkdown());
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
      expect(md).toContain(d.remedy);
    }
  });
});
