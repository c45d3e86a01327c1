/**
 * Issue 4 benchmark: feature-extraction throughput (samples/s) of @ncscope/onnx — the model edited to output the
 * feature tensor, batches streamed through `FeatureExtractor` — against a plain onnxruntime `session.run` of the
 * unedited model over the same batches. Target: ≥ 0.9× the plain rate. Also shows the full two-pass NC analysis
 * (`analyzeModel`, features cached for pass 2) for scale.
 *
 * Models (random He-initialised weights, built with the package's own ModelProto builders):
 *   cnn  3×32×32 → Conv 32 → Relu → MaxPool → Conv 64 → Relu → MaxPool → Conv 128 → Relu → GlobalAveragePool
 *        → Flatten → Gemm 10 (features: the 128-d Flatten output)
 *   mlp  784 → Gemm 1024 → Relu → Gemm 512 → Relu → Gemm 10 (features: the 512-d second Relu)
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import { DataType, FeatureExtractor, OnnxModel, analyzeModel, arrayInput, encodeModel, modelProto, nodeProto, tensorProto, valueInfoProto } from '@ncscope/onnx';
import { mulberry32 as rng } from '@ncscope/core';

const r = rng(4);
const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const he = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => gauss() * Math.sqrt(2 / fanIn));
const zeros = (n: number) => new Float32Array(n);

function cnnModel(): Uint8Array {
  const conv = (i: number, cin: number, cout: number, x: string) => [
    nodeProto('Conv', [x, `c${i}.w`, `c${i}.b`], [`conv${i}`], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    nodeProto('Relu', [`conv${i}`], [`relu${i}`]),
  ];
  const inits = [
    tensorProto('c1.w', [32, 3, 3, 3], he(32 * 27, 27)), tensorProto('c1.b', [32], zeros(32)),
    tensorProto('c2.w', [64, 32, 3, 3], he(64 * 288, 288)), tensorProto('c2.b', [64], zeros(64)),
    tensorProto('c3.w', [128, 64, 3, 3], he(128 * 576, 576)), tensorProto('c3.b', [128], zeros(128)),
    tensorProto('fc.w', [10, 128], he(1280, 128)), tensorProto('fc.b', [10], zeros(10)),
  ];
  const pool = { kernel_shape: [2, 2], strides: [2, 2] };
  return encodeModel(modelProto({
    node: [
      ...conv(1, 3, 32, 'input'), nodeProto('MaxPool', ['relu1'], ['pool1'], pool),
      ...conv(2, 32, 64, 'pool1'), nodeProto('MaxPool', ['relu2'], ['pool2'], pool),
      ...conv(3, 64, 128, 'pool2'), nodeProto('GlobalAveragePool', ['relu3'], ['gap']),
      nodeProto('Flatten', ['gap'], ['features'], { axis: 1 }),
      nodeProto('Gemm', ['features', 'fc.w', 'fc.b'], ['logits'], { transB: 1 }),
    ],
    initializer: inits,
    input: [valueInfoProto('input', DataType.FLOAT, ['N', 3, 32, 32])],
    output: [valueInfoProto('logits', DataType.FLOAT, ['N', 10])],
  }, 13));
}

function mlpModel(): Uint8Array {
  return encodeModel(modelProto({
    node: [
      nodeProto('Gemm', ['input', 'w1', 'b1'], ['h1'], { transB: 1 }), nodeProto('Relu', ['h1'], ['r1']),
      nodeProto('Gemm', ['r1', 'w2', 'b2'], ['h2'], { transB: 1 }), nodeProto('Relu', ['h2'], ['features']),
      nodeProto('Gemm', ['features', 'w3', 'b3'], ['logits'], { transB: 1 }),
    ],
    initializer: [
      tensorProto('w1', [1024, 784], he(1024 * 784, 784)), tensorProto('b1', [1024], zeros(1024)),
      tensorProto('w2', [512, 1024], he(512 * 1024, 1024)), tensorProto('b2', [512], zeros(512)),
      tensorProto('w3', [10, 512], he(5120, 512)), tensorProto('b3', [10], zeros(10)),
    ],
    input: [valueInfoProto('input', DataType.FLOAT, ['N', 784])],
    output: [valueInfoProto('logits', DataType.FLOAT, ['N', 10])],
  }, 13));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(repeats: number, run: () => Promise<void>): Promise<number> {
  await run(); // warm-up: session caches, JIT
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const s = performance.now();
    await run();
    t.push((performance.now() - s) / 1000);
  }
  return median(t);
}

const rows: string[][] = [];
const cases = [
  { name: 'cnn 3×32×32 → 128', bytes: cnnModel(), sample: [3, 32, 32], N: 2048, batch: 128 },
  { name: 'mlp 784 → 512', bytes: mlpModel(), sample: [784], N: 16384, batch: 512 },
];
for (const c of cases) {
  const per = c.sample.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: c.N * per }, () => r());
  const labels = Int32Array.from({ length: c.N }, (_, i) => i % 10);
  const shape = [c.N, ...c.sample];
  const repeats = 7;

  // Plain onnxruntime: the unedited model, one run per batch, fetching its output.
  const plain = await ort.InferenceSession.create(c.bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const runPlain = async () => {
    for (let s = 0; s < c.N; s += c.batch) {
      const rowsHere = Math.min(c.batch, c.N - s);
      const out = await plain.run({ input: new ort.Tensor('float32', x.subarray(s * per, (s + rowsHere) * per), [rowsHere, ...c.sample]) });
      if (!out.logits) throw new Error('no output');
    }
  };
  // @ncscope/onnx: the edited model, batches through FeatureExtractor (the same session options).
  const model = OnnxModel.open(c.bytes, { name: c.name });
  const ex = await FeatureExtractor.create(model, { batchSize: c.batch });
  const input = arrayInput(x, shape, 'x');
  const runOurs = async () => {
    let n = 0;
    for await (const b of ex.run(input)) n += b.rows;
    if (n !== c.N) throw new Error('rows lost');
  };
  // Alternate the two (after one warm-up each) so that load from other processes hits both alike.
  await runPlain();
  await runOurs();
  const tp: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < repeats; i++) {
    for (const [run, times] of [[runPlain, tp], [runOurs, to]] as const) {
      const s = performance.now();
      await run();
      times.push((performance.now() - s) / 1000);
    }
  }
  const tPlain = median(tp);
  const tOurs = median(to);
  await plain.release();
  await ex.release();

  // The whole analysis: extraction + two-pass NC statistics + report (pass 2 from the feature cache).
  const tFull = await timed(1, async () => {
    await analyzeModel(model, input, { labels, batchSize: c.batch });
  });

  const rate = (t: number) => `${Math.round(c.N / t).toLocaleString('en-US')}`;
  rows.push([c.name, String(c.N), String(c.batch), rate(tPlain), rate(tOurs), (tPlain / tOurs).toFixed(2), rate(tFull)]);
}

const head = ['model', 'N', 'batch', 'plain run (samples/s)', 'ncscope extract (samples/s)', 'ratio', 'full NC analysis (samples/s)'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log(`onnx extraction throughput — ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), onnxruntime-node ${ort.env.versions.common}, cpu EP, median of 7 alternating runs after a warm-up`);
for (const r of [head, ...rows]) console.log('  ' + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
console.log('target: ratio ≥ 0.9 (ncscope extract vs plain session.run over the same batches)');
