import { FAULTS, type FaultCode, type FaultDefinition } from './catalog.js';

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'] as const;

function lifecycle(d: FaultDefinition): string {
  const parts: string[] = [];
  if ((d.raiseAfter ?? 1) > 1) parts.push(`raised after ${d.raiseAfter} occurrences in a row`);
  if ((d.clearAfter ?? 1) > 1) parts.push(`cleared after ${d.clearAfter} good observations in a row`);
  if (d.latch) parts.push('latched: stays until acknowledged (`edgefw ack` or cmd/ack)');
  return parts.length === 0 ? 'raised on the first occurrence, cleared on the first good observation' : parts.join('; ');
}

/**
 * docs/faults.md, generated from the catalogue (`npm run docs:faults`). A test compares the
 * committed file with this output, so the page a technician reads is never older than the code.
 */
export function renderFaultsMarkdown(): string {
  const codes = (Object.keys(FAULTS) as FaultCode[]).sort();
  const lines: string[] = [
    '# Fault codes',
    '',
    '<!-- generated from firmware/diagnostics/catalog.ts by `npm run docs:faults`; do not edit by hand -->',
    '',
    'Every fault edgefw reports carries one of these stable codes, the device or component it',
    'concerns (the *subject*), a message with the details, first/last seen and a count. The box',
    'publishes the active set retained on `<prefix>/<box>/faults` and every transition on',
    '`<prefix>/<box>/faults/events`; `edgefw diag` prints them with their remedies. See',
    '[diagnostics.md](diagnostics.md) for how to read them on site.',
    '',
    '| code | severity | component | what the box observed |',
    '| --- | --- | --- | --- |',
    ...codes.map((c) => {
      const d = FAULTS[c] as FaultDefinition;
      return `| [\`${c}\`](#${c.toLowerCase()}) | ${d.severity} | ${d.component} | ${d.description} |`;
    }),
    '',
    `Severities, most urgent first: ${SEVERITY_ORDER.join(', ')}.`,
    '',
  ];
  for (const c of codes) {
    const d = FAULTS[c] as FaultDefinition;
    lines.push(
      `## ${c}`,
      '',
      `**${d.severity}** · ${d.component} · ${lifecycle(d)}`,
      '',
      d.description,
      '',
      'Likely causes, most likely first:',
      '',
      ...d.causes.map((x) => `- ${x}`),
      '',
      `**Remedy:** ${d.remedy}`,
      '',
    );
  }
  return lines.join('\n');
}
