/**
 * vitest globalSetup: chooses the one fast-check seed of this test run, before any worker starts.
 *
 * - default: the fixed seed {@link DEFAULT_FAST_CHECK_SEED}, so `npm test` checks the same cases every run (CI);
 * - `NCSCOPE_FC_SEED=random`: a fresh random seed, printed here so a failure can be replayed;
 * - `NCSCOPE_FC_SEED=<integer>`: that seed (replays a run).
 *
 * The resolved seed is handed to the workers in `NCSCOPE_FC_SEED`; test/setup/fast-check.ts applies it with
 * `fc.configureGlobal`. fast-check prints the seed (and the shrink path) in every failure message.
 */
import { resolveFastCheckSeed } from './fast-check-config.js';

export default function setup(): void {
  const { seed, random } = resolveFastCheckSeed(process.env.NCSCOPE_FC_SEED);
  process.env.NCSCOPE_FC_SEED = String(seed);
  if (random) console.log(`fast-check: random seed ${seed} (replay with NCSCOPE_FC_SEED=${seed})`);
}
