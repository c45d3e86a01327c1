import { NcInputError, symmetricEigen } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { solveFixedPoint, type FixedPointSolver } from './solver.js';

/** 1-Lipschitz activations σ the equilibrium layer supports (needed for the contraction argument). */
export type DeqActivation = 'relu' | 'tanh';

/** Options of {@link deq}. */
export interface DeqArgs {
  /** Width m of the equilibrium state z (and of the layer's output). */
  units: number;
  /** σ in f(z, x) = σ(W z + U x + b) (default 'relu'). */
  activation?: DeqActivation;
  /** Upper bound c < 1 on the spectral norm of W (default 0.9); see {@link DeqLayer}. */
  maxSpectralNorm?: number;
  /** Forward and backward solver (default 'anderson'). */
  solver?: FixedPointSolver;
  /** Forward stopping rule: relative residual ‖f(z) − z‖_F / ‖f(z)‖_F ≤ tolerance over the batch (default 1e-4). */
  tolerance?: number;
  /** Forward iteration cap (default 60). */
  maxIterations?: number;
  /** Backward (adjoint) tolerance (default: the forward one). */
  backwardTolerance?: number;
  /** Backward iteration cap (default: the forward one). */
  backwardMaxIterations?: number;
  /** Anderson memory (default 5). */
  andersonMemory?: number;
  /** Add the bias b (default true). */
  useBias?: boolean;
  /** Seed of the kernels' Glorot-uniform initializers (default unseeded). */
  seed?: number;
  /** Penalty on the recurrent (V) and injection (U) kernels, e.g. `tf.regularizers.l2({ l2: 2.5e-4 })`. */
  kernelRegularizer?: ReturnType<typeof tfl.regularizers.l2>;
  /** Called after every solve (forward or backward) with its iteration count and residual. */
  onSolve?: (info: DeqSolveInfo) => void;
  name?: string;
  trainable?: boolean;
}

/** One solve of the layer: the forward equilibrium or the backward adjoint system. */
export interface DeqSolveInfo {
  phase: 'forward' | 'backward';
  /** True for solves during training (forward passes whose gradient is taken, and all backward solves). */
  training: boolean;
  /** Batch rows. */
  rows: number;
  iterations: number;
  /** Relative residual reached (see {@link DeqArgs.tolerance}). */
  residual: number;
  converged: boolean;
}

/** Aggregates of the solves since the last {@link DeqLayer.resetStats}: per phase, count, iterations, worst residual. */
export interface DeqPhaseStats {
  solves: number;
  meanIterations: number;
  maxIterations: number;
  maxResidual: number;
  /** Solves that hit the iteration cap before the tolerance. */
  unconverged: number;
}

export interface DeqStats {
  /** Forward solves whose gradient was taken (training batches). */
  trainForward: DeqPhaseStats;
  /** Backward (adjoint) solves. */
  backward: DeqPhaseStats;
  /** Forward solves without gradient (predict, evaluation, NC measurement). */
  inferenceForward: DeqPhaseStats;
  /** The spectral-norm estimate σ̂(V) from the last call and the resulting ‖W‖₂ = min(σ̂, c). */
  spectralNorm: { estimate: number; effective: number };
}

function norm2(a: Float64Array): number {
  let s = 0;
  for (const x of a) s += x * x;
  return Math.sqrt(s);
}

const emptyPhase = (): DeqPhaseStats => ({ solves: 0, meanIterations: 0, maxIterations: 0, maxResidual: 0, unconverged: 0 });

function addSolve(s: DeqPhaseStats, info: DeqSolveInfo): void {
  s.meanIterations = (s.meanIterations * s.solves + info.iterations) / (s.solves + 1);
  s.solves++;
  s.maxIterations = Math.max(s.maxIterations, info.iterations);
  s.maxResidual = Math.max(s.maxResidual, info.residual);
  if (!info.converged) s.unconverged++;
}

