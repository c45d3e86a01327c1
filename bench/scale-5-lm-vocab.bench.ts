/**
 * Language-model vocabulary: N = 200,000 tokens, D = 768 (GPT-2 small's width), K = 50,257 (the GPT-2 / GPT-Neo
 * tokenizer) with the head as the classifier — the scale of Wu & Papyan's linguistic-collapse measurements, with every
 * class present (3–4 tokens each: the K × K pair products at their full size, the worst case for the report).
 * Target: completes with peak RSS ≤ 5 GB; prints the time of each phase. `NCSCOPE_BENCH_N` / `NCSCOPE_BENCH_K`
 * shrink it for a quick look.
 */
import { createOnnxProductEngine } from '@ncscope/onnx';
import { machine, peakRssMiB, printRun, runPhases } from './scale-phases.js';
import { syntheticFeatures } from './synthetic.js';

const N = Number(process.env.NCSCOPE_BENCH_N ?? 200_000);
const K = Number(process.env.NCSCOPE_BENCH_K ?? 50_257);
const D = 768;
console.log(machine());
const data = syntheticFeatures(N, D, K, 7);
const classifier = { weights: data.weights, bias: data.bias };
const inputMiB = (data.features.byteLength + data.labels.byteLength + data.weights.byteLength + data.bias.byteLength) / 2 ** 20;
console.log(`N = ${N} tokens, D = ${D}, K = ${K} (every class present), float32 features + head with bias; input ${inputMiB.toFixed(0)} MiB`);
const engine = await createOnnxProductEngine();
const run = await runPhases(data.features, data.labels, K, D, engine, classifier, true);
printRun('one run', run);
const peak = peakRssMiB();
console.log(`peak RSS ${peak.toFixed(0)} MiB (${(peak / 1024).toFixed(2)} GiB, input included; target ≤ 5 GB = ${(5e9 / 2 ** 30).toFixed(2)} GiB): ${peak * 2 ** 20 <= 5e9 ? 'met' : 'NOT met'}`);
const m = run.report.metrics;
console.log(`metrics: nc1 ${m.nc1?.toPrecision(4)}, cdnv ${m.cdnv?.toPrecision(4)}, etfErrorMeans ${m.etfErrorMeans?.toPrecision(4)}, gnc2LogMean ${m.gnc2LogMean?.toPrecision(4)}, unc3 ${m.unc3?.toPrecision(4)}, nc4NccMismatch ${m.nc4NccMismatch?.toPrecision(4)}, nccAccuracy ${m.nccAccuracy?.toPrecision(4)}`);
await engine.dispose?.();
