import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN, goldenArray, runCli, tempDir } from './helpers/run.js';
import { npyBytes, npzBytes } from '../../io/test/helpers/writers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const golden = (name: string) => join(GOLDEN, 'balanced', `${name}.npy`);
const f = goldenArray('balanced', 'features');
const l = goldenArray('balanced', 'labels');
const [N, D] = f.header.shape;

/** Each case: arguments after `analyze`, and a pattern the single stderr line must match (after "ncscope: error: "). */
function cases(): [string, () => string[], RegExp][] {
  const labels = golden('labels');
  const features = golden('features');
  return [
    ['missing features file', () => ['--features', join(tmp.dir, 'missing.npy'), '--labels', labels], /missing\.npy: no such file$/],
    ['missing --labels', () => ['--features', features], /features\.npy: --labels <file> is required with --features$/],
    ['labels count differs from feature rows', () => ['--features', features, '--labels', tmp.write('short.npy', npyBytes(l.data.slice(0, N - 1), { descr: '<i4', shape: [N - 1] }))],
      new RegExp(`short\\.npy: has ${N - 1} labels but .*features\\.npy has ${N} feature rows$`)],
    ['1-D features', () => ['--features', tmp.write('flat.npy', npyBytes(f.data, { descr: '<f4', shape: [N * D] })), '--labels', labels], /flat\.npy: features must be 2-D \(N × D\), got shape \(7200,\)$/],
    // An N × K label array is read as multi-hot rows (multi-label analysis); all-zero rows leave nothing to measure.
    ['all-zero N × K labels', () => ['--features', features, '--labels', tmp.write('onehot.npy', npyBytes(new Float32Array(N * 5), { descr: '<f4', shape: [N, 5] }))], /onehot\.npy: no sample has exactly one label/],
    ['scores as N × K labels', () => ['--features', features, '--labels', tmp.write('scores.npy', npyBytes(Float32Array.from({ length: N * 5 }, (_, i) => (i % 7) / 7), { descr: '<f4', shape: [N, 5] }))], /scores\.npy: row 0, column 1: multi-hot label value 0\.1428571492433548 is not 0 or 1 \(scores or probabilities\? threshold them first\)$/],
    ['3-D labels', () => ['--features', features, '--labels', tmp.write('l3.npy', npyBytes(new Float32Array(N * 4), { descr: '<f4', shape: [N, 2, 2] }))], /l3\.npy: labels must be 1-D class indices or N × K multi-hot rows, got shape \(600, 2, 2\)$/],
    ['weights with the wrong D', () => ['--features', features, '--labels', labels, '--weights', tmp.write('w11.npy', npyBytes(new Float32Array(5 * 11), { descr: '<f4', shape: [5, 11] }))], /w11\.npy: weights have shape \(5, 11\) but the features have D = 12$/],
    ['weights in Keras layout (D × K)', () => ['--features', features, '--labels', labels, '--weights', tmp.write('wT.npy', npyBytes(new Float32Array(12 * 5), { descr: '<f4', shape: [12, 5] }))], /wT\.npy: .*looks like D × K \(Keras layout\)/],
    ['bias of the wrong length', () => ['--features', features, '--labels', labels, '--weights', golden('weights'), '--bias', tmp.write('b4.npy', npyBytes([1, 2, 3, 4], { descr: '<f4', shape: [4] }))], /b4\.npy: bias must have K = 5 entries .*got shape \(4,\)$/],
    ['bias without weights', () => ['--features', features, '--labels', labels, '--bias', golden('bias')], /bias\.npy: --bias needs --weights/],
    ['NaN in the features (row located across batches)', () => {
      const bad = Float32Array.from(f.data);
      bad[437 * D + 3] = NaN;
      return ['--features', tmp.write('nan.npy', npyBytes(bad, { descr: '<f4', shape: [N, D] })), '--labels', labels, '--batch-size', '100'];
    }, /nan\.npy: row 437, column 3: value NaN is not finite$/],
    ['Inf in the classifier weights', () => {
      const w = Float32Array.from(goldenArray('balanced', 'weights').data);
      w[2 * D + 7] = Infinity;
      return ['--features', features, '--labels', labels, '--weights', tmp.write('winf.npy', npyBytes(w, { descr: '<f4', shape: [5, D] }))];
    }, /winf\.npy: row 2, column 7: value Infinity is not finite$/],
    ['label ≥ K of the classifier', () => {
      const bad = Int32Array.from(l.data);
      bad[250] = 7;
      return ['--features', features, '--labels', tmp.write('l7.npy', npyBytes(bad, { descr: '<i4', shape: [N] })), '--weights', golden('weights'), '--batch-size', '64'];
    }, /l7\.npy: row 250: label 7 is not a class index in 0\.\.4 \(K = 5 from the classifier .*weights\.npy \(5 rows\)\)$/],
    ['negative label', () => {
      const bad = Int32Array.from(l.data);
      bad[599] = -1;
      return ['--features', features, '--labels', tmp.write('lneg.npy', npyBytes(bad, { descr: '<i2', shape: [N] }))];
    }, /lneg\.npy: row 599: label -1 is not a class index \(a non-negative integer\)$/],
    ['non-integer float label', () => {
      const bad = Float64Array.from(l.data);
      bad[5] = 1.5;
      return ['--features', features, '--labels', tmp.write('lfrac.npy', npyBytes(bad, { descr: '<f8', shape: [N] }))];
    }, /lfrac\.npy: row 5: label 1\.5 is not a class index \(a non-negative integer\)$/],
    ['a stray huge label without a classifier', () => {
      const bad = Float64Array.from(l.data);
      bad[17] = 4e9;
      return ['--features', features, '--labels', tmp.write('lhuge.npy', npyBytes(Array.from(bad, BigInt), { descr: '<i8', shape: [N] }))];
    }, /lhuge\.npy: row 17: label 4000000000 implies 4000000001 classes for 600 samples; check the labels; pass --classes K to state K$/],
    ['a single class', () => ['--features', features, '--labels', tmp.write('zeros.npy', npyBytes(new Int32Array(N), { descr: '<i4', shape: [N] }))], /zeros\.npy: every label is 0; neural collapse \(and a classifier\) needs at least 2 classes with samples$/],
    ['truncated features', () => {
      const bytes = npyBytes(f.data, { descr: '<f4', shape: [N, D] });
      return ['--features', tmp.write('cut.npy', bytes.slice(0, bytes.length - 100)), '--labels', labels];
    }, /cut\.npy: truncated: shape \(600, 12\) float32 needs 28928 bytes, the file has 28828$/],
    ['corrupt npz', () => ['--features', tmp.write('junk.npz', Uint8Array.from([0x50, 0x4b, 3, 4, 1, 2, 3])), '--labels', labels], /junk\.npz: not a valid \.npz\/zip archive/],
    ['npz with several members and no key', () => {
      const p = tmp.write('multi.npz', npzBytes({ a: npyBytes(f.data, { descr: '<f4', shape: [N, D] }), b: npyBytes(f.data, { descr: '<f4', shape: [N, D] }) }));
      return ['--features', p, '--labels', labels];
    }, /multi\.npz: holds several arrays \('a', 'b'\); pass --features-key NAME to choose the features$/],
    ['unknown npz key', () => {
      const p = tmp.write('single.npz', npzBytes({ feats: npyBytes(f.data, { descr: '<f4', shape: [N, D] }) }));
      return ['--features', p, '--features-key', 'x', '--labels', labels];
    }, /single\.npz: no member 'x' \(it has 'feats'\)$/],
    ['a text file', () => ['--features', tmp.write('notes.txt', 'hello world, not an array'), '--labels', labels], /notes\.txt: unrecognised format \(expected \.npy, \.npz or \.safetensors\)$/],
    ['unknown preset', () => ['--features', features, '--labels', labels, '--preset', 'torch'], /option '--preset <name>' argument 'torch' is invalid/],
    ['bad batch size', () => ['--features', features, '--labels', labels, '--batch-size', '0'], /--batch-size: expected a positive integer, got '0'/],
    ['no inputs at all', () => [], /--features <file> is required/],
    ['statistics file that is not one', () => ['--stats', golden('labels')], /labels\.npy: not an ncscope statistics file \(not valid JSON\)$/],
  ];
}

describe('bad input: exit code 2, one line on stderr naming the file and the problem, nothing on stdout', () => {
  for (const [name, args, pattern] of cases()) {
    it(name, async () => {
      const r = await runCli(['analyze', ...args(), '--engine', 'js']);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n');
      expect(lines, r.stderr).toHaveLength(2);
      expect(lines[1]).toBe('');
      expect(lines[0].startsWith('ncscope: error: '), r.stderr).toBe(true);
      expect(lines[0].slice('ncscope: error: '.length)).toMatch(pattern);
    });
  }
});

describe('usage errors', () => {
  it('an unknown option is one line with the suggestion', async () => {
    const r = await runCli(['analyze', '--fetures', 'x.npy']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("ncscope: error: unknown option '--fetures' (Did you mean --features?)\n");
  });

  it('--help exits 0', async () => {
    const r = await runCli(['analyze', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--features <file>');
  });
});