/**
 * A deep equilibrium (DEQ) layer (Bai, Kolter & Koltun 2019) for tfjs-layers models: its output is the fixed point
 * z* = f(z*, x), f(z, x) = σ(W z + U x + b), for each input row x (rows are independent), with z ∈ R^m.
 *
 * **Forward**: from z = 0, plain iteration or Anderson acceleration (default) until the relative residual
 * ‖f(z) − z‖_F / ‖f(z)‖_F over the batch is ≤ `tolerance`, or `maxIterations`; the returned z is f of the last
 * iterate, so its own residual is at most ‖W‖₂ times the one reported.
 *
 * **Backward, by implicit differentiation** (not backpropagation through the iterations, which are not even
 * recorded): with a = W z* + U x + b, D = σ′(a) and the upstream gradient ∂L/∂z*, solve the adjoint fixed point
 * g = (∂f/∂z)ᵀ g + ∂L/∂z* — in rows, g ← ((g ⊙ D) Wᵀ) + ∂L/∂z* — with the same solver, then with δ = g ⊙ D:
 * ∂L/∂W = δᵀ z*, ∂L/∂U = δᵀ x, ∂L/∂b = Σ δ, ∂L/∂x = δ U (in the stored kernels' layouts below). Memory does not grow
 * with the number of iterations.
 *
 * **Contraction, by reparametrization**: the trainable recurrent kernel V is used as W = V · min(1, c / σ̂(V)), with
 * σ̂(V) its largest singular value from power iteration (float64, in JS, warm-started from the previous call's
 * singular vector, run to a relative change below 1e-7 or 100 steps) and c = `maxSpectralNorm` < 1. Since σ is
 * 1-Lipschitz, f is then a contraction in z with constant ‖W‖₂ ≤ c (up to the power-iteration error, which
 * {@link spectralNorm} lets you check exactly), so the fixed point exists, is unique, and both iterations converge.
 * The gradient flows through the scaling (∂σ̂/∂V = u vᵀ, the singular vectors), as in spectral normalization
 * (Miyato et al. 2018), but V is only scaled down when σ̂(V) > c.
 *
 * Stored layouts (rows are samples, as in Dense): z W is computed as `matMul(z, recurrentKernel)` with the kernel
 * m × m (= Wᵀ in the column-vector formula), `injectionKernel` d × m (= Uᵀ), `bias` m.
 * Observability: {@link last} (the latest solve of each phase), {@link stats} (aggregates since {@link resetStats}),
 * `onSolve`, and `deqMonitor(layer)` which puts them into the epoch logs.
 */
export class DeqLayer extends tfl.layers.Layer {
  static readonly className = 'Deq';
  readonly units: number;
  readonly activation: DeqActivation;
  readonly maxSpectralNorm: number;
  readonly solver: FixedPointSolver;
  readonly tolerance: number;
  readonly maxIterations: number;
  readonly backwardTolerance: number;
  readonly backwardMaxIterations: number;
  readonly andersonMemory: number;
  readonly useBias: boolean;
  onSolve?: (info: DeqSolveInfo) => void;
  /** The latest forward and backward solves. */
  readonly last: { forward?: DeqSolveInfo; backward?: DeqSolveInfo } = {};
  private readonly seed?: number;
  private readonly kernelRegularizer?: DeqArgs['kernelRegularizer'];
  private recurrent?: LayerVariable;
  private injection?: LayerVariable;
  private bias?: LayerVariable;
  /** Warm start of the power iteration: the last left singular vector of V. */
  private powerU?: Float64Array;
  private statsState: DeqStats = DeqLayer.freshStats();

