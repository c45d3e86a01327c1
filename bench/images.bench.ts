/**
 * Image folders through a model: a ResNet18-sized ONNX network (the torchvision ResNet18 architecture, 11.7 M
 * random weights, 1.8 GFLOP per 224 × 224 image, BN folded into the convolutions as exporters do) on a folder of
 * JPEGs the size of ImageNet's (500 × 375), with the evaluation transform (Resize 256, CenterCrop 224, Normalize).
 *
 *   decode only   openImageFolder → read every batch (worker threads, default count), no model
 *   model only    analyzeModel on the tensors decoded beforehand (an in-memory array)
 *   images        analyzeModel on the image folder: decoding in the workers overlaps the model's runs
 *
 * Target: images ≤ 1.3 × model only (wall). `npm run bench -- images`; NCSCOPE_BENCH_IMAGES=N changes N (256).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '@ncscope/core';
import { DataType, analyzeModel, arrayInput, encodeModel, modelProto, nodeProto, tensorProto, valueInfoProto, type NodeProto, type TensorProto } from '@ncscope/onnx';
import { openImageFolder } from '../packages/io/src/images/index.js';

const N = Number(process.env.NCSCOPE_BENCH_IMAGES ?? 256);
const K = 10;
const BATCH = 32;
const r = mulberry32(18);
const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** torchvision's resnet18 graph, conv + folded BN as Conv with bias, random He-initialised weights. */
function resnet18(): Uint8Array {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let id = 0;
  const conv = (x: string, cin: number, cout: number, k: number, stride: number): string => {
    const n = `conv${id++}`;
    const w = Float32Array.from({ length: cout * cin * k * k }, () => gauss() * Math.sqrt(2 / (cin * k * k)));
    inits.push(tensorProto(`${n}.weight`, [cout, cin, k, k], w), tensorProto(`${n}.bias`, [cout], new Float32Array(cout)));
    nodes.push(nodeProto('Conv', [x, `${n}.weight`, `${n}.bias`], [n], { kernel_shape: [k, k], strides: [stride, stride], pads: [k >> 1, k >> 1, k >> 1, k >> 1] }));
    return n;
  };
  const relu = (x: string) => {
    nodes.push(nodeProto('Relu', [x], [`${x}_relu`]));
    return `${x}_relu`;
  };
  let x = relu(conv('input', 3, 64, 7, 2));
  nodes.push(nodeProto('MaxPool', [x], ['pool'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
  x = 'pool';
  let cin = 64;
  for (const [cout, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let b = 0; b < 2; b++) {
      const s = b === 0 ? stride : 1;
      const h = conv(relu(conv(x, cin, cout, 3, s)), cout, cout, 3, 1);
      const skip = s !== 1 || cin !== cout ? conv(x, cin, cout, 1, s) : x;
      nodes.push(nodeProto('Add', [h, skip], [`${h}_add`]));
      x = relu(`${h}_add`);
      cin = cout;
    }
  }
  nodes.push(nodeProto('GlobalAveragePool', [x], ['gap']), nodeProto('Flatten', ['gap'], ['features'], { axis: 1 }));
  inits.push(tensorProto('fc.weight', [K, 512], Float32Array.from({ length: K * 512 }, () => gauss() * 0.05)), tensorProto('fc.bias', [K], new Float32Array(K)));
  nodes.push(nodeProto('Gemm', ['features', 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }));
  return encodeModel(modelProto({
    node: nodes,
    initializer: inits,
    input: [valueInfoProto('input', DataType.FLOAT, ['batch', 3, 224, 224])],
    output: [valueInfoProto('logits', DataType.FLOAT, ['batch', K])],
  }, 13));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ncscope-bench-images-'));
  try {
    console.log(`machine: ${cpus().length} cores (${cpus()[0].model}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // JPEGs of ImageNet's typical size: smooth colour fields plus noise, quality 90.
    const W = 500;
    const H = 375;
    for (let i = 0; i < N; i++) {
      const cls = join(dir, `class${i % K}`);
      mkdirSync(cls, { recursive: true });
      const px = new Uint8Array(W * H * 3);
      const fx = 0.01 + r() * 0.05;
      const fy = 0.01 + r() * 0.05;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) px[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, 128 + 90 * Math.sin(x * fx + c) * Math.cos(y * fy) + 20 * gauss()));
      await sharp(px, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(cls, `${i}.jpg`));
    }
    const model = resnet18();
    console.log(`model: ResNet18 graph, ${(model.byteLength / 2 ** 20).toFixed(1)} MiB; ${N} JPEGs ${W} × ${H}; batch ${BATCH}`);
    const transform = { resize: 256, centerCrop: [224, 224] as const, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

    // Decode only.
    let t0 = performance.now();
    const images = await openImageFolder(dir, transform);
    const decoded = new Float32Array(N * 3 * 224 * 224);
    for (let s = 0; s < N; s += BATCH) decoded.set(await images.read(s, Math.min(BATCH, N - s)), s * 3 * 224 * 224);
    await images.close();
    const decodeS = (performance.now() - t0) / 1000;
    console.log(`decode only:  ${decodeS.toFixed(2)} s, ${(N / decodeS).toFixed(1)} images/s (${images.shape.join(' × ')}, workers = cores)`);
    const labels = images.labels;

    const options = { labels, batchSize: BATCH, engine: 'js' as const, sessionOptions: { intraOpNumThreads: cpus().length } };
    // Warm-up: one session on a few rows (onnxruntime's first run allocates).
    await analyzeModel(model, arrayInput(decoded.subarray(0, 8 * 3 * 224 * 224), [8, 3, 224, 224]), { ...options, labels: labels.subarray(0, 8) });

    t0 = performance.now();
    const modelOnly = await analyzeModel(model, arrayInput(decoded, [N, 3, 224, 224], 'pre-decoded'), options);
    const modelS = (performance.now() - t0) / 1000;
    console.log(`model only:   ${modelS.toFixed(2)} s, ${(N / modelS).toFixed(1)} images/s (inference ${modelOnly.inferenceSeconds.toFixed(2)} s)`);

    t0 = performance.now();
    const folder = await openImageFolder(dir, transform);
    const full = await analyzeModel(model, folder, options);
    await folder.close();
    const fullS = (performance.now() - t0) / 1000;
    console.log(`images:       ${fullS.toFixed(2)} s, ${(N / fullS).toFixed(1)} images/s — ${(fullS / modelS).toFixed(2)} × model only (target ≤ 1.3)`);
    const same = full.tensors[0].report.metrics.nc1 === modelOnly.tensors[0].report.metrics.nc1;
    console.log(`same NC1 from both paths: ${same} (${full.tensors[0].report.metrics.nc1})`);
    console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
