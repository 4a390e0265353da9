import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAULTS, type FaultCode } from '../catalog.js';
import { EN_FAULTS, EN_PAGE, EN_VERIFY_DEFAULT } from './en.js';
import type { FaultText, PageKey, Translation } from './types.js';

export type { FaultText, PageKey, Translation } from './types.js';
export { PAGE_KEYS } from './types.js';

/** A remedy sentence list from the English catalogue's one-line remedy ("a; b; c." → three steps). */
export function remedySteps(remedy: string): string[] {
  return remedy
    .split(/;\s+|\.\s+(?=[A-Z`(])/)
    .map((s) => s.trim().replace(/\.$/, ''))
    .filter((s) => s.length > 0)
    .map((s) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`);
}

export function english(): Translation {
  const faults = {} as Record<FaultCode, FaultText>;
  for (const code of Object.keys(FAULTS) as FaultCode[]) {
    const d = FAULTS[code];
    const t = EN_FAULTS[code];
    faults[code] = { title: t.title, description: d.description, causes: d.causes, steps: remedySteps(d.remedy), ...(t.verify ? { verify: t.verify } : {}) };
  }
  return { lang: 'en', name: 'English', page: EN_PAGE, verifyDefault: EN_VERIFY_DEFAULT, faults };
}

/**
 * Every language of the page and of docs/faults.<lang>.md: English from the catalogue, and each
 * translation file in this folder (<tag>.ts, compiled to <tag>.js), found by name — adding a
 * language is adding one file.
 */
let loaded: Promise<readonly Translation[]> | undefined;
export function loadLanguages(): Promise<readonly Translation[]> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<readonly Translation[]> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(dir).filter((f) => /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\.(ts|js)$/.test(f) && !f.startsWith('en.'));
  const out: Translation[] = [english()];
  for (const f of files.sort()) {
    const mod = (await import(new URL(f, import.meta.url).href)) as { default?: Translation };
    if (mod.default && !out.some((t) => t.lang === mod.default?.lang)) out.push(mod.default);
  }
  return out;
}

/** The language for a request: `?lang=` when known, else the best of Accept-Language, else English. */
export function pickLanguage(languages: readonly Translation[], explicit: string | undefined, acceptLanguage: string | undefined): Translation {
  const en = languages[0] as Translation;
  const find = (tag: string): Translation | undefined => {
    const t = tag.trim().toLowerCase();
    return languages.find((l) => l.lang.toLowerCase() === t) ?? languages.find((l) => l.lang.toLowerCase() === t.split('-')[0]);
  };
  if (explicit) {
    const l = find(explicit);
    if (l) return l;
  }
  // Accept-Language: "vi-VN,vi;q=0.9,en;q=0.8" — bounded: at most 16 entries looked at
  const ranked = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .slice(0, 16)
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { tag, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((x) => x.q > 0 && x.tag.trim() !== '')
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) {
    const l = find(r.tag);
    if (l) return l;
  }
  return en;
}

/** One page text with {name} placeholders filled. */
export function pageText(t: Translation, key: PageKey, vars: Readonly<Record<string, string | number>> = {}): string {
  return t.page[key].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** The text of one fault in one language, with the component's default check when it has none of its own. */
export function faultText(t: Translation, code: FaultCode): Required<FaultText> {
  const f = t.faults[code];
  return { ...f, verify: f.verify ?? t.verifyDefault[FAULTS[code].component] };
}
