/**
 * Writes the ONNX test fixtures of @ncscope/onnx into packages/onnx/test/fixtures/.
 *
 *   node --conditions=@ncscope/source --import tsx packages/onnx/scripts/make-fixtures.ts
 *
 * Two tiny classifiers are trained with TensorFlow.js (cpu backend, fixed seeds) on synthetic data until their
 * penultimate features are partly collapsed, and their weights are written as ONNX ModelProto files (opset 13)
 * with protobufjs, in the graph shapes exporters produce:
 *
 *   mlp-gemm-transb1.onnx   Gemm(transB=1) layers; the classifier Gemm has alpha = 0.5, beta = 2 (W = 0.5·B, b = 2·C)
 *   mlp-gemm-transb0.onnx   classifier Gemm(transB=0): B is D × K
 *   mlp-matmul-add.onnx     classifier MatMul(h, Transpose(W)) + Add(Identity(Constant b)), then LogSoftmax;
 *                           fixed batch dimension 32 (the last batch gets padded)
 *   mlp-softmax.onnx        classifier Gemm(transB=1) → Softmax → Identity
 *   cnn-flatten.onnx        Conv → Relu → MaxPool → Conv → Relu → MaxPool → Flatten → Gemm(transB=1), NCHW 1×8×8
 *   mlp-epoch01.onnx        the same MLP after 1 of its 40 epochs (Gemm transB=1): an early checkpoint for trends
 *   mlp-no-classifier.onnx  the MLP cut after its last hidden Relu (an embedding model: no linear classifier)
 *   mlp-matmul-layers.onnx  the trained MLP with hidden layers as MatMul(x, Wᵀ) + Add(b) (PyTorch's opset-9 style) and a
 *                           Gemm head: every hidden activation is read by a MatMul/Gemm with a constant weight
 *
 * plus the probe data and tfjs's own evaluation of the same weights, the independent path the tests compare to:
 *
 *   mlp-inputs.npy (120 × 10 float32), mlp-labels.npy (int64), mlp-features.npy (tfjs penultimate, 120 × 16)
 *   cnn-inputs.npy (90 × 1 × 8 × 8 float32), cnn-labels.npy (int32), cnn-features.npy (tfjs Flatten output
 *   reordered to ONNX's C·H·W order, 90 × 32), cnn-conv1-avg.npy (first Relu, globally averaged, 90 × 4)
 *   reference.json  classifier W (K × D) and b of both networks, as tfjs holds them, and the MLP's hidden layers
 *                   (out × in) for the layer-wise subspace alignment
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataType, encodeModel, modelProto, nodeProto, tensorProto, valueInfoProto, type NodeProto, type TensorProto } from '../src/index.js';
import { encodeNpy, mulberry32 as rng } from '@ncscope/core';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function write(name: string, bytes: Uint8Array): void {
  const tmp = join(OUT, `.${name}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(OUT, name));
  console.log(`${name.padEnd(26)} ${(bytes.byteLength / 1024).toFixed(1).padStart(6)} KB`);
}

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
/** Row-major transpose of an r × c matrix. */
function transpose2(a: ArrayLike<number>, r: number, c: number): Float32Array {
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}
const scaled = (a: Float32Array, s: number) => a.map((v) => v * s);

// ---------------------------------------------------------------- MLP: 10 → 32 → 16 → 4 on Gaussian blobs
function blobs(n: number, K: number, dim: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rc = rng(7); // the same class centres for training and probe data
  const centres = Array.from({ length: K }, () => Array.from({ length: dim }, () => 1.0 * gauss(rc)));
  const r = rng(seed);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % K;
    y[i] = k;
    for (let t = 0; t < dim; t++) x[i * dim + t] = centres[k][t] + 1.0 * gauss(r);
  }
  return { x, y };
}

// ---------------------------------------------------------------- CNN: 3 classes of 8×8 strokes (bar, column, diagonal)
function strokes(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    y[i] = k;
    const p = 1 + Math.floor(r() * 6);
    for (let h = 0; h < 8; h++)
      for (let w = 0; w < 8; w++) {
        const on = k === 0 ? h === p : k === 1 ? w === p : h - w === p - 4 || h - w === p - 3;
        x[i * 64 + h * 8 + w] = (on ? 1 : 0) + 0.35 * gauss(r);
      }
  }
  return { x, y };
}

