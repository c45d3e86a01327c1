import { mulberry32 } from '@ncscope/core';

/**
 * Seeded standard normal draws: Box–Muller on core's mulberry32 uniforms (both values of each pair are used).
 * The same seed gives the same sequence on every platform (IEEE float64, `Math.log`/`Math.cos`/`Math.sin` of one
 * engine), so UFM runs are reproducible bit for bit.
 */
export function normalSampler(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
