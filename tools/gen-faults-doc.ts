import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { faultsDocFile, renderFaultsMarkdown } from '../firmware/diagnostics/faults-doc.js';
import { loadLanguages } from '../firmware/diagnostics/i18n/index.js';

/** `npm run docs:faults`: regenerate docs/faults.md and docs/faults.<lang>.md from the catalogue and its translations. */
for (const t of await loadLanguages()) {
  const target = fileURLToPath(new URL(`../docs/${faultsDocFile(t)}`, import.meta.url));
  writeFileSync(target, renderFaultsMarkdown(t));
  console.log(`wrote ${target}`);
}
