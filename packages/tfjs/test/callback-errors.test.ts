/**
 * Error paths of ncCallback: a named error, and no tensor left behind — tfjs does not call onTrainEnd when a callback
 * throws, so the callback frees its prepared probe itself (before the fix, a logFile naming a folder threw a raw
 * EISDIR from `fit` and left 3 tensors).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ncCallback, type NcCallbackOptions } from '../src/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { clusters, sequentialMlp } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ncscope-cb-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of BACKENDS) {
  describe(`ncCallback error paths (${backend})`, () => {
    /** Fits once with the options (after a warm-up fit) and returns what was thrown and the tensor counts around it. */
    async function failingFit(options: Omit<NcCallbackOptions, 'probe'>): Promise<{ error: unknown; before: number; after: number }> {
      await useBackend(backend);
      const data = clusters(24, 3, 4, 1);
      const model = sequentialMlp(4, 8, 6, 3);
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(data.xs, data.oneHot, { epochs: 1, verbose: 0 });
      const before = tf.memory().numTensors;
      let error: unknown;
      try {
        await model.fit(data.xs, data.oneHot, { epochs: 2, verbose: 0, callbacks: [ncCallback({ probe: { xs: data.xs, ys: data.ints }, ...options })] });
      } catch (e) {
        error = e;
      }
      const after = tf.memory().numTensors;
      tf.dispose([data.xs, data.oneHot, data.ints]);
      model.dispose();
      return { error, before, after };
    }

    it('logFile naming a folder: BAD_OPTION before training measures anything, nothing leaked, the folder untouched', async () => {
      const folder = join(dir, `runs-${backend}`);
      mkdirSync(folder);
      const { error, before, after } = await failingFit({ logFile: folder });
      expect(error).toMatchObject({ name: 'NcInputError', code: 'BAD_OPTION', where: { source: folder } });
      expect((error as Error).message).toMatch(/is a folder; name a file in it, e\.g\. ".*\/nc\.jsonl"/);
      expect(after).toBe(before);
      expect(readdirSync(folder)).toEqual([]);
    });

    it('logFile below a file: BAD_OPTION naming the file, nothing leaked', async () => {
      const file = join(dir, `plain-${backend}.txt`);
      writeFileSync(file, 'x');
      const { error, before, after } = await failingFit({ logFile: join(file, 'sub', 'nc.jsonl') });
      expect(error).toMatchObject({ name: 'NcInputError', code: 'BAD_OPTION' });
      expect((error as Error).message).toMatch(/below a file|is a file, not a folder/);
      expect(after).toBe(before);
    });

    it('a log that fails on its first append (a folder that cannot be created): BAD_OPTION, nothing leaked', async () => {
      // sysfs takes no new folders (EPERM, or EROFS where it is mounted read-only: then the check before training fails).
      const { error, before, after } = await failingFit({ logFile: '/sys/ncscope-no-such/nc.jsonl' });
      expect(error).toMatchObject({ name: 'NcInputError', code: 'BAD_OPTION' });
      expect((error as Error).message).toMatch(/cannot append a measurement|not writable/);
      expect(after).toBe(before);
    });

    it('onReport throwing mid-fit: the user’s error comes through, nothing leaked', async () => {
      const { error, before, after } = await failingFit({ onReport: () => { throw new Error('user code failed'); } });
      expect((error as Error).message).toBe('user code failed');
      expect(after).toBe(before);
    });
  });
}
