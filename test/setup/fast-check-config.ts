/** The fast-check seed rule shared by the global setup and the per-file setup (see fast-check-seed.ts). */

/** The seed property tests use unless NCSCOPE_FC_SEED says otherwise. */
export const DEFAULT_FAST_CHECK_SEED = 20240613;

/** `undefined`/'' → the default seed; 'random' → a fresh one; an integer → itself; anything else is an error. */
export function resolveFastCheckSeed(value: string | undefined): { seed: number; random: boolean } {
  if (value === undefined || value.trim() === '') return { seed: DEFAULT_FAST_CHECK_SEED, random: false };
  if (value.trim() === 'random') return { seed: (Math.random() * 2 ** 31) | 0, random: true };
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`NCSCOPE_FC_SEED must be an integer or 'random', got '${value}'`);
  return { seed: n | 0, random: false };
}
