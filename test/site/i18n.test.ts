import { describe, expect, it } from 'vitest';
import { FAULTS, type FaultCode } from '../../firmware/diagnostics/catalog.js';
import { PAGE_KEYS, faultText, loadLanguages, pageText, pickLanguage, remedySteps } from '../../firmware/diagnostics/i18n/index.js';

describe('languages of the technician page and fault catalogue', () => {
  it('finds English and Vietnamese; every language has every page text and every fault, complete', async () => {
    const langs = await loadLanguages();
    expect(langs.map((l) => `${l.lang} ${l.name}`)).toEqual(['en English', 'vi Tiếng Việt']);
    for (const t of langs) {
      for (const k of PAGE_KEYS) expect(t.page[k].trim().length, `${t.lang} page.${k}`).toBeGreaterThan(0);
      for (const code of Object.keys(FAULTS) as FaultCode[]) {
        const f = faultText(t, code);
        expect(f.title.length, `${t.lang} ${code} title`).toBeGreaterThan(3);
        expect(f.description.length, `${t.lang} ${code}`).toBeGreaterThan(10);
        expect(f.causes.length, `${t.lang} ${code} causes`).toBeGreaterThan(0);
        expect(f.steps.length, `${t.lang} ${code} steps`).toBeGreaterThan(0);
        expect(f.verify.length, `${t.lang} ${code} verify`).toBeGreaterThan(10);
      }
    }
  });

  it('has Vietnamese written with its diacritics, keeping the commands of the English remedies', async () => {
    const vi = (await loadLanguages()).find((l) => l.lang === 'vi');
    if (!vi) throw new Error('no Vietnamese');
    const all = JSON.stringify(vi);
    // letters only Vietnamese has: a text typed without diacritics would have none of them
    for (const ch of ['ă', 'â', 'đ', 'ê', 'ô', 'ơ', 'ư', 'ạ', 'ế', 'ộ', 'ờ']) expect(all, ch).toContain(ch);
    expect(faultText(vi, 'I2C_NACK').title).toBe('Cảm biến không trả lời trên I²C');
    expect(pageText(vi, 'secondsAgo', { n: 5 })).toBe('5 giây trước');
    // the Vietnamese remedy keeps the commands and profile keys of the English one
    for (const code of Object.keys(FAULTS) as FaultCode[]) {
      const en = FAULTS[code].remedy;
      const commands = en.match(/`edgefw [a-z]+ ?[a-z0-9]*/g) ?? [];
      for (const c of commands) expect(faultText(vi, code).steps.join(' ') + faultText(vi, code).verify, `${code}: ${c}`).toContain(c.slice(1));
    }
  });

  it('picks the language from ?lang, then Accept-Language by quality, else English', async () => {
    const L = await loadLanguages();
    const pick = (q: string | undefined, al: string | undefined): string => pickLanguage(L, q, al).lang;
    expect(pick(undefined, 'vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7')).toBe('vi');
    expect(pick(undefined, 'fr-FR,fr;q=0.9,en;q=0.5,vi;q=0.4')).toBe('en');
    expect(pick(undefined, 'en;q=0.2, vi;q=0.8')).toBe('vi');
    expect(pick(undefined, 'de, ja')).toBe('en');
    expect(pick(undefined, 'vi;q=0')).toBe('en');
    expect(pick('en', 'vi')).toBe('en');
    expect(pick('vi', undefined)).toBe('vi');
    expect(pick('xx', 'vi')).toBe('vi');
    expect(pick(undefined, `${'x;q=0.1,'.repeat(5000)}vi`)).toBe('en'); // bounded: a huge header is not walked to its end
    expect(pick(undefined, ';;;,,,q=,')).toBe('en');
  });

  it('turns a one-line English remedy into numbered steps', () => {
    expect(remedySteps('Check the cable and reseat it; measure 3.3 V at the sensor; run `edgefw scan i2c`.')).toEqual([
      'Check the cable and reseat it.',
      'Measure 3.3 V at the sensor.',
      'Run `edgefw scan i2c`.',
    ]);
  });
});
