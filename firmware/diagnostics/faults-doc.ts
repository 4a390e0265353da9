import { FAULTS, type FaultCode, type FaultDefinition } from './catalog.js';
import { type Translation, english, faultText, pageText } from './i18n/index.js';

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'] as const;

function lifecycle(t: Translation, d: FaultDefinition): string {
  const parts: string[] = [];
  if ((d.raiseAfter ?? 1) > 1) parts.push(pageText(t, 'lcRaise', { n: d.raiseAfter ?? 1 }));
  if ((d.clearAfter ?? 1) > 1) parts.push(pageText(t, 'lcClear', { n: d.clearAfter ?? 1 }));
  if (d.latch) parts.push(t.page.lcLatch);
  return parts.length === 0 ? t.page.lcDefault : parts.join('; ');
}

/** The file a language's fault page lives in: docs/faults.md for English, docs/faults.<lang>.md otherwise. */
export function faultsDocFile(t: Translation): string {
  return t.lang === 'en' ? 'faults.md' : `faults.${t.lang}.md`;
}

/**
 * docs/faults.md (and docs/faults.<lang>.md per translation), generated from the catalogue and
 * its translations (`npm run docs:faults`). A test compares the committed files with this output,
 * so the page a technician reads is never older than the code.
 */
export function renderFaultsMarkdown(t: Translation = english()): string {
  const codes = (Object.keys(FAULTS) as FaultCode[]).sort();
  const sev = (s: string): string => t.page[`sev_${s}` as keyof Translation['page']];
  const lines: string[] = [
    `# ${t.page.docTitle}`,
    '',
    `<!-- generated from firmware/diagnostics/catalog.ts and firmware/diagnostics/i18n/ by \`npm run docs:faults\`; do not edit by hand -->`,
    '',
    t.page.docIntro,
    '',
    `| ${t.page.docCode} | ${t.page.severity} | ${t.page.docComponent} | ${t.page.docObserved} |`,
    '| --- | --- | --- | --- |',
    ...codes.map((c) => {
      const d = FAULTS[c] as FaultDefinition;
      return `| [\`${c}\`](#${c.toLowerCase()}) | ${sev(d.severity)} | ${d.component} | ${faultText(t, c).description} |`;
    }),
    '',
    `${t.page.docOrder}: ${SEVERITY_ORDER.map(sev).join(', ')}.`,
    '',
  ];
  for (const c of codes) {
    const d = FAULTS[c] as FaultDefinition;
    const f = faultText(t, c);
    lines.push(
      `## ${c}`,
      '',
      `**${f.title}** · ${sev(d.severity)} · ${d.component} · ${lifecycle(t, d)}`,
      '',
      f.description,
      '',
      `${t.page.causes}:`,
      '',
      ...f.causes.map((x) => `- ${x}`),
      '',
      `**${t.page.remedy}:**`,
      '',
      ...f.steps.map((s, i) => `${i + 1}. ${s}`),
      '',
      `**${t.page.verify}:** ${f.verify}`,
      '',
    );
  }
  return lines.join('\n');
}
