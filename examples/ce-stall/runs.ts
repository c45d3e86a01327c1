/** The controlled runs of the cross-entropy stall study: one factor changed at a time from the examples' setting. */
import type { RunConfig } from '../losses-equal/train.js';

/** One controlled configuration (seeds are added by main.ts). */
export interface StallRun {
  name: string;
  /** What differs from "base". */
  what: string;
  trainPerClass: number;
  config: Omit<RunConfig, 'seed' | 'run'>;
}

/** The setting of the earlier examples (losses-equal at width 128, cross-entropy). */
const base: StallRun['config'] = {
  loss: 'ce', width: 128, features: 128, epochs: 50, lr: 0.1, l2: 2.5e-4, batchSize: 64, schedule: 'halves', every: 5,
};
const run = (name: string, what: string, change: Partial<StallRun['config']>, trainPerClass = 100): StallRun => ({
  name, what, trainPerClass, config: { ...base, ...change },
});

export const CE_STALL_RUNS: StallRun[] = [
  run('base', 'the examples\' setting: CE, lr 0.1 ÷10 at 1/2 and 3/4, weight decay 5e-4 on kernels, batch 64, 50 epochs', {}),
  run('mse', 'the square loss (M = 1) instead of CE, at 5× the learning rate as in the earlier examples', { loss: 'mse', lr: 0.5 }),
  run('wd0', 'no weight decay', { l2: 0 }),
  run('wd5e-3', 'weight decay ×10 (5e-3)', { l2: 2.5e-3 }),
  run('wd5e-3-all', 'weight decay ×10 on every parameter (biases too)', { l2: 2.5e-3, decayAll: true }),
  run('epochs200', '4× the epochs (200), same schedule shape', { epochs: 200, every: 20 }),
  run('batch16', 'batch 16 (4× the SGD steps per epoch) at the same lr 0.1', { batchSize: 16 }),
  run('batch16-lr0.025', 'batch 16 at lr 0.025 (4× the steps, the same lr / batch ratio)', { batchSize: 16, lr: 0.025 }),
  run('constant200', 'constant lr 0.1 for 200 epochs (no drops)', { epochs: 200, every: 20, schedule: 'constant' }),
  run('bn', 'batch normalisation before each hidden ReLU', { batchNorm: true }),
  run('lr0.02', 'learning rate ÷5 (0.02)', { lr: 0.02 }),
  run('wd2e-2', 'weight decay ×40 (2e-2) on every parameter', { l2: 1e-2, decayAll: true }),
  run('wd2e-2-e200', 'weight decay 2e-2 on every parameter, 200 epochs', { l2: 1e-2, decayAll: true, epochs: 200, every: 20 }),
  run('wd5e-3-e200', 'weight decay 5e-3 on every parameter, 200 epochs', { l2: 2.5e-3, decayAll: true, epochs: 200, every: 20 }),
  // Many SGD steps: 10 images per digit, batch 10 (10 steps per epoch), 2,000 epochs = 20,000 steps.
  run('n10-e2000', '10 images per digit, batch 10, 2,000 epochs (20,000 steps), weight decay 5e-4 on kernels', { batchSize: 10, epochs: 2000, every: 100 }, 10),
  run('n10-wd5e-3-e2000', '10 images per digit, batch 10, 2,000 epochs (20,000 steps), weight decay 5e-3 on every parameter', { batchSize: 10, epochs: 2000, every: 100, l2: 2.5e-3, decayAll: true }, 10),
];
