import type { FitMoments } from './fit-matrices.js';

/** NC5, ID/OOD orthogonality (Ammar et al. 2024), in two forms. 0 = the OOD mean is orthogonal to every class mean. */
export interface Nc5 {
  /** mean over ID classes c of |cos(μ_c − μ_G, μ_OOD − μ_G)|. */
  centred: number;
  /** mean over ID classes c of |cos(μ_c, μ_OOD)| (rhubarbwu/neural-collapse's orthogonality_deviation of the means with the OOD mean). */
  raw: number;
}

/**
 * The global mean NC5's centred form subtracts: 'class' = the class-uniform mean of the class means (Papyan et al.
 * 2020; ncscope's default), 'sample' = the mean of all fit rows.
 */
export type Nc5GlobalMean = 'class' | 'sample';

/** μ_G of the fit set under a convention (classes with samples only). */
export function fitGlobalMean(m: FitMoments, convention: Nc5GlobalMean): Float64Array {
  if (convention === 'sample') return m.sampleMean;
  const g = new Float64Array(m.D);
  for (const k of m.classes) for (let t = 0; t < m.D; t++) g[t] += m.means[k * m.D + t] / m.classes.length;
  return g;
}

/**
 * NC5 of an OOD set with feature mean `oodMean` against the fit set's class means (classes with samples). A zero
 * vector has cosine 0 with anything (as torch's cosine_similarity, which clamps the norms).
 */
export function nc5(m: FitMoments, oodMean: ArrayLike<number>, globalMean: ArrayLike<number>): Nc5 {
  const D = m.D;
  const o = new Float64Array(D);
  for (let t = 0; t < D; t++) o[t] = oodMean[t] - globalMean[t];
  let centred = 0, raw = 0;
  for (const k of m.classes) {
    const base = k * D;
    let dc = 0, nc = 0, no = 0, dr = 0, nr = 0, nor = 0;
    for (let t = 0; t < D; t++) {
      const c = m.means[base + t] - globalMean[t];
      dc += c * o[t];
      nc += c * c;
      no += o[t] * o[t];
      const r = m.means[base + t];
      dr += r * oodMean[t];
      nr += r * r;
      nor += oodMean[t] * oodMean[t];
    }
    centred += nc > 0 && no > 0 ? Math.abs(dc) / (Math.sqrt(nc) * Math.sqrt(no)) : 0;
    raw += nr > 0 && nor > 0 ? Math.abs(dr) / (Math.sqrt(nr) * Math.sqrt(nor)) : 0;
  }
  return { centred: centred / m.classes.length, raw: raw / m.classes.length };
}
