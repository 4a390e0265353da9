/**
 * Profile check shared by I²C parts whose read waits for a conversion: the device `timeout`
 * bounds the whole read, waits included, so it must cover the longest read the options make.
 */
export function timeoutCovers(
  o: { readonly timeout: number },
  budgetMs: number,
  why: string,
): { readonly path: readonly string[]; readonly message: string }[] {
  const need = Math.ceil(budgetMs);
  if (need <= o.timeout) return [];
  return [{ path: ['timeout'], message: `${o.timeout} ms is shorter than one read takes (${need} ms: ${why}); set timeout to at least ${need} ms` }];
}
