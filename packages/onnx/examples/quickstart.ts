import { readFileSync } from 'node:fs';
import { parseNpy } from '@ncscope/core';
import { OnnxModel, analyzeModel, arrayInput } from '@ncscope/onnx';

// A small MLP checkpoint and its probe set, shipped as this package's test fixtures (run from the repository root).
const dir = 'packages/onnx/test/fixtures';
const x = parseNpy(readFileSync(`${dir}/mlp-inputs.npy`)); // N × … as the model takes it (NCHW images, vectors)
const y = parseNpy(readFileSync(`${dir}/mlp-labels.npy`)).data; // N integer labels

const model = OnnxModel.open(`${dir}/mlp-gemm-transb1.onnx`);
const { featureTensor, K, D } = model.inspect().classifier!;
console.log(`classifier input ${featureTensor}: K = ${K} classes, D = ${D} features`);

const result = await analyzeModel(model, arrayInput(x.data, x.header.shape, 'mlp-inputs.npy'), { labels: y, batchSize: 256 });
const { tensor, report } = result.tensors[0];
console.log(`${tensor}: NC1 = ${report.metrics.nc1!.toFixed(4)}, NC3 (Zhu) = ${report.metrics.nc3Zhu!.toFixed(4)}, accuracy = ${report.metrics.classifierAccuracy}`);
