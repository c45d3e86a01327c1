/**
 * vitest setupFiles (every project): every fast-check property in the repository runs with the run's seed
 * (fixed by default, random with NCSCOPE_FC_SEED=random; chosen once in fast-check-seed.ts). A property that
 * passes its own `seed` keeps it. Failures print `{ seed, path }`, which replays the exact counterexample.
 */
import fc from 'fast-check';
import { resolveFastCheckSeed } from './fast-check-config.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: resolveFastCheckSeed(process.env.NCSCOPE_FC_SEED).seed });
