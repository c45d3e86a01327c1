/**
 * Properties over random problem sizes and regularization (fast-check, fixed seed): the simulator's minimizer matches
 * the closed form for every loss and bias variant the papers cover.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateUfm, type LossInput } from '../src/index.js';
import { expectNear } from './helpers.js';

const problems = fc.record({
  K: fc.integer({ min: 2, max: 5 }),
  extraD: fc.integer({ min: 0, max: 3 }),
  n: fc.integer({ min: 1, max: 5 }),
  logLambdaW: fc.double({ min: -4, max: -2.5, noNaN: true }),
  logLambdaH: fc.double({ min: -4, max: -2.5, noNaN: true }),
  bias: fc.constantFrom('none' as const, 'regularized' as const, 'free' as const),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe('the minimizer equals the closed form over random problems', () => {
  for (const loss of ['mse', 'ce', { kind: 'ls', alpha: 0.2 }, { kind: 'fl', gamma: 1.5 }] as LossInput[]) {
    it(JSON.stringify(loss), async () => {
      await fc.assert(
        fc.asyncProperty(problems, async ({ K, extraD, n, logLambdaW, logLambdaH, bias, seed }) => {
          const r = await simulateUfm({ K, D: K + extraD, n, loss, bias, lambdaW: 10 ** logLambdaW, lambdaH: 10 ** logLambdaH, seed, tolerance: 1e-12 });
          const cf = r.closedForm;
          expect(cf, 'a closed form applies').not.toBeNull();
          expect(r.converged).toBe(true);
          const scale = Math.abs(cf!.logits.trueMean) + Math.abs(cf!.logits.otherMean);
          expectNear(r.logits.trueMean, cf!.logits.trueMean, 1e-6, 1e-9 * scale, 'true logit');
          expectNear(r.logits.otherMean, cf!.logits.otherMean, 1e-6, 1e-9 * scale, 'other logits');
          expectNear(r.norms.W, cf!.norms.W, 1e-6, 1e-12, '‖W‖²');
          expectNear(r.norms.H, cf!.norms.H, 1e-6, 1e-12, '‖H‖²');
        }),
        { numRuns: 12, seed: 20251129 },
      );
    });
  }
});
