import * as tfl from '@tensorflow/tfjs-layers';
import { deq, type DeqLayer, type FixedPointSolver } from '@ncscope/tfjs';
import { CLASSES, PIXELS } from '../mnist-callback/data.js';

export interface ModelOptions {
  /** Width m of the equilibrium state (DEQ) and of both hidden layers (explicit). */
  units: number;
  /** L2 penalty on every kernel (SGD weight decay 2·l2). */
  l2: number;
  seed: number;
  /** DEQ: bound c on ‖W‖₂, solver and tolerance. */
  maxSpectralNorm: number;
  solver: FixedPointSolver;
  tolerance: number;
}

const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
const reg = (l2: number) => (l2 > 0 ? tfl.regularizers.l2({ l2 }) : undefined);

/**
 * The implicit model: x (784) → z* = relu(W z* + U x + b) (m units, a DEQ layer named "deq") → logits (Dense
 * "classifier"). NC is measured on z*, the equilibrium features.
 */
export function deqClassifier(o: ModelOptions): { model: tfl.LayersModel; layer: DeqLayer } {
  const input = tfl.input({ shape: [PIXELS] });
  const layer = deq({ units: o.units, seed: o.seed * 10, maxSpectralNorm: o.maxSpectralNorm, solver: o.solver, tolerance: o.tolerance, kernelRegularizer: reg(o.l2), name: 'deq' });
  const z = layer.apply(input) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: CLASSES, kernelInitializer: init(o.seed * 10 + 5), kernelRegularizer: reg(o.l2), name: 'classifier' }).apply(z) as tfl.SymbolicTensor;
  return { model: tfl.model({ inputs: input, outputs: logits }), layer };
}

/**
 * The explicit network of the same size: x → relu(U x + b₁) → relu(W h + b₂) → logits, with U (784 × m) and W (m × m)
 * shaped like the DEQ's injection and recurrent kernels — the DEQ's parameters, untied and applied once each.
 */
export function explicitClassifier(o: ModelOptions): tfl.LayersModel {
  const input = tfl.input({ shape: [PIXELS] });
  const h = tfl.layers.dense({ units: o.units, activation: 'relu', kernelInitializer: init(o.seed * 10 + 1), kernelRegularizer: reg(o.l2), name: 'hidden' }).apply(input) as tfl.SymbolicTensor;
  const z = tfl.layers.dense({ units: o.units, activation: 'relu', kernelInitializer: init(o.seed * 10), kernelRegularizer: reg(o.l2), name: 'features' }).apply(h) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: CLASSES, kernelInitializer: init(o.seed * 10 + 5), kernelRegularizer: reg(o.l2), name: 'classifier' }).apply(z) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}
