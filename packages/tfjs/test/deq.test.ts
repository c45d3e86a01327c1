/**
 * The deep equilibrium layer: the forward fixed point against a float64 re-evaluation of f, the implicit gradient
 * against float64 central finite differences of an independent float64 DEQ (its own fixed-point solve, its own
 * spectral norm from an eigendecomposition) and against backpropagation unrolled through 300 iterations in tfjs,
 * both solvers, the spectral-norm bound after aggressive training, observability, errors, and no tensor leaks.
 */
import { mulberry32, symmetricEigen } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { DEQ_LOG_KEYS, deq, deqMonitor, ncCallback, type DeqLayer } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters } from './fixtures.js';

type Mat = number[][];
const matmul = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));
const frob = (a: Mat) => Math.sqrt(a.flat().reduce((s, v) => s + v * v, 0));

/** Largest singular value of a square matrix from the eigenvalues of VᵀV (float64). */
function sigmaMax(V: Mat): number {
  const m = V.length;
  const { values } = symmetricEigen(Float64Array.from(matmul(transpose(V), V).flat()), m);
  return Math.sqrt(Math.max(...values));
}

interface Params { V: Mat; U: Mat; b: number[]; x: Mat }

/** The float64 DEQ: W = V · min(1, c/σ(V)); z* = σ(z W + x U + b) by plain iteration to 1e-14. */
function deq64(p: Params, c: number, activation: 'relu' | 'tanh'): { z: Mat; W: Mat } {
  const s = sigmaMax(p.V);
  const W = p.V.map((row) => row.map((v) => v * Math.min(1, c / s)));
  const inj = matmul(p.x, p.U).map((row) => row.map((v, j) => v + p.b[j]));
  const act = (v: number) => (activation === 'relu' ? Math.max(0, v) : Math.tanh(v));
  let z: Mat = inj.map((row) => row.map(() => 0));
  for (let k = 0; k < 5000; k++) {
    const next = matmul(z, W).map((row, i) => row.map((v, j) => act(v + inj[i][j])));
    const diff = frob(next.map((row, i) => row.map((v, j) => v - z[i][j])));
    z = next;
    if (diff <= 1e-14 * Math.max(1, frob(next))) break;
  }
  return { z, W };
}

async function params(layer: DeqLayer, x: tf.Tensor2D): Promise<Params> {
  const [V, U, b] = await Promise.all(layer.getWeights().map((w) => w.array()));
  return { V: V as Mat, U: U as Mat, b: b as number[], x: (await x.array()) as Mat };
}

function buildDeq(dIn: number, units: number, options: Partial<Parameters<typeof deq>[0]> = {}) {
  const input = tfl.input({ shape: [dIn] });
  const layer = deq({ units, seed: 3, ...options });
  const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
  return { layer, model };
}

function randomTensor(rows: number, cols: number, seed: number, scale = 1): tf.Tensor2D {
  const u = mulberry32(seed);
  return tf.tensor2d(Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * (2 * u() - 1))));
}

/** ‖a − b‖ / ‖b‖ over flattened arrays. */
function relError(a: number[], b: number[]): number {
  let d = 0;
  let n = 0;
  a.forEach((v, i) => { d += (v - b[i]) ** 2; n += b[i] ** 2; });
  return Math.sqrt(d / n);
}

