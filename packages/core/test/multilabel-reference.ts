/**
 * A plainly written float64 reference for the multi-label definitions (core README, "Multi-label Neural Collapse";
 * Li et al. 2023), from raw samples: every sample's label set, class means from the single-label samples, the global
 * mean by convention, Σ_B as a D × D matrix and its pseudo-inverse from ml-matrix's eigendecomposition with this
 * file's own cutoff, Σ_W^sets as a sum of N outer products, angles by arccos. Imports nothing from packages/core/src.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface MultiLabelRefInput {
  /** N rows of D features. */
  features: ArrayLike<number>;
  D: number;
  /** Each row's labels (any order; empty = unlabelled). */
  sets: number[][];
}

export interface MultiLabelRef {
  singleLabelN: number;
  multiLabelN: number;
  unlabelledN: number;
  /** NC1 of the single-label samples. */
  nc1: number;
  labelSetNc1: number;
  /** Per measured set (key "a,b"): angle in degrees and scale. */
  sets: Map<string, { count: number; angle: number; scale: number; variance: number }>;
  tagWiseAngle: number;
  tagWiseAngleMax: number;
  tagWiseScale: Record<string, number>;
}

const EPS = 2 ** -52;

export function multiLabelReference(input: MultiLabelRefInput, options: { globalMean?: 'class' | 'sample'; minSetCount?: number } = {}): MultiLabelRef {
  const { features, D, sets } = input;
  const N = sets.length;
  const row = (i: number) => Array.from({ length: D }, (_, t) => features[i * D + t]);
  const groups = new Map<string, number[]>();
  let unlabelled = 0;
  sets.forEach((s, i) => {
    if (s.length === 0) {
      unlabelled++;
      return;
    }
    const key = [...s].sort((a, b) => a - b).join(',');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const mean = (idx: number[]) => {
    const m = new Array<number>(D).fill(0);
    for (const i of idx) { const h = row(i); for (let t = 0; t < D; t++) m[t] += h[t]; }
    return m.map((v) => v / idx.length);
  };
  const setMean = new Map<string, number[]>();
  for (const [key, idx] of groups) setMean.set(key, mean(idx));
  const classes = [...groups.keys()].filter((k) => !k.includes(',')).map(Number).sort((a, b) => a - b);
  const K = classes.length;
  const mu = new Map(classes.map((k) => [k, setMean.get(String(k))!]));
  const singleIdx = classes.flatMap((k) => groups.get(String(k))!);
  const muG = options.globalMean === 'sample'
    ? mean(singleIdx)
    : Array.from({ length: D }, (_, t) => classes.reduce((s, k) => s + mu.get(k)![t], 0) / K);
  // Σ_B (D × D) and its pseudo-inverse with cutoff max(D, K)·ε·λ_max.
  const SB = Matrix.zeros(D, D);
  for (const k of classes) {
    const c = mu.get(k)!.map((v, t) => v - muG[t]);
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) SB.set(a, b, SB.get(a, b) + (c[a] * c[b]) / K);
  }
  const eig = new EigenvalueDecomposition(SB, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const lmax = Math.max(...values);
  const cutoff = Math.max(D, K) * EPS * lmax;
  const pinv = Matrix.zeros(D, D);
  values.forEach((l, j) => {
    if (l <= cutoff) return;
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) pinv.set(a, b, pinv.get(a, b) + (vectors.get(a, j) * vectors.get(b, j)) / l);
  });
  const traceWith = (idx: number[], centre: (i: number) => number[], n: number) => {
    const S = Matrix.zeros(D, D);
    for (const i of idx) {
      const h = row(i);
      const c = centre(i);
      const r = h.map((v, t) => v - c[t]);
      for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) S.set(a, b, S.get(a, b) + (r[a] * r[b]) / n);
    }
    return S.mmul(pinv).trace() / K;
  };
  const keyOf = (i: number) => [...sets[i]].sort((a, b) => a - b).join(',');
  const nc1 = traceWith(singleIdx, (i) => mu.get(sets[i][0])!, singleIdx.length);
  const labelled = sets.map((s, i) => i).filter((i) => sets[i].length > 0);
  const labelSetNc1 = traceWith(labelled, (i) => setMean.get(keyOf(i))!, labelled.length);
  // Tag-wise geometry.
  const minSetCount = options.minSetCount ?? 5;
  const measured = new Map<string, { count: number; angle: number; scale: number; variance: number }>();
  for (const [key, idx] of groups) {
    const S = key.split(',').map(Number);
    if (S.length < 2 || idx.length < minSetCount || !S.every((k) => mu.has(k))) continue;
    const v = setMean.get(key)!.map((x, t) => x - muG[t]);
    const a = Array.from({ length: D }, (_, t) => S.reduce((s, k) => s + mu.get(k)![t] - muG[t], 0) / S.length);
    const dot = v.reduce((s, x, t) => s + x * a[t], 0);
    const nv = Math.hypot(...v);
    const na = Math.hypot(...a);
    // The definition has no angle when a_S = 0 (the set of all K labels with the class-uniform μ_G): left out.
    const typical = S.reduce((s, k) => s + Math.hypot(...mu.get(k)!.map((x, t) => x - muG[t])), 0) / S.length;
    if (na <= 1e-10 * typical) continue;
    const angle = (Math.acos(Math.min(1, Math.max(-1, dot / (nv * na)))) * 180) / Math.PI;
    let ss = 0;
    for (const i of idx) { const h = row(i); const m = setMean.get(key)!; for (let t = 0; t < D; t++) ss += (h[t] - m[t]) ** 2; }
    measured.set(key, { count: idx.length, angle, scale: dot / (na * na), variance: ss / idx.length });
  }
  const angles = [...measured.values()].map((s) => s.angle);
  const bySize: Record<string, number[]> = {};
  for (const [key, s] of measured) (bySize[String(key.split(',').length)] ??= []).push(s.scale);
  return {
    singleLabelN: singleIdx.length,
    multiLabelN: labelled.length - singleIdx.length,
    unlabelledN: unlabelled,
    nc1,
    labelSetNc1,
    sets: measured,
    tagWiseAngle: angles.reduce((a, b) => a + b, 0) / angles.length,
    tagWiseAngleMax: Math.max(...angles),
    tagWiseScale: Object.fromEntries(Object.entries(bySize).map(([m, v]) => [m, v.reduce((a, b) => a + b, 0) / v.length])),
  };
}
