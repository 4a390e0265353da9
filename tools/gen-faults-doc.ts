import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderFaultsMarkdown } from '../firmware/diagnostics/faults-doc.js';

/** `npm run docs:faults`: regenerate docs/faults.md from the fault catalogue. */
const target = fileURLToPath(new URL('../docs/faults.md', import.meta.url));
writeFileSync(target, renderFaultsMarkdown());
console.log(`wrote ${target}`);