for (const backend of BACKENDS) {
  describe(`deq layer (${backend})`, () => {
    it('forward: ‖f(z*) − z*‖ ≤ tolerance · ‖f(z*)‖ re-evaluated in float64, for both solvers and activations', async () => {
      await useBackend(backend);
      for (const [solver, activation, tolerance] of [['anderson', 'relu', 1e-5], ['fixed-point', 'relu', 1e-4], ['anderson', 'tanh', 1e-5], ['fixed-point', 'tanh', 1e-5]] as const) {
        const { layer, model } = buildDeq(6, 12, { solver, activation, tolerance, maxIterations: 200 });
        const x = randomTensor(20, 6, 1, 2);
        const z = model.predict(x) as tf.Tensor2D;
        const info = layer.last.forward!;
        expect(info.converged).toBe(true);
        expect(info.residual).toBeLessThanOrEqual(tolerance);
        const p = await params(layer, x);
        const s = sigmaMax(p.V);
        const W = p.V.map((row) => row.map((v) => v * Math.min(1, 0.9 / s)));
        const Z = (await z.array()) as Mat;
        const act = (v: number) => (activation === 'relu' ? Math.max(0, v) : Math.tanh(v));
        const fz = matmul(Z, W).map((row, i) => row.map((v, j) => act(v + matmul([p.x[i]], p.U)[0][j] + p.b[j])));
        const residual = frob(fz.map((row, i) => row.map((v, j) => v - Z[i][j]))) / frob(fz);
        expect(residual).toBeLessThanOrEqual(tolerance);
        // And close to the float64 equilibrium itself (error ≤ residual / (1 − ‖W‖₂) in exact arithmetic).
        expect(relError(Z.flat(), deq64(p, 0.9, activation).z.flat())).toBeLessThanOrEqual((tolerance / (1 - 0.9)) * 1.5 + 1e-5);
        expect(s).toBeGreaterThan(0.9); // the reparametrization is active in this test
        tf.dispose([x, z]);
        model.dispose();
      }
    });

    it('implicit gradient = float64 central finite differences of an independent float64 DEQ (≤ 1e-3 relative)', async () => {
      await useBackend(backend);
      for (const activation of ['relu', 'tanh'] as const) {
        const { layer, model } = buildDeq(5, 8, { activation, tolerance: 1e-6, maxIterations: 300 });
        const x = randomTensor(6, 5, 2, 1.5);
        const C = (await randomTensor(6, 8, 3).array()) as Mat;
        const c = tf.tensor2d(C);
        model.predict(x); // builds the layer
        const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, c)) as tf.Scalar, weights);
        const gx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(layer.apply(v) as tf.Tensor, c)))(x);
        const got = {
          V: Array.from(await grads[weights[0].name].data()),
          U: Array.from(await grads[weights[1].name].data()),
          b: Array.from(await grads[weights[2].name].data()),
          x: Array.from(await gx.data()),
        };
        const base = await params(layer, x);
        const loss = (p: Params) => deq64(p, 0.9, activation).z.reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * C[i][j], 0), 0);
        expect(Math.abs(loss(base) - (await value.data())[0]) / Math.abs(loss(base))).toBeLessThan(1e-4);
        const h = 1e-6;
        for (const key of ['V', 'U', 'b', 'x'] as const) {
          const flat = key === 'b' ? base.b : (base[key] as Mat).flat();
          const want = flat.map((_, idx) => {
            const shift = (delta: number): Params => {
              const copy = structuredClone(base);
              if (key === 'b') copy.b[idx] += delta;
              else { const M = copy[key] as Mat; const cols = M[0].length; M[Math.floor(idx / cols)][idx % cols] += delta; }
              return copy;
            };
            return (loss(shift(h)) - loss(shift(-h))) / (2 * h);
          });
          expect(relError(got[key], want), `${activation} ∂L/∂${key}`).toBeLessThanOrEqual(1e-3);
        }
        expect(layer.last.backward!.converged).toBe(true);
        tf.dispose([x, c, value, gx, ...Object.values(grads)]);
        model.dispose();
      }
    });

    it('implicit gradient = backpropagation unrolled through 300 iterations (≤ 1e-3 relative)', async () => {
      await useBackend(backend);
      const { layer, model } = buildDeq(5, 10, { tolerance: 1e-6, maxIterations: 300, solver: 'fixed-point' });
      const x = randomTensor(8, 5, 4, 1.5);
      const c = randomTensor(8, 10, 5);
      model.predict(x);
      const [Vv, Uv, bv] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const implicit = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, c)) as tf.Scalar, [Vv, Uv, bv]);
      // Unrolled: the same reparametrization written out with the exact singular vectors, then 300 plain steps, all on
      // the tape.
      const V = (await Vv.array()) as Mat;
      const { values, vectors } = symmetricEigen(Float64Array.from(matmul(transpose(V), V).flat()), 10);
      const top = values.indexOf(Math.max(...values));
      const v = Array.from({ length: 10 }, (_, i) => vectors[i * 10 + top]);
      const Vvec = matmul(V, v.map((t) => [t])).map((r) => r[0]);
      const sigma = Math.hypot(...Vvec);
      const u = Vvec.map((t) => t / sigma);
      const uT = tf.tensor2d([u]);
      const vT = tf.tensor2d([v]);
      const unrolled = tf.variableGrads(() => {
        const sigmaLive = tf.sum(tf.mul(tf.matMul(uT, Vv), vT));
        const W = tf.mul(Vv, tf.div(0.9, sigmaLive));
        const inj = tf.add(tf.matMul(x, Uv), bv);
        let z: tf.Tensor = tf.zeros([8, 10]);
        for (let k = 0; k < 300; k++) z = tf.relu(tf.add(tf.matMul(z, W), inj));
        return tf.sum(tf.mul(z, c)) as tf.Scalar;
      }, [Vv, Uv, bv]);
      for (const w of [Vv, Uv, bv]) {
        const a = Array.from(await implicit.grads[w.name].data());
        const b = Array.from(await unrolled.grads[w.name].data());
        expect(relError(a, b), w.name).toBeLessThanOrEqual(1e-3);
      }
      tf.dispose([x, c, uT, vT, implicit.value, unrolled.value, ...Object.values(implicit.grads), ...Object.values(unrolled.grads)]);
      model.dispose();
    });

    it('keeps ‖W‖₂ ≤ c through aggressive training, reports solves, and leaks no tensors (deqMonitor + ncCallback)', async () => {
      await useBackend(backend);
      const train = clusters(60, 3, 4, 1);
      const input = tfl.input({ shape: [4] });
      const layer = deq({ units: 16, seed: 2, maxSpectralNorm: 0.8, name: 'equilibrium' });
      const z = layer.apply(input) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), name: 'classifier' }).apply(z) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: out });
      model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
      const seen: number[] = [];
      layer.onSolve = (info) => seen.push(info.iterations);
      const callbacks = [deqMonitor(layer), ncCallback({ probe: { xs: train.xs, ys: train.ints } })];
      await model.fit(train.xs, train.oneHot, { epochs: 2, batchSize: 20, callbacks, verbose: 0 });
      const before = tf.memory().numTensors;
      const history = await model.fit(train.xs, train.oneHot, { epochs: 10, batchSize: 20, callbacks, verbose: 0 });
      expect(tf.memory().numTensors).toBe(before);
      for (const key of DEQ_LOG_KEYS) expect(history.history[key]).toHaveLength(10);
      expect(Math.max(...(history.history.deq_unconverged as number[]))).toBe(0);
      expect(Math.max(...(history.history.deq_forward_residual_max as number[]))).toBeLessThanOrEqual(1e-4);
      expect(history.history.nc1).toHaveLength(10);
      expect(seen.length).toBeGreaterThan(30);
      const stats = layer.stats;
      expect(stats.trainForward.solves).toBe(3); // last epoch: 60 rows / 20
      expect(stats.backward.solves).toBe(3);
      expect(stats.inferenceForward.solves).toBe(1); // the NC measurement
      expect(layer.spectralNorm()).toBeLessThanOrEqual(0.8 * (1 + 1e-6));
      expect(stats.spectralNorm.estimate).toBeGreaterThan(0.8); // the bound is active after training with lr 0.05
      tf.dispose([train.xs, train.oneHot, train.ints]);
      model.dispose();
    });

    it('anderson needs fewer iterations than plain iteration on a slowly contracting equilibrium', async () => {
      await useBackend(backend);
      // V = Q diag(λ) Qᵀ with λ spread over [0.6, 0.98] (σ_max below c = 0.99, so W = V): plain iteration contracts at
      // ≈ 0.98 per step near the fixed point; Anderson mixes the last iterates and needs far fewer steps.
      const m = 24;
      const Qt = tf.tidy(() => tf.linalg.qr(randomTensor(m, m, 9))[0]);
      const Q = (await Qt.array()) as Mat;
      const lambda = Array.from({ length: m }, (_, i) => 0.6 + (0.38 * i) / (m - 1));
      const V = matmul(Q.map((row) => row.map((q, j) => q * lambda[j])), transpose(Q));
      const x = randomTensor(32, 6, 7, 0.5);
      const counts: Record<string, number> = {};
      const results: Mat[] = [];
      for (const solver of ['fixed-point', 'anderson'] as const) {
        const { layer, model } = buildDeq(6, m, { solver, activation: 'tanh', maxSpectralNorm: 0.99, tolerance: 1e-5, maxIterations: 2000 });
        layer.setWeights([tf.tensor2d(V), ...layer.getWeights().slice(1)]);
        const z = model.predict(x) as tf.Tensor;
        expect(layer.last.forward!.converged).toBe(true);
        counts[solver] = layer.last.forward!.iterations;
        results.push((await z.array()) as Mat);
        z.dispose();
        model.dispose();
      }
      expect(counts.anderson * 2).toBeLessThan(counts['fixed-point']);
      expect(relError(results[1].flat(), results[0].flat())).toBeLessThan(1e-3);
      tf.dispose([x, Qt]);
    });
  });
}

