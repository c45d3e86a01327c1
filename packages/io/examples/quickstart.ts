import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { analyze, decideClassCount, encodeNpy } from '@ncscope/core';
import { batchSource, countLabelTensor, openArrayInputs, writeFilesAtomic } from '@ncscope/io';

// Two .npy files as NumPy would write them: 300 features of D = 4 in K = 3 classes, and their labels.
const dir = mkdtempSync(join(tmpdir(), 'ncscope-io-'));
const N = 300, D = 4, K = 3;
const features = Float32Array.from({ length: N * D }, (_, i) => (Math.floor(i / D) % K === i % D ? 1 : 0) + 0.1 * Math.sin(i));
const labels = Int32Array.from({ length: N }, (_, i) => i % K);
await writeFilesAtomic([
  { path: join(dir, 'features.npy'), bytes: encodeNpy(features, [N, D]) },
  { path: join(dir, 'labels.npy'), bytes: encodeNpy(labels, [N]) },
]);

// Open both (headers only), apply core's label and K rules to the labels, then stream 128-row batches twice.
const inputs = await openArrayInputs({ features: join(dir, 'features.npy'), labels: join(dir, 'labels.npy') });
try {
  const { K: classes } = decideClassCount(await countLabelTensor(inputs.labels.tensor));
  const { report, timing } = await analyze(batchSource(inputs.features.tensor, inputs.labels.tensor, 128), { K: classes });
  console.log(`${basename(inputs.features.tensor.where)}: ${inputs.features.tensor.typeName} ${inputs.features.tensor.shapeText}, K = ${classes}`);
  console.log(`NC1 = ${report.metrics.nc1!.toFixed(4)}, phases timed: ${Object.keys(timing).join(', ')}`);
} finally {
  await inputs.close();
  rmSync(dir, { recursive: true, force: true });
}
