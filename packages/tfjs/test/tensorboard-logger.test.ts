/**
 * tensorBoardLogger (@ncscope/tfjs/node): event files read back by the independent reader in
 * test/helpers/tensorboard-reader.ts (CRCs checked), every value and step against `history`; tfjs-node's conventions
 * (train/ and val/ folders, epoch_/batch_ tags, steps); the golden file; callback order with ncCallback and
 * tf.callbacks.earlyStopping; bad logdirs.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ncCallback } from '../src/index.js';
import { TensorBoardEventFile, tensorBoardLogger } from '../src/node/index.js';
import { readEventFile, readRunScalars } from '../../../test/helpers/tensorboard-reader.js';
import { useBackend } from './backends.js';
import { clusters, sequentialMlp } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ncscope-tb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;
const logdir = () => join(dir, `run${++runs}`);

function setup() {
  const train = clusters(48, 3, 4, 1);
  const val = clusters(24, 3, 4, 2);
  const model = sequentialMlp(4, 8, 6, 3);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError', metrics: ['accuracy'] });
  const dispose = () => {
    tf.dispose([train.xs, train.oneHot, train.ints, val.xs, val.oneHot, val.ints]);
    model.dispose();
  };
  return { train, val, model, dispose };
}

/** Every (step, value) of a history key, as TensorBoard stores it (float32). */
const asEvents = (values: number[], steps: number[]) => values.map((v, i) => [steps[i], Math.fround(v)] as [number, number]);

