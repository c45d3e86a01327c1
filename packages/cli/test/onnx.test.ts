import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, parseNpy } from '@ncscope/core';
import { OnnxModel, FeatureExtractor, arrayInput, decodeModel, encodeModel, type TensorProto } from '@ncscope/onnx';
import { runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

/** The ONNX fixtures of @ncscope/onnx (written by packages/onnx/scripts/make-fixtures.ts). */
const FX = fileURLToPath(new URL('../../onnx/test/fixtures/', import.meta.url));
const fx = (name: string) => join(FX, name);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const data = ['--inputs', fx('mlp-inputs.npy'), '--labels', fx('mlp-labels.npy')];

describe('ncscope onnx', () => {
  it('--json: one entry per checkpoint with the analyze metric keys; metrics equal core analyze on the features', async () => {
    const { code, stdout, stderr } = await runCli(['onnx', fx('mlp-epoch01.onnx'), fx('mlp-gemm-transb1.onnx'), ...data, '--json', '--engine', 'js']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { checkpoints: Record<string, any>[] };
    expect(out.checkpoints.map((c) => [c.model, c.tensor, c.N, c.D, c.K])).toEqual([
      [fx('mlp-epoch01.onnx'), '/act2/Relu_output_0', 120, 16, 4],
      [fx('mlp-gemm-transb1.onnx'), '/act2/Relu_output_0', 120, 16, 4],
    ]);
    for (const key of ['model', 'tensor', 'N', 'D', 'K', 'conventions', 'metrics']) expect(out.checkpoints[0]).toHaveProperty(key);
    expect(out.checkpoints[1].classifier).toEqual({ kind: 'Gemm', weights: 'head.weight × alpha 0.5', bias: 'head.bias × beta 2' });

    // Independent path: features from the library, the report from core analyze.
    const x = parseNpy(new Uint8Array(readFileSync(fx('mlp-inputs.npy'))));
    const y = parseNpy(new Uint8Array(readFileSync(fx('mlp-labels.npy')))).data as Int32Array;
    const model = OnnxModel.open(fx('mlp-gemm-transb1.onnx'));
    const ex = await FeatureExtractor.create(model, { batchSize: 1000 });
    let features: Float32Array | undefined;
    for await (const b of ex.run(arrayInput(x.data, x.header.shape))) features = b.features[0].data as Float32Array;
    await ex.release();
    const c = model.classifier();
    // The default tensor's consumer is the classifier itself: its alignment equals the classifier's.
    const ref = await analyze([{ features: features!, labels: y }], { classifier: { weights: c.weights, bias: c.bias }, consumer: { weights: c.weights, outputs: c.K } });
    expect(out.checkpoints[1].consumer).toMatchObject({ kind: 'Gemm', outputs: 4 });
    expect(Object.keys(out.checkpoints[1].metrics).sort()).toEqual(Object.keys(ref.report.metrics).sort());
    for (const [k, v] of Object.entries(ref.report.metrics)) expect(Math.abs(out.checkpoints[1].metrics[k] - v), k).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
    expect(out.checkpoints[1].metrics.nc1).toBeLessThan(out.checkpoints[0].metrics.nc1);
  });

  it('text: a report per checkpoint and the trend table; --jsonl writes ncscope.measurement/1 lines', async () => {
    const jsonl = join(tmp.dir, 'trend.jsonl');
    const { code, stdout } = await runCli(['onnx', fx('mlp-epoch01.onnx'), fx('mlp-matmul-add.onnx'), ...data, '--jsonl', jsonl]);
    expect(code).toBe(0);
    expect(stdout).toContain('ncscope onnx — checkpoint 0:');
    expect(stdout).toContain('ncscope onnx — checkpoint 1:');
    expect(stdout).toContain('MatMul+Add in the graph');
    const trend = stdout.slice(stdout.indexOf('trend across checkpoints'));
    expect(trend.split('\n')[1]).toMatch(/#\s+checkpoint\s+tensor\s+NC1\s+NC1 quot\.\s+NC2 equiang\.\s+NC2 ETF\s+NC2 ETF W\s+NC3 \(Zhu\)\s+NC4\s+acc\.\s+NCC acc\./);
    expect(trend.split('\n').filter((l) => /^\s+[01]\s/.test(l))).toHaveLength(2);
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.schema, l.step, l.checkpoint, l.layer, l.N, l.K])).toEqual([
      ['ncscope.measurement/1', 0, fx('mlp-epoch01.onnx'), '/act2/Relu_output_0', 120, 4],
      ['ncscope.measurement/1', 1, fx('mlp-matmul-add.onnx'), '/act2/Relu_output_0', 120, 4],
    ]);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--tensor (repeated) and --pool avg: layer-wise entries for a CNN', async () => {
    const { code, stdout } = await runCli([
      'onnx', fx('cnn-flatten.onnx'), '--inputs', fx('cnn-inputs.npy'), '--labels', fx('cnn-labels.npy'),
      '--tensor', '/relu1/Relu_output_0', '--tensor', '/Flatten_output_0', '--pool', 'avg', '--batch-size', '16', '--json',
    ]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { checkpoints: { tensor: string; D: number; classifier: unknown }[] };
    expect(out.checkpoints.map((c) => [c.tensor, c.D, c.classifier === null])).toEqual([
      ['/relu1/Relu_output_0', 4, true],
      ['/Flatten_output_0', 32, false],
    ]);
  });

  it('--cache-mb 0 runs the model again for pass 2, with the same numbers', async () => {
    const args = ['onnx', fx('mlp-softmax.onnx'), ...data, '--json', '--batch-size', '32'];
    const cached = JSON.parse((await runCli(args)).stdout).checkpoints[0];
    const rerun = JSON.parse((await runCli([...args, '--cache-mb', '0'])).stdout).checkpoints[0];
    expect(rerun.warnings).toContain('features did not fit the cache: pass 2 ran the model again');
    expect(cached.warnings).not.toContain('features did not fit the cache: pass 2 ran the model again');
    for (const [k, v] of Object.entries(cached.metrics as Record<string, number>)) expect(Math.abs(rerun.metrics[k] - v), k).toBeLessThanOrEqual(1e-12);
    const bad = await runCli([...args, '--cache-mb', '-1']);
    expect([bad.code, bad.stdout]).toEqual([2, '']);
  });

  it('inspect: inputs, outputs, probed shapes and the default tensor; --json', async () => {
    const text = await runCli(['onnx', 'inspect', fx('cnn-flatten.onnx')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('default feature tensor: /Flatten_output_0  (D = 32)');
    expect(text.stdout).toContain('classifier: Gemm /fc/Gemm → logits, K = 3 classes; W from fc.weight; b from fc.bias');
    expect(text.stdout).toMatch(/\/conv2\/Conv_output_0\s+Conv\s+float32\s+\[batch, 8, 4, 4\]\s+128/); // not declared: probed
    expect(text.stdout).toMatch(/\/Flatten_output_0 .*← default/);
    const json = JSON.parse((await runCli(['onnx', 'inspect', fx('mlp-no-classifier.onnx'), '--json'])).stdout);
    expect(json.classifier).toBeUndefined();
    expect(json.candidates.map((c: { name: string }) => c.name)).toContain('/act2/Relu_output_0');
    const none = await runCli(['onnx', 'inspect', fx('mlp-no-classifier.onnx')]);
    expect(none.stdout).toContain('pass one of the candidates below with --tensor NAME');
  });

  it('errors: one line on stderr, nothing on stdout, exit 2', async () => {
    const corrupt = tmp.write('corrupt.onnx', new Uint8Array([8, 1, 0xff, 0xff, 0xff]));
    const short = tmp.write('short.npy', readFileSync(fx('cnn-labels.npy')));
    // 120 labels in 0..2 for the 3-class CNN, so the input shape is what fails.
    const labels3 = tmp.write('labels3.npy', npyBytes(Array.from({ length: 120 }, (_, i) => i % 3), { descr: '<i8', shape: [120] }));
    const cases: [string[], RegExp][] = [
      [['onnx', corrupt, ...data], /corrupt\.onnx: not (a readable ONNX model|an ONNX model)/],
      [['onnx', fx('mlp-softmax.onnx'), ...data, '--tensor', 'nope'], /no tensor named "nope".*ncscope onnx inspect/],
      [['onnx', fx('cnn-flatten.onnx'), '--inputs', fx('mlp-inputs.npy'), '--labels', labels3], /mlp-inputs\.npy: input shape \[120, 10\] does not fit model input "input" \[batch, 1, 8, 8\]/],
      [['onnx', fx('mlp-softmax.onnx'), '--inputs', fx('mlp-inputs.npy'), '--labels', short], /short\.npy: has 90 labels but .*mlp-inputs\.npy has 120 samples/],
      [['onnx', fx('mlp-no-classifier.onnx'), ...data], /no linear classifier .*--tensor NAME/],
      [['onnx', fx('mlp-softmax.onnx'), '--labels', fx('mlp-labels.npy')], /the model needs inputs: --inputs FILE --labels FILE \(arrays\), --images DIR/],
      [['onnx', 'inspect', join(tmp.dir, 'missing.onnx')], /missing\.onnx: cannot read the model file \(ENOENT\)/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^ncscope: error: /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
    expect(existsSync(join(tmp.dir, 'never.jsonl'))).toBe(false);
  });
});

describe('ncscope onnx: a model\'s external data files are inputs too', () => {
  /** A copy of a fixture whose initializers live in `weights.bin` next to it (as exports over 2 GB do). */
  function externalized(dir: string): string {
    mkdirSync(dir, { recursive: true });
    const model = decodeModel(readFileSync(fx('mlp-gemm-transb1.onnx')));
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const t of model.graph!.initializer as (TensorProto & { dataLocation: number })[]) {
      const raw = Uint8Array.prototype.slice.call(t.rawData) as Uint8Array;
      chunks.push(raw);
      t.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.byteLength) }];
      t.dataLocation = 1;
      t.rawData = new Uint8Array(0);
      offset += raw.byteLength;
    }
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
    writeFileSync(join(dir, 'model.onnx'), encodeModel(model));
    return join(dir, 'model.onnx');
  }

  it('--html or --jsonl naming the external data file is refused before anything is computed; the file is untouched', async () => {
    const dir = join(tmp.dir, 'external');
    const model = externalized(dir);
    const weights = join(dir, 'weights.bin');
    const before = readFileSync(weights);
    expect(OnnxModel.open(model).externalFiles).toEqual([weights]);
    for (const flag of ['--html', '--jsonl']) {
      const { code, stdout, stderr } = await runCli(['onnx', model, ...data, flag, weights, '--engine', 'js']);
      expect(code, stderr).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`ncscope: error: ${weights}: ${flag} would overwrite the input external data file of ${model}: ${weights}; choose another output path\n`);
      expect(readFileSync(weights).equals(before)).toBe(true);
    }
    // Another path is fine, and the external weights are read.
    const jsonl = join(dir, 'trend.jsonl');
    const ok = await runCli(['onnx', model, ...data, '--jsonl', jsonl, '--engine', 'js']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(jsonl, 'utf8').trim()).K).toBe(4);
  });
});