const MLP_EPOCHS = 40;
const EARLY_EPOCHS = 1;
const CNN_EPOCHS = 20;
/** Softmax cross-entropy on logits (tfjs's 'sparseCategoricalCrossentropy' expects probabilities). */
const logitsLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred);
const oneHot = (y: Int32Array, K: number) => tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), K), 'float32');
function accuracy(model: tfl.LayersModel, x: tf.Tensor, y: Int32Array): number {
  const pred = tf.argMax(model.predict(x) as tf.Tensor, 1).dataSync();
  return pred.reduce((s, p, i) => s + (p === y[i] ? 1 : 0), 0) / y.length;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  mkdirSync(OUT, { recursive: true });
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });

  // ---- MLP
  const Din = 10, H1 = 32, D = 16, K = 4;
  const train = blobs(800, K, Din, 1);
  const probe = blobs(120, K, Din, 2);
  const mlp = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [Din], units: H1, activation: 'relu', kernelInitializer: init(11) }),
      tfl.layers.dense({ units: D, activation: 'relu', kernelInitializer: init(12), name: 'features' }),
      tfl.layers.dense({ units: K, kernelInitializer: init(13) }),
    ],
  });
  mlp.compile({ optimizer: tf.train.adam(0.01), loss: logitsLoss });
  // An early checkpoint (after EARLY_EPOCHS) for the trend across checkpoints, then train on.
  await mlp.fit(tf.tensor2d(train.x, [800, Din]), oneHot(train.y, K), { epochs: EARLY_EPOCHS, batchSize: 64, shuffle: false, verbose: 0 });
  const early = mlp.getWeights().map((w) => f32(w.dataSync()));
  await mlp.fit(tf.tensor2d(train.x, [800, Din]), oneHot(train.y, K), { epochs: MLP_EPOCHS - EARLY_EPOCHS, batchSize: 64, shuffle: false, verbose: 0 });
  console.log(`mlp: ${MLP_EPOCHS} epochs, train accuracy ${accuracy(mlp, tf.tensor2d(train.x, [800, Din]), train.y).toFixed(3)}, probe ${accuracy(mlp, tf.tensor2d(probe.x, [120, Din]), probe.y).toFixed(3)}`);
  const [k1, b1, k2, b2, k3, b3] = mlp.getWeights().map((w) => f32(w.dataSync()));
  const mlpFeatures = tfl.model({ inputs: mlp.inputs, outputs: mlp.getLayer('features').output as tfl.SymbolicTensor });
  const feats = f32((mlpFeatures.predict(tf.tensor2d(probe.x, [120, Din])) as tf.Tensor).dataSync());

  // ONNX: kernels of tfjs Dense are [in, out] = Bᵀ-layout for transB = 0; transB = 1 wants [out, in] (nn.Linear).
  const W1 = transpose2(k1, Din, H1), W2 = transpose2(k2, H1, D), W3 = transpose2(k3, D, K);
  const hidden = (batch: number | string, w = [W1, b1, W2, b2]): { node: NodeProto[]; initializer: TensorProto[]; input: ReturnType<typeof valueInfoProto>[] } => ({
    node: [
      nodeProto('Gemm', ['input', 'fc1.weight', 'fc1.bias'], ['/fc1/Gemm_output_0'], { transB: 1 }, '/fc1/Gemm'),
      nodeProto('Relu', ['/fc1/Gemm_output_0'], ['/act1/Relu_output_0'], {}, '/act1/Relu'),
      nodeProto('Gemm', ['/act1/Relu_output_0', 'fc2.weight', 'fc2.bias'], ['/fc2/Gemm_output_0'], { transB: 1 }, '/fc2/Gemm'),
      nodeProto('Relu', ['/fc2/Gemm_output_0'], ['/act2/Relu_output_0'], {}, '/act2/Relu'),
    ],
    initializer: [tensorProto('fc1.weight', [H1, Din], w[0]), tensorProto('fc1.bias', [H1], w[1]), tensorProto('fc2.weight', [D, H1], w[2]), tensorProto('fc2.bias', [D], w[3])],
    input: [valueInfoProto('input', DataType.FLOAT, [batch, Din])],
  });
  const feat = '/act2/Relu_output_0';
  const logitsInfo = (name: string, batch: number | string = 'batch') => valueInfoProto(name, DataType.FLOAT, [batch, K]);

  {
    const g = hidden('batch');
    g.node.push(nodeProto('Gemm', [feat, 'head.weight', 'head.bias'], ['logits'], { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } }, '/head/Gemm'));
    g.initializer.push(tensorProto('head.weight', [K, D], scaled(W3, 2)), tensorProto('head.bias', [K], scaled(b3, 0.5)));
    write('mlp-gemm-transb1.onnx', encodeModel(modelProto({ ...g, output: [logitsInfo('logits')] })));
  }
  {
    const g = hidden('batch');
    g.node.push(nodeProto('Gemm', [feat, 'head.weight_t', 'head.bias'], ['logits'], { transB: 0 }, '/head/Gemm'));
    g.initializer.push(tensorProto('head.weight_t', [D, K], k3), tensorProto('head.bias', [K], b3));
    write('mlp-gemm-transb0.onnx', encodeModel(modelProto({ ...g, output: [logitsInfo('logits')] })));
  }
  {
    const g = hidden(32);
    g.node.push(
      nodeProto('Transpose', ['head.weight'], ['/head/Transpose_output_0'], { perm: [1, 0] }, '/head/Transpose'),
      nodeProto('MatMul', [feat, '/head/Transpose_output_0'], ['/head/MatMul_output_0'], {}, '/head/MatMul'),
      nodeProto('Constant', [], ['/head/Constant_output_0'], { value: tensorProto('', [K], b3) }, '/head/Constant'),
      nodeProto('Identity', ['/head/Constant_output_0'], ['/head/Identity_output_0'], {}, '/head/Identity'),
      nodeProto('Add', ['/head/Identity_output_0', '/head/MatMul_output_0'], ['/head/Add_output_0'], {}, '/head/Add'),
      nodeProto('LogSoftmax', ['/head/Add_output_0'], ['log_probs'], { axis: 1 }, '/LogSoftmax'),
    );
    g.initializer.push(tensorProto('head.weight', [K, D], W3));
    write('mlp-matmul-add.onnx', encodeModel(modelProto({ ...g, output: [logitsInfo('log_probs', 32)] }, 13)));
  }
  {
    const g = hidden('batch');
    g.node.push(
      nodeProto('Gemm', [feat, 'head.weight', 'head.bias'], ['/head/Gemm_output_0'], { transB: 1 }, '/head/Gemm'),
      nodeProto('Softmax', ['/head/Gemm_output_0'], ['/Softmax_output_0'], { axis: 1 }, '/Softmax'),
      nodeProto('Identity', ['/Softmax_output_0'], ['probs'], {}, '/Identity'),
    );
    g.initializer.push(tensorProto('head.weight', [K, D], W3), tensorProto('head.bias', [K], b3));
    write('mlp-softmax.onnx', encodeModel(modelProto({ ...g, output: [logitsInfo('probs')] }, 17)));
  }
  {
    const [e1, eb1, e2, eb2, e3, eb3] = early;
    const g = hidden('batch', [transpose2(e1, Din, H1), eb1, transpose2(e2, H1, D), eb2]);
    g.node.push(nodeProto('Gemm', [feat, 'head.weight', 'head.bias'], ['logits'], { transB: 1 }, '/head/Gemm'));
    g.initializer.push(tensorProto('head.weight', [K, D], transpose2(e3, D, K)), tensorProto('head.bias', [K], eb3));
    write(`mlp-epoch${String(EARLY_EPOCHS).padStart(2, '0')}.onnx`, encodeModel(modelProto({ ...g, output: [logitsInfo('logits')] })));
  }
  {
    const g = hidden('batch');
    write('mlp-no-classifier.onnx', encodeModel(modelProto({ ...g, output: [valueInfoProto(feat, DataType.FLOAT, ['batch', D])] })));
  }
  {
    // Hidden layers as MatMul by a constant (in × out) matrix plus Add of the bias, the head as Gemm(transB = 1).
    const layer = (i: number, x: string, inDim: number, outDim: number, k: Float32Array, b: Float32Array, act: string): { node: NodeProto[]; initializer: TensorProto[] } => ({
      node: [
        nodeProto('MatMul', [x, `fc${i}.weight_t`], [`/fc${i}/MatMul_output_0`], {}, `/fc${i}/MatMul`),
        nodeProto('Add', [`/fc${i}/MatMul_output_0`, `fc${i}.bias`], [`/fc${i}/Add_output_0`], {}, `/fc${i}/Add`),
        nodeProto('Relu', [`/fc${i}/Add_output_0`], [act], {}, `/act${i}/Relu`),
      ],
      initializer: [tensorProto(`fc${i}.weight_t`, [inDim, outDim], k), tensorProto(`fc${i}.bias`, [outDim], b)],
    });
    const l1 = layer(1, 'input', Din, H1, k1, b1, '/act1/Relu_output_0');
    const l2 = layer(2, '/act1/Relu_output_0', H1, D, k2, b2, feat);
    write('mlp-matmul-layers.onnx', encodeModel(modelProto({
      node: [...l1.node, ...l2.node, nodeProto('Gemm', [feat, 'head.weight', 'head.bias'], ['logits'], { transB: 1 }, '/head/Gemm')],
      initializer: [...l1.initializer, ...l2.initializer, tensorProto('head.weight', [K, D], W3), tensorProto('head.bias', [K], b3)],
      input: [valueInfoProto('input', DataType.FLOAT, ['batch', Din])],
      output: [logitsInfo('logits')],
    })));
  }
  write('mlp-inputs.npy', encodeNpy(probe.x, [120, Din]));
  write('mlp-labels.npy', encodeNpy(BigInt64Array.from(probe.y, (v) => BigInt(v)), [120]));
  write('mlp-features.npy', encodeNpy(feats, [120, D]));

  // ---- CNN (tfjs is NHWC; ONNX is NCHW)
  const C1 = 4, C2 = 8, Kc = 3;
  const ctrain = strokes(600, 3);
  const cprobe = strokes(90, 4);
  const cnn = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: C1, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(21), name: 'conv1' }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ filters: C2, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(22) }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ units: Kc, kernelInitializer: init(23) }),
    ],
  });
  cnn.compile({ optimizer: tf.train.adam(0.01), loss: logitsLoss });
  const nhwc = (x: Float32Array, n: number) => tf.tensor4d(x, [n, 8, 8, 1]); // one channel: NCHW and NHWC bytes agree
  await cnn.fit(nhwc(ctrain.x, 600), oneHot(ctrain.y, Kc), { epochs: CNN_EPOCHS, batchSize: 50, shuffle: false, verbose: 0 });
  console.log(`cnn: ${CNN_EPOCHS} epochs, train accuracy ${accuracy(cnn, nhwc(ctrain.x, 600), ctrain.y).toFixed(3)}, probe ${accuracy(cnn, nhwc(cprobe.x, 90), cprobe.y).toFixed(3)}`);
  const [ck1, cb1, ck2, cb2, ck3, cb3] = cnn.getWeights().map((w) => f32(w.dataSync()));
  const tap = tfl.model({ inputs: cnn.inputs, outputs: [cnn.getLayer('conv1').output as tfl.SymbolicTensor, cnn.getLayer('flat').output as tfl.SymbolicTensor] });
  const [conv1Out, flatOut] = tap.predict(nhwc(cprobe.x, 90)) as tf.Tensor[];
  const conv1Avg = f32(tf.mean(conv1Out, [1, 2]).dataSync()); // 90 × C1
  // tfjs flattens (h, w, c); ONNX Flatten of NCHW gives (c, h, w). Reorder the features and the Dense rows.
  const Hs = 2, Ws = 2, Dc = C2 * Hs * Ws;
  const tfIndex = (c: number, hh: number, ww: number) => hh * Ws * C2 + ww * C2 + c;
  const flatTf = flatOut.dataSync();
  const cFeats = new Float32Array(90 * Dc);
  for (let i = 0; i < 90; i++)
    for (let c = 0; c < C2; c++) for (let hh = 0; hh < Hs; hh++) for (let ww = 0; ww < Ws; ww++) cFeats[i * Dc + c * Hs * Ws + hh * Ws + ww] = flatTf[i * Dc + tfIndex(c, hh, ww)];
  const Wc = new Float32Array(Kc * Dc); // K × D in ONNX feature order
  for (let k = 0; k < Kc; k++)
    for (let c = 0; c < C2; c++) for (let hh = 0; hh < Hs; hh++) for (let ww = 0; ww < Ws; ww++) Wc[k * Dc + c * Hs * Ws + hh * Ws + ww] = ck3[tfIndex(c, hh, ww) * Kc + k];
  // Conv kernels: tfjs [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw].
  const convW = (k: Float32Array, cin: number, cout: number) => {
    const out = new Float32Array(cout * cin * 9);
    for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) out[((o * cin + i) * 3 + a) * 3 + b] = k[((a * 3 + b) * cin + i) * cout + o];
    return out;
  };
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
  const pool = { kernel_shape: [2, 2], strides: [2, 2] };
  write(
    'cnn-flatten.onnx',
    encodeModel(
      modelProto(
        {
          node: [
            nodeProto('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['/conv1/Conv_output_0'], conv, '/conv1/Conv'),
            nodeProto('Relu', ['/conv1/Conv_output_0'], ['/relu1/Relu_output_0'], {}, '/relu1/Relu'),
            nodeProto('MaxPool', ['/relu1/Relu_output_0'], ['/pool1/MaxPool_output_0'], pool, '/pool1/MaxPool'),
            nodeProto('Conv', ['/pool1/MaxPool_output_0', 'conv2.weight', 'conv2.bias'], ['/conv2/Conv_output_0'], conv, '/conv2/Conv'),
            nodeProto('Relu', ['/conv2/Conv_output_0'], ['/relu2/Relu_output_0'], {}, '/relu2/Relu'),
            nodeProto('MaxPool', ['/relu2/Relu_output_0'], ['/pool2/MaxPool_output_0'], pool, '/pool2/MaxPool'),
            nodeProto('Flatten', ['/pool2/MaxPool_output_0'], ['/Flatten_output_0'], { axis: 1 }, '/Flatten'),
            nodeProto('Gemm', ['/Flatten_output_0', 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }, '/fc/Gemm'),
          ],
          initializer: [
            tensorProto('conv1.weight', [C1, 1, 3, 3], convW(ck1, 1, C1)), tensorProto('conv1.bias', [C1], cb1),
            tensorProto('conv2.weight', [C2, C1, 3, 3], convW(ck2, C1, C2)), tensorProto('conv2.bias', [C2], cb2),
            tensorProto('fc.weight', [Kc, Dc], Wc), tensorProto('fc.bias', [Kc], cb3),
          ],
          input: [valueInfoProto('input', DataType.FLOAT, ['batch', 1, 8, 8])],
          output: [valueInfoProto('logits', DataType.FLOAT, ['batch', Kc])],
          valueInfo: [valueInfoProto('/relu1/Relu_output_0', DataType.FLOAT, ['batch', C1, 8, 8]), valueInfoProto('/Flatten_output_0', DataType.FLOAT, ['batch', Dc])],
        },
        13,
      ),
    ),
  );
  write('cnn-inputs.npy', encodeNpy(cprobe.x, [90, 1, 8, 8]));
  write('cnn-labels.npy', encodeNpy(cprobe.y, [90]));
  write('cnn-features.npy', encodeNpy(cFeats, [90, Dc]));
  write('cnn-conv1-avg.npy', encodeNpy(conv1Avg, [90, C1]));

  const reference = {
    note: 'Classifier weights as tfjs holds them after training (W is K × D in ONNX feature order, b has K entries). Written by scripts/make-fixtures.ts.',
    mlp: { K, D, W: Array.from(W3), b: Array.from(b3), fc1: { out: H1, in: Din, W: Array.from(W1) }, fc2: { out: D, in: H1, W: Array.from(W2) } },
    cnn: { K: Kc, D: Dc, W: Array.from(Wc), b: Array.from(cb3) },
  };
  write('reference.json', new TextEncoder().encode(JSON.stringify(reference) + '\n'));
}

await main();