describe('tensorBoardLogger', () => {
  it('writes train/ and val/ runs that round-trip every value and step of history (ncCallback first: NC keys too)', async () => {
    await useBackend('cpu');
    const { train, val, model, dispose } = setup();
    const out = logdir();
    const nc = ncCallback({ probe: { xs: train.xs, ys: train.ints }, every: 2 });
    const tb = tensorBoardLogger(out);
    const history = await model.fit(train.xs, train.oneHot, { epochs: 5, batchSize: 16, verbose: 0, validationData: [val.xs, val.oneHot], callbacks: [nc, tb] });
    dispose();
    expect(readdirSync(out).sort()).toEqual(['train', 'val']);
    const h = history.history as Record<string, number[]>;
    const epochs = [1, 2, 3, 4, 5];
    const trainRun = readRunScalars(join(out, 'train'));
    expect(trainRun.get('epoch_loss')).toEqual(asEvents(h.loss, epochs));
    expect(trainRun.get('epoch_acc')).toEqual(asEvents(h.acc, epochs));
    // NC keys only on measured epochs (0, 1, 3, 4 → steps 1, 2, 4, 5), one point per measurement.
    const measuredSteps = nc.measuredEpochs.map((e) => e + 1);
    expect(measuredSteps).toEqual([1, 2, 4, 5]);
    expect(trainRun.get('epoch_nc1')).toEqual(asEvents(h.nc1, measuredSteps));
    expect(trainRun.get('epoch_equiangularityMeans')).toEqual(asEvents(h.equiangularityMeans, measuredSteps));
    const valRun = readRunScalars(join(out, 'val'));
    expect([...valRun.keys()].sort()).toEqual(['epoch_acc', 'epoch_loss']);
    expect(valRun.get('epoch_loss')).toEqual(asEvents(h.val_loss, epochs));
    expect(valRun.get('epoch_acc')).toEqual(asEvents(h.val_acc, epochs));
    // No batch events with the default updateFreq; every key of history is somewhere.
    expect([...trainRun.keys()].some((t) => t.startsWith('batch_'))).toBe(false);
    for (const key of Object.keys(h)) expect(key.startsWith('val_') ? valRun.has(`epoch_${key.slice(4)}`) : trainRun.has(`epoch_${key}`), key).toBe(true);
    // Files as tfjs-node names them, each starting with the file-version event.
    for (const run of ['train', 'val']) {
      const files = readdirSync(join(out, run));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^events\.out\.tfevents\.\d{10}\..+\.v2$/);
      expect(readEventFile(join(out, run, files[0]))[0].fileVersion).toBe('brain.Event:2');
    }
  });

  it("updateFreq 'batch' and n: batch_ tags at the count of batches seen, across fits", async () => {
    await useBackend('cpu');
    const { train, model, dispose } = setup();
    const every = logdir();
    const third = logdir();
    const a = tensorBoardLogger(every, { updateFreq: 'batch' });
    const b = tensorBoardLogger(third, { updateFreq: 3 });
    // 48 rows in batches of 16: 3 batches per epoch; two fits of 2 epochs → 12 batches.
    const h1 = await model.fit(train.xs, train.oneHot, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [a, b] });
    const h2 = await model.fit(train.xs, train.oneHot, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [a, b] });
    dispose();
    const batchSteps = readRunScalars(join(every, 'train')).get('batch_loss')!.map(([s]) => s);
    expect(batchSteps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(readRunScalars(join(third, 'train')).get('batch_loss')!.map(([s]) => s)).toEqual([3, 6, 9, 12]);
    // Epoch steps restart with each fit (epoch + 1), as in tfjs-node; both fits append to the same file.
    const epochLoss = readRunScalars(join(every, 'train')).get('epoch_loss')!;
    expect(epochLoss).toEqual(asEvents([...(h1.history.loss as number[]), ...(h2.history.loss as number[])], [1, 2, 1, 2]));
    expect(readdirSync(join(every, 'train'))).toHaveLength(1);
    expect(readRunScalars(join(every, 'train')).has('batch_batch')).toBe(false);
    expect(readRunScalars(join(every, 'train')).has('batch_size')).toBe(false);
  });

  it('callbacks after ncCallback see its keys; before it, they do not (order is the callbacks array)', async () => {
    await useBackend('cpu');
    const { train, model, dispose } = setup();
    const before = logdir();
    await model.fit(train.xs, train.oneHot, { epochs: 2, verbose: 0, callbacks: [tensorBoardLogger(before), ncCallback({ probe: { xs: train.xs, ys: train.ints } })] });
    dispose();
    const tags = [...readRunScalars(join(before, 'train')).keys()];
    expect(tags).toContain('epoch_loss');
    expect(tags.filter((t) => t.includes('nc1'))).toEqual([]);
  });

  it('tf.callbacks.earlyStopping monitoring nc1 after ncCallback stops on NC1; placed before it, it never sees nc1', async () => {
    await useBackend('cpu');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { train, model, dispose } = setup();
      // minDelta larger than any NC1 change: the first measurement sets the best, the next two do not improve on it.
      const stopper = () => tfl.callbacks.earlyStopping({ monitor: 'nc1', mode: 'min', minDelta: 100, patience: 2 });
      const after = await model.fit(train.xs, train.oneHot, { epochs: 10, verbose: 0, callbacks: [ncCallback({ probe: { xs: train.xs, ys: train.ints } }), stopper()] });
      expect(after.epoch).toEqual([0, 1, 2]);
      expect(after.history.nc1).toHaveLength(3);
      warn.mockClear();
      const beforeNc = await model.fit(train.xs, train.oneHot, { epochs: 4, verbose: 0, callbacks: [stopper(), ncCallback({ probe: { xs: train.xs, ys: train.ints } })] });
      expect(beforeNc.epoch).toEqual([0, 1, 2, 3]);
      expect(warn.mock.calls.some(([m]) => /Metric for EarlyStopping nc1 is not available/.test(String(m)))).toBe(true);
      dispose();
    } finally {
      warn.mockRestore();
    }
  });

  it('with every: 2, earlyStopping counts measured epochs only (unmeasured ones have no nc1 key)', async () => {
    await useBackend('cpu');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { train, model, dispose } = setup();
      const h = await model.fit(train.xs, train.oneHot, {
        epochs: 12, verbose: 0,
        callbacks: [ncCallback({ probe: { xs: train.xs, ys: train.ints }, every: 2 }), tfl.callbacks.earlyStopping({ monitor: 'nc1', mode: 'min', minDelta: 100, patience: 2 })],
      });
      // Measured: epochs 0, 1, 3, … — the best at epoch 0, no improvement at 1 and 3 → stop after epoch 3.
      expect(h.epoch).toEqual([0, 1, 2, 3]);
      expect(h.history.nc1).toHaveLength(3);
      dispose();
    } finally {
      warn.mockRestore();
    }
  });

  it('bad logdirs are named errors when the logger is made, nothing written, no tensor made', async () => {
    await useBackend('cpu');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const code = (f: () => unknown) => { try { f(); } catch (e) { return [(e as { code?: string }).code, (e as Error).message]; } return ['none', '']; };
    const before = tf.memory().numTensors;
    expect(code(() => tensorBoardLogger(file))).toEqual(['BAD_OPTION', expect.stringMatching(/a-file" is a file, not a folder/)]);
    expect(code(() => tensorBoardLogger(join(file, 'logs')))).toEqual(['BAD_OPTION', expect.stringMatching(/lies below a file|is a file, not a folder/)]);
    expect(code(() => tensorBoardLogger(''))).toEqual(['BAD_OPTION', expect.stringMatching(/folder path/)]);
    expect(code(() => tensorBoardLogger(dir, { updateFreq: 0 }))).toEqual(['BAD_OPTION', expect.stringMatching(/updateFreq/)]);
    expect(code(() => tensorBoardLogger(dir, { updateFreq: 'step' as 'batch' }))).toEqual(['BAD_OPTION', expect.stringMatching(/updateFreq/)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a logdir that cannot be created is refused when the logger is made', () => {
    // sysfs refuses new folders (EPERM; EROFS where it is mounted read-only).
    expect(() => tensorBoardLogger('/sys/ncscope-no-such/logs')).toThrow(expect.objectContaining({ name: 'NcInputError', code: 'BAD_OPTION' }));
  });

  it('a write failing mid-fit is a named error; the ncCallback of that fit frees its probe with dispose()', async () => {
    await useBackend('cpu');
    const { train, model, dispose } = setup();
    await model.fit(train.xs, train.oneHot, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    const out = logdir();
    const tb = tensorBoardLogger(out);
    // The folder becomes a file after the logger was made: creating train/ fails at the first epoch's end.
    rmSync(out, { recursive: true });
    writeFileSync(out, 'not a folder');
    const nc = ncCallback({ probe: { xs: train.xs, ys: train.ints } });
    await expect(model.fit(train.xs, train.oneHot, { epochs: 2, verbose: 0, callbacks: [nc, tb] })).rejects.toMatchObject({ name: 'NcInputError', code: 'BAD_OPTION' });
    // tfjs skips onTrainEnd after a callback error: the measuring callback still holds its prepared probe…
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    nc.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(readFileSync(out, 'utf8')).toBe('not a folder');
    dispose();
  });
});

describe('TensorBoardEventFile', () => {
  it('writes the golden file byte for byte (fixed clock and host)', async () => {
    const out = join(dir, 'golden');
    const times = [1_700_000_000_000, 1_700_000_001_500];
    const file = await TensorBoardEventFile.create(out, { host: 'golden-host', now: () => times.shift()! });
    await file.add(3, [{ tag: 'epoch_loss', value: 0.25 }, { tag: 'epoch_nc1', value: 0 }]);
    await file.flush();
    expect(readdirSync(out)).toEqual(['events.out.tfevents.1700000000.golden-host.v2']);
    const golden = readFileSync(new URL('../../../test/fixtures/tensorboard/events.out.tfevents.1700000000.golden-host.v2', import.meta.url));
    expect(readFileSync(file.path).toString('hex')).toBe(golden.toString('hex'));
  });

  it('never replaces a file: a second writer in the same second gets .<pid>.<n>', async () => {
    const out = join(dir, 'twice');
    mkdirSync(out);
    const a = await TensorBoardEventFile.create(out, { host: 'h', now: () => 1_700_000_000_000 });
    const b = await TensorBoardEventFile.create(out, { host: 'h', now: () => 1_700_000_000_000 });
    expect(a.path).not.toBe(b.path);
    expect(b.path).toMatch(new RegExp(`events\\.out\\.tfevents\\.1700000000\\.h\\.${process.pid}\\.1\\.v2$`));
    await a.add(1, [{ tag: 'x', value: 1 }]);
    await a.flush();
    expect(readEventFile(a.path)).toHaveLength(2);
    expect(readEventFile(b.path)).toHaveLength(1);
  });
});