describe('deq serialization', () => {
  it('a model with a DEQ layer round-trips through its JSON topology and weights', async () => {
    await useBackend('cpu');
    const { layer, model } = buildDeq(4, 6, { solver: 'fixed-point', tolerance: 1e-5, maxSpectralNorm: 0.7 });
    const x = randomTensor(5, 4, 8);
    const y = model.predict(x) as tf.Tensor;
    const restored = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as never });
    restored.setWeights(model.getWeights());
    const copy = restored.layers[1] as DeqLayer;
    expect(copy.getClassName()).toBe('Deq');
    expect([copy.units, copy.solver, copy.tolerance, copy.maxSpectralNorm]).toEqual([layer.units, layer.solver, layer.tolerance, layer.maxSpectralNorm]);
    const y2 = restored.predict(x) as tf.Tensor;
    expect(relError(Array.from(await y2.data()), Array.from(await y.data()))).toBeLessThan(1e-5);
    tf.dispose([x, y, y2]);
    model.dispose();
    restored.dispose();
  });
});

describe('deq options', () => {
  it('refuses values outside their domain, by name', () => {
    expect(() => deq({ units: 0 })).toThrow(/units/);
    expect(() => deq({ units: 4, maxSpectralNorm: 1 })).toThrow(/maxSpectralNorm must be in \(0, 1\)/);
    expect(() => deq({ units: 4, activation: 'sigmoid' as never })).toThrow(/1-Lipschitz/);
    expect(() => deq({ units: 4, solver: 'newton' as never })).toThrow(/solver/);
    expect(() => deq({ units: 4, tolerance: 0 })).toThrow(/tolerance/);
  });
});