  constructor(args: DeqArgs) {
    super({ name: args.name, trainable: args.trainable });
    const positiveInt = (v: unknown, what: string) => {
      if (!(Number.isInteger(v) && (v as number) >= 1)) throw new NcInputError('BAD_OPTION', `deq: ${what} must be a positive integer, got ${String(v)}`);
      return v as number;
    };
    const tol = (v: unknown, what: string) => {
      if (!(typeof v === 'number' && v > 0 && v < 1)) throw new NcInputError('BAD_OPTION', `deq: ${what} must be in (0, 1), got ${String(v)}`);
      return v;
    };
    this.units = positiveInt(args.units, 'units');
    this.activation = args.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'tanh') {
      throw new NcInputError('BAD_OPTION', `deq: activation must be 'relu' or 'tanh' (1-Lipschitz, so f is a contraction), got ${String(this.activation)}`);
    }
    this.maxSpectralNorm = tol(args.maxSpectralNorm ?? 0.9, 'maxSpectralNorm');
    this.solver = args.solver ?? 'anderson';
    if (this.solver !== 'anderson' && this.solver !== 'fixed-point') throw new NcInputError('BAD_OPTION', `deq: solver must be 'anderson' or 'fixed-point', got ${String(this.solver)}`);
    this.tolerance = tol(args.tolerance ?? 1e-4, 'tolerance');
    this.maxIterations = positiveInt(args.maxIterations ?? 60, 'maxIterations');
    this.backwardTolerance = tol(args.backwardTolerance ?? this.tolerance, 'backwardTolerance');
    this.backwardMaxIterations = positiveInt(args.backwardMaxIterations ?? this.maxIterations, 'backwardMaxIterations');
    this.andersonMemory = positiveInt(args.andersonMemory ?? 5, 'andersonMemory');
    this.useBias = args.useBias ?? true;
    this.seed = args.seed;
    this.kernelRegularizer = args.kernelRegularizer;
    this.onSolve = args.onSolve;
  }

  private static freshStats(): DeqStats {
    return { trainForward: emptyPhase(), backward: emptyPhase(), inferenceForward: emptyPhase(), spectralNorm: { estimate: NaN, effective: NaN } };
  }

  /** Aggregates since the last {@link resetStats} (a copy). */
  get stats(): DeqStats {
    return structuredClone(this.statsState);
  }

  /** Starts new aggregates (e.g. at the start of an epoch). */
  resetStats(): void {
    const spectral = this.statsState.spectralNorm;
    this.statsState = DeqLayer.freshStats();
    this.statsState.spectralNorm = spectral;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const d = shape[shape.length - 1];
    if (typeof d !== 'number') throw new NcInputError('SHAPE', `${this.name}: the input feature dimension must be known`);
    const init = (k: number) => tfl.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + k });
    this.recurrent = this.addWeight('recurrent_kernel', [this.units, this.units], 'float32', init(0), this.kernelRegularizer);
    this.injection = this.addWeight('injection_kernel', [d, this.units], 'float32', init(1), this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [shape[0], this.units];
  }

  /**
   * The exact spectral norm of the W in use, from the eigenvalues of WᵀW (float64, core's symmetric eigensolver):
   * the check on the power-iteration estimate. O(m³); for tests and reports, not every step.
   */
  spectralNorm(): number {
    if (!this.recurrent) throw new NcInputError('BAD_OPTION', `${this.name}: the layer is not built yet`);
    const m = this.units;
    const V = Float64Array.from(this.recurrent.read().dataSync());
    const scale = Math.min(1, this.maxSpectralNorm / this.estimateSpectralNorm(V).sigma);
    const gram = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += V[k * m + i] * V[k * m + j];
      gram[i * m + j] = s;
    }
    const { values } = symmetricEigen(gram, m);
    return scale * Math.sqrt(Math.max(0, ...values));
  }

  /** Power iteration for σ_max(V) (V row-major m × m) in float64, warm-started; returns σ̂ and the singular vectors. */
  private estimateSpectralNorm(V: Float64Array): { sigma: number; u: Float64Array; v: Float64Array } {
    const m = this.units;
    let u = this.powerU;
    if (!u) {
      u = new Float64Array(m);
      for (let i = 0; i < m; i++) u[i] = 1 + 0.1 * Math.sin(7.3 * i + 1); // deterministic, not orthogonal to anything in particular
    }
    const v = new Float64Array(m);
    const Vv = new Float64Array(m);
    let sigma = 0;
    for (let step = 0; step < 100; step++) {
      // v = Vᵀu / ‖Vᵀu‖, u = V v / ‖V v‖, σ̂ = ‖V v‖.
      v.fill(0);
      for (let i = 0; i < m; i++) { const ui = u[i]; for (let j = 0; j < m; j++) v[j] += V[i * m + j] * ui; }
      const nv = norm2(v);
      if (nv === 0) return { sigma: 0, u, v };
      for (let j = 0; j < m; j++) v[j] /= nv;
      for (let i = 0; i < m; i++) { let s = 0; for (let j = 0; j < m; j++) s += V[i * m + j] * v[j]; Vv[i] = s; }
      const next = norm2(Vv);
      u = Float64Array.from(Vv, (x) => x / next);
      const done = step > 0 && Math.abs(next - sigma) <= 1e-7 * next;
      sigma = next;
      if (done) break;
    }
    this.powerU = u;
    return { sigma, u, v };
  }

  /** W = V · min(1, c / σ̂(V)), differentiable in V through σ̂ = uᵀ V v (u, v held constant). */
  private effectiveKernel(): tf.Tensor2D {
    const V = this.recurrent!.read() as tf.Tensor2D;
    const m = this.units;
    const { sigma, u, v } = this.estimateSpectralNorm(Float64Array.from(V.dataSync()));
    this.statsState.spectralNorm = { estimate: sigma, effective: Math.min(sigma, this.maxSpectralNorm) };
    if (sigma <= this.maxSpectralNorm) return V;
    // V holds W in the "z @ kernel" layout; σ_max is the same for a matrix and its transpose.
    const sigmaLive = tf.sum(tf.mul(tf.matMul(tf.tensor2d(Float32Array.from(u), [1, m]), V), tf.tensor2d(Float32Array.from(v), [1, m])));
    return tf.mul(V, tf.div(this.maxSpectralNorm, sigmaLive)) as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length !== 1 || list[0].rank !== 2) throw new NcInputError('SHAPE', `${this.name}: expects one input of shape [batch, features]`);
      const x = list[0] as tf.Tensor2D;
      const W = this.effectiveKernel();
      const U = this.injection!.read() as tf.Tensor2D;
      const b = this.bias ? (this.bias.read() as tf.Tensor1D) : undefined;
      return this.equilibrium(x, W, U, b, kwargs.training === true);
    });
  }

  private record(info: DeqSolveInfo): void {
    const s = this.statsState;
    addSolve(info.phase === 'backward' ? s.backward : info.training ? s.trainForward : s.inferenceForward, info);
    this.last[info.phase] = info;
    this.onSolve?.(info);
  }

  private act(a: tf.Tensor): tf.Tensor {
    return this.activation === 'relu' ? tf.relu(a) : tf.tanh(a);
  }

  /** σ′(a) from z = σ(a): 1[z > 0] for ReLU, 1 − z² for tanh. */
  private actDerivative(z: tf.Tensor): tf.Tensor {
    return this.activation === 'relu' ? tf.cast(tf.greater(z, 0), 'float32') : tf.sub(1, tf.square(z));
  }

  /** z* with the implicit-differentiation gradient (a custom gradient over x, W, U and b). */
  private equilibrium(x: tf.Tensor2D, W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor1D | undefined, training: boolean): tf.Tensor2D {
    const inputs: tf.Tensor[] = b ? [x, W, U, b] : [x, W, U];
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [xx, WW, UU, bb] = args.slice(0, -1) as tf.Tensor[];
      const injected = bb ? tf.add(tf.matMul(xx, UU), bb) : tf.matMul(xx, UU);
      const f = (z: tf.Tensor) => tf.tidy(() => this.act(tf.add(tf.matMul(z, WW), injected)));
      const z0 = tf.zeros([xx.shape[0], this.units]);
      const fwd = solveFixedPoint(f, z0, { solver: this.solver, tolerance: this.tolerance, maxIterations: this.maxIterations, memory: this.andersonMemory });
      this.record({ phase: 'forward', training, rows: xx.shape[0], iterations: fwd.iterations, residual: fwd.residual, converged: fwd.converged });
      save([xx, WW, UU, fwd.z]);
      return {
        value: fwd.z,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => this.implicitGradient(dy as tf.Tensor, saved, bb !== undefined),
      };
    });
    return op(...inputs) as tf.Tensor2D;
  }

  private implicitGradient(dy: tf.Tensor, saved: tf.Tensor[], withBias: boolean): tf.Tensor[] {
    const [x, W, U, z] = saved;
    const D = this.actDerivative(z);
    const WT = tf.transpose(W);
    // Adjoint fixed point g = ((g ⊙ D) Wᵀ) + dy, started at dy.
    const adjoint = (g: tf.Tensor) => tf.tidy(() => tf.add(tf.matMul(tf.mul(g, D), WT), dy));
    const bwd = solveFixedPoint(adjoint, dy, { solver: this.solver, tolerance: this.backwardTolerance, maxIterations: this.backwardMaxIterations, memory: this.andersonMemory });
    this.record({ phase: 'backward', training: true, rows: x.shape[0], iterations: bwd.iterations, residual: bwd.residual, converged: bwd.converged });
    const grads = tf.tidy(() => {
      const delta = tf.mul(bwd.z, D);
      const dx = tf.matMul(delta, tf.transpose(U));
      const dW = tf.matMul(tf.transpose(z), delta);
      const dU = tf.matMul(tf.transpose(x), delta);
      return withBias ? [dx, dW, dU, tf.sum(delta, 0)] : [dx, dW, dU];
    });
    tf.dispose([D, WT, bwd.z]);
    return grads;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      maxSpectralNorm: this.maxSpectralNorm,
      solver: this.solver,
      tolerance: this.tolerance,
      maxIterations: this.maxIterations,
      backwardTolerance: this.backwardTolerance,
      backwardMaxIterations: this.backwardMaxIterations,
      andersonMemory: this.andersonMemory,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(DeqLayer);

/** Creates a {@link DeqLayer}: `deq({ units: 128 }).apply(x)`. */
export function deq(args: DeqArgs): DeqLayer {
  return new DeqLayer(args);
}
