import { CustomCallback } from '@tensorflow/tfjs-layers';
import type { DeqLayer } from './deq-layer.js';

/**
 * The log keys {@link deqMonitor} adds at each epoch end (aggregates over the epoch's training batches):
 * mean and max forward iterations, worst forward residual, mean backward (adjoint) iterations, worst backward
 * residual, solves that hit the iteration cap, and the spectral norm ‖W‖₂ in use.
 */
export const DEQ_LOG_KEYS = [
  'deq_forward_iterations', 'deq_forward_iterations_max', 'deq_forward_residual_max',
  'deq_backward_iterations', 'deq_backward_residual_max', 'deq_unconverged', 'deq_spectral_norm',
] as const;

/**
 * A `model.fit` callback that resets a {@link DeqLayer}'s solver statistics at each epoch start and writes them into
 * the epoch logs (so they reach `history.history`, later callbacks' `logs`, and the NC callback's JSONL `logs` when
 * this callback comes first). Put it first in the `callbacks` array.
 */
export function deqMonitor(layer: DeqLayer): CustomCallback {
  return new CustomCallback(
    {
      onEpochBegin: async () => layer.resetStats(),
      onEpochEnd: async (_epoch, logs) => {
        if (!logs) return;
        const s = layer.stats;
        logs.deq_forward_iterations = s.trainForward.meanIterations;
        logs.deq_forward_iterations_max = s.trainForward.maxIterations;
        logs.deq_forward_residual_max = s.trainForward.maxResidual;
        logs.deq_backward_iterations = s.backward.meanIterations;
        logs.deq_backward_residual_max = s.backward.maxResidual;
        logs.deq_unconverged = s.trainForward.unconverged + s.backward.unconverged;
        logs.deq_spectral_norm = s.spectralNorm.effective;
      },
    },
    'never',
  );
}
