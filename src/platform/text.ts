// Normalisation for names people type: one rule, used wherever uniqueness is decided.

/** NFKC + case folding so `Alice`, `ALICE` and `Ａｌｉｃｅ` (full-width) are the same username. */
export function normalizeName(value: string): string {
  return value.normalize('NFKC').toLocaleLowerCase('en-US').trim();
}
