import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { measureNc, ncCallback, type DatasetLike } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters, sequentialMlp } from './fixtures.js';

/** A dataset look-alike yielding fresh tensors per batch, as tf.data does (the consumer disposes them). */
function batchesOf(xs: tf.Tensor2D, ys: tf.Tensor, size: number): DatasetLike {
  return {
    async iterator() {
      let start = 0;
      const n = xs.shape[0];
      return {
        async next() {
          if (start >= n) return { done: true, value: undefined };
          const len = Math.min(size, n - start);
          const value = { xs: tf.slice(xs, start, len), ys: tf.slice(ys, start, len) };
          start += len;
          return { done: false, value };
        },
      };
    },
  };
}

for (const backend of BACKENDS) {
  describe(`no tensor leaks (${backend})`, () => {
    it('tf.memory().numTensors is the same before and after 50 epochs with the callback measuring every epoch', async () => {
      await useBackend(backend);
      const train = clusters(32, 3, 4, 1);
      const probe = clusters(30, 3, 4, 2);
      const model = sequentialMlp(4, 8, 6, 3, 'softmax');
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const cb = ncCallback({ probe: { xs: probe.xs, ys: probe.ints }, every: 1, batchSize: 16, featureLayer: ['hidden1', 'features'] });
      // Warm-up: Adam creates its slot variables on the first step, and tfjs caches a few constants.
      await model.fit(train.xs, train.oneHot, { epochs: 1, batchSize: 16, callbacks: [cb], verbose: 0 });
      const before = tf.memory().numTensors;
      const history = await model.fit(train.xs, train.oneHot, { epochs: 50, batchSize: 16, callbacks: [cb], verbose: 0 });
      expect(history.history.nc1).toHaveLength(50);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([train.xs, train.oneHot, train.ints, probe.xs, probe.oneHot, probe.ints]);
      model.dispose();
    });

    it('measureNc with a dataset probe and with a training sample frees every tensor it made', async () => {
      await useBackend(backend);
      const probe = clusters(50, 3, 4, 2);
      const model = sequentialMlp(4, 8, 6, 3);
      const before = tf.memory().numTensors;
      const [a] = await measureNc(model, batchesOf(probe.xs, probe.oneHot, 16));
      const [b] = await measureNc(model, { xs: probe.xs, ys: probe.ints });
      expect(tf.memory().numTensors).toBe(before);
      expect(a.report.metrics.nc1).toBeCloseTo(b.report.metrics.nc1!, 4);
      const cb = ncCallback({ sampleTraining: { xs: probe.xs, ys: probe.ints, n: 20 } });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(probe.xs, probe.oneHot, { epochs: 2, callbacks: [cb], verbose: 0 });
      const afterWarmup = tf.memory().numTensors;
      await model.fit(probe.xs, probe.oneHot, { epochs: 3, callbacks: [cb], verbose: 0 });
      expect(tf.memory().numTensors).toBe(afterWarmup);
      expect(cb.last![0].report.N).toBe(20);
      tf.dispose([probe.xs, probe.oneHot, probe.ints]);
      model.dispose();
    });
  });
}
