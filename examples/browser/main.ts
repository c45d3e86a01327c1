/**
 * The page script of examples/browser (bundled by build.ts): loads the digits written by the build, trains the MLP
 * on the backend named in the URL (?backend=webgl|wasm|cpu, default webgl) and draws Neural Collapse live.
 * URL options: epochs (30), every (1: measure after every epoch), train (images per class, at most the build's).
 */
import { losses, ncCallback, useBackend } from '@ncscope/tfjs';
import { ncCharts } from '@ncscope/tfjs/charts';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

interface DigitsIndex {
  /** Images per class in the training part and in the test part. */
  trainPerClass: number;
  testPerClass: number;
}

const status = document.getElementById('status')!;
const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'webgl';
const epochs = Number(params.get('epochs') ?? 30);
const every = Number(params.get('every') ?? 1);

function show(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
}

/** Digits as written by build.ts: uint8 pixels (row-major, 784 per image), class-major: train part, then test part. */
async function loadDigits(): Promise<{ train: { x: Float32Array; y: Int32Array }; test: { x: Float32Array; y: Int32Array } }> {
  const index = (await (await fetch('./digits.json')).json()) as DigitsIndex;
  const bytes = new Uint8Array(await (await fetch('./digits.bin')).arrayBuffer());
  const use = Math.min(index.trainPerClass, Number(params.get('train') ?? index.trainPerClass));
  const part = (offsetPerClass: number, count: number, stride: number) => {
    const x = new Float32Array(10 * count * 784);
    const y = new Int32Array(10 * count);
    for (let d = 0; d < 10; d++) {
      for (let i = 0; i < count; i++) {
        const src = (d * stride + offsetPerClass + i) * 784;
        const row = d * count + i;
        for (let p = 0; p < 784; p++) x[row * 784 + p] = bytes[src + p] / 255;
        y[row] = d;
      }
    }
    return { x, y };
  };
  const stride = index.trainPerClass + index.testPerClass;
  return { train: part(0, use, stride), test: part(index.trainPerClass, index.testPerClass, stride) };
}

async function main(): Promise<void> {
  setWasmPaths('./wasm/');
  await useBackend(backend);
  show(`loading digits… (backend ${backend})`);
  const digits = await loadDigits();
  const n = digits.train.y.length;
  const xs = tf.tensor2d(digits.train.x, [n, 784]);
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(digits.train.y, 'int32'), 10), 'float32'));
  const xt = tf.tensor2d(digits.test.x, [digits.test.y.length, 784]);
  const yt = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(digits.test.y, 'int32'), 10), 'float32'));

  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const l2 = () => tfl.regularizers.l2({ l2: 5e-5 });
  const model = tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: init(1), kernelRegularizer: l2() }),
    tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2), kernelRegularizer: l2(), name: 'features' }),
    tfl.layers.dense({ units: 10, kernelInitializer: init(3), kernelRegularizer: l2(), name: 'classifier' }),
  ] });
  // The square loss on the logits with weight decay and SGD with momentum: the setting in which the classes
  // collapse steadily (examples/mnist-callback explains the choice).
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: losses.mse(), metrics: ['accuracy'] });

  const charts = ncCharts('#nc');
  const started = performance.now();
  const nc = ncCallback({
    probe: { xs, ys },
    every,
    onReport: (report, epoch, info) => {
      const l = info.logs;
      show(`epoch ${epoch + 1}/${epochs} · loss ${l.loss?.toFixed(4)} · train acc ${l.acc?.toFixed(3)} · test acc ${l.val_acc?.toFixed(3)} · NC1 ${report.metrics.nc1?.toPrecision(3)} · measurement ${(nc.lastSeconds * 1000).toFixed(0)} ms on ${tf.getBackend()} · ${((performance.now() - started) / 1000).toFixed(0)} s`);
      return charts.onReport(report, epoch, info);
    },
  });
  await model.fit(xs, ys, { epochs, batchSize: 64, shuffle: true, validationData: [xt, yt], verbose: 0, callbacks: [nc] });
  show(`${status.textContent} · done`);
  tf.dispose([xs, ys, xt, yt]);
  document.body.dataset.state = 'done';
}

main().catch((e: Error) => {
  show(`${e.name}: ${e.message}`, true);
  document.body.dataset.state = 'error';
});
