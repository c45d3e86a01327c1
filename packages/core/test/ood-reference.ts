/**
 * A plainly written float64 reference of the seven OOD scores and NC5, from the formulas and nothing of
 * packages/core/src: every fit-set row is kept, covariances are formed by the textbook two-pass sums, and the
 * eigen-decompositions / pseudo-inverses come from ml-matrix. Slow on purpose (O(N·D²) per score, no streaming).
 */
import { EigenvalueDecomposition, Matrix, pseudoInverse } from 'ml-matrix';

export interface RefParams {
  vimDim: number;
  necoDim: number;
  necoMaxLogit: boolean;
  nciAlpha: number;
  temperature: number;
}

const rowsOf = (x: ArrayLike<number>, D: number): number[][] => Array.from({ length: x.length / D }, (_, i) => Array.from({ length: D }, (_, t) => x[i * D + t]));
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));
const sub = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);

/** Eigenpairs of a symmetric matrix, largest first (ml-matrix). */
function eigDescending(m: number[][]): { values: number[]; vectors: number[][] } {
  const e = new EigenvalueDecomposition(new Matrix(m), { assumeSymmetric: true });
  const values = e.realEigenvalues;
  const V = e.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  return { values: order.map((i) => values[i]), vectors: order.map((i) => V.getColumn(i)) };
}

/** Population covariance of rows about `centre` (a given vector, not necessarily their mean). */
function covarianceAbout(rows: number[][], centre: number[]): number[][] {
  const D = centre.length;
  const c = Array.from({ length: D }, () => new Array(D).fill(0));
  for (const r of rows) {
    const d = sub(r, centre);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) c[i][j] += d[i] * d[j];
  }
  return c.map((row) => row.map((v) => v / rows.length));
}

/** Reference scores of `test` rows after fitting on (fit, labels) with classifier (W, b). */
export function referenceScores(fit: ArrayLike<number>, labels: ArrayLike<number>, test: ArrayLike<number>, D: number, W: ArrayLike<number>, b: ArrayLike<number>, p: RefParams) {
  const X = rowsOf(fit, D);
  const T = rowsOf(test, D);
  const Wr = rowsOf(W, D);
  const K = Wr.length;
  const logits = (h: number[]) => Wr.map((w, k) => dot(w, h) + b[k]);
  const N = X.length;
  const classes = [...new Set(Array.from(labels))].sort((a, c) => a - c);
  const mean = (rows: number[][]) => rows[0].map((_, t) => rows.reduce((s, r) => s + r[t], 0) / rows.length);
  const classMeans = new Map(classes.map((k) => [k, mean(X.filter((_, i) => labels[i] === k))]));
  const muG = mean(X);

  // Mahalanobis: pseudo-inverse (ml-matrix, relative threshold) of the covariance of class-centred rows.
  const centred = X.map((r, i) => sub(r, classMeans.get(labels[i])!));
  const sigmaW = covarianceAbout(centred, new Array(D).fill(0));
  const eW = eigDescending(sigmaW);
  const cutoff = D * Number.EPSILON * Math.max(...eW.values.map(Math.abs));
  // P = Σ_{λ > cutoff} v vᵀ / λ (scipy's pinvh rule, written out).
  const P = Array.from({ length: D }, () => new Array(D).fill(0));
  eW.values.forEach((l, j) => {
    if (!(l > cutoff)) return;
    const v = eW.vectors[j];
    for (let a = 0; a < D; a++) for (let c = 0; c < D; c++) P[a][c] += (v[a] * v[c]) / l;
  });
  const mahalanobis = (h: number[]) => Math.max(...classes.map((k) => {
    const d = sub(h, classMeans.get(k)!);
    return -dot(d, P.map((row) => dot(row, d)));
  }));

  // ViM: u = −W⁺b (ml-matrix's SVD pseudo-inverse), residual space beyond the top vimDim eigenvectors.
  const Wp = pseudoInverse(new Matrix(Wr));
  const u = Wp.mmul(Matrix.columnVector(Array.from(b))).getColumn(0).map((v) => -v);
  const eU = eigDescending(covarianceAbout(X, u));
  const NS = eU.vectors.slice(p.vimDim);
  const residual = (h: number[]) => norm(NS.map((v) => dot(v, sub(h, u))));
  const lse = (z: number[]) => {
    const m = Math.max(...z);
    return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  };
  const alpha = X.reduce((s, h) => s + Math.max(...logits(h)), 0) / N / (X.reduce((s, h) => s + residual(h), 0) / N);

  // NECO: StandardScaler (constant features keep scale 1), PCA of the standardized rows.
  const varT = muG.map((m, t) => X.reduce((s, r) => s + (r[t] - m) ** 2, 0) / N);
  const scale = varT.map((v, t) => (v <= N * Number.EPSILON * v + (N * muG[t] * Number.EPSILON) ** 2 ? 1 : Math.sqrt(v)));
  const std = (h: number[]) => h.map((v, t) => (v - muG[t]) / scale[t]);
  const Z = X.map(std);
  const eN = eigDescending(covarianceAbout(Z, mean(Z)));
  const neco = (h: number[]) => {
    const z = std(h);
    const r = norm(eN.vectors.slice(0, p.necoDim).map((v) => dot(v, z))) / norm(z);
    return p.necoMaxLogit ? r * Math.max(...logits(h)) : r;
  };

  const nci = (h: number[]) => {
    const z = logits(h);
    const k = z.indexOf(Math.max(...z));
    const d = sub(h, muG);
    return dot(Wr[k], d) / norm(d) + p.nciAlpha * h.reduce((s, v) => s + Math.abs(v), 0);
  };

  return {
    alpha,
    u,
    scale,
    scores: {
      msp: T.map((h) => {
        const z = logits(h);
        const m = Math.max(...z);
        return 1 / z.reduce((s, v) => s + Math.exp(v - m), 0);
      }),
      maxlogit: T.map((h) => Math.max(...logits(h))),
      energy: T.map((h) => p.temperature * lse(logits(h).map((v) => v / p.temperature))),
      mahalanobis: T.map(mahalanobis),
      vim: T.map((h) => lse(logits(h)) - alpha * residual(h)),
      neco: T.map(neco),
      nci: T.map(nci),
    },
    /** NC5 of the test rows' mean against the class means (class-uniform μ_G). */
    nc5: (() => {
      const mo = mean(T);
      const ms = classes.map((k) => classMeans.get(k)!);
      const g = mean(ms);
      const cosAbs = (a: number[], c: number[]) => Math.abs(dot(a, c)) / (norm(a) * norm(c));
      return {
        centred: ms.reduce((s, m) => s + cosAbs(sub(m, g), sub(mo, g)), 0) / ms.length,
        raw: ms.reduce((s, m) => s + cosAbs(m, mo), 0) / ms.length,
      };
    })(),
  };
}
