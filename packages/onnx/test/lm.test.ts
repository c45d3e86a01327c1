import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NcInputError } from '@ncscope/core';
import {
  DataType,
  LmFeatureRunner,
  arrayCorpus,
  encodeModel,
  modelProto,
  nodeProto,
  openLanguageModel,
  parseLmConfig,
  planTokens,
  positionIdsFromMask,
  resolveLmModel,
  sampleIndices,
  tensorProto,
  valueInfoProto,
  type LanguageModel,
  type TokenBatch,
  type TokenCorpus,
  type TokenPlan,
} from '../src/index.js';
import { tempDir } from './helpers.js';
import { tinyLmHidden, tinyLmOnnx, tinyLmWeights, type TinyLmVariant, type TinyLmWeights } from './lm-graphs.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const SHAPE = { V: 13, D: 8, H: 2, P: 12, F: 12 };
const W = tinyLmWeights(SHAPE, 5);
const PAD = 3; // the pad id is a real token: 3 also occurs inside the sequences

let files = 0;
function writeModel(w: TinyLmWeights, v: TinyLmVariant, name = `m${files++}.onnx`): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, tinyLmOnnx(w, v));
  return path;
}

/** Sequences of different lengths (each id < V), and their right- and left-padded batches of width T with PAD. */
const SEQS = [
  [1, 4, 3, 7, 2, 9, 3, 5],
  [6, 3, 3, 1],
  [12, 0, 8, 3, 3, 11, 4],
  [2, 5],
  [9, 9, 1, 0, 3, 6],
];
function padded(seqs: number[][], T: number, side: 'right' | 'left'): { ids: number[][]; mask: number[][] } {
  const ids = seqs.map((s) => (side === 'right' ? [...s, ...Array(T - s.length).fill(PAD)] : [...Array(T - s.length).fill(PAD), ...s]));
  const mask = seqs.map((s) => (side === 'right' ? [...s.map(() => 1), ...Array(T - s.length).fill(0)] : [...Array(T - s.length).fill(0), ...s.map(() => 1)]));
  return { ids, mask };
}
function corpusOf(ids: number[][], mask?: number[][], extra: { labelFrom?: number[] } = {}): TokenCorpus {
  const T = ids[0].length;
  return arrayCorpus(Int32Array.from(ids.flat()), [ids.length, T], { mask: mask && Uint8Array.from(mask.flat()), labelFrom: extra.labelFrom && Int32Array.from(extra.labelFrom) });
}
function limitsOf(lm: LanguageModel) {
  return { K: lm.head!.K, vocabSize: lm.vocabSize, vocabFrom: lm.vocabFrom, maxPositions: lm.maxPositions, maxPositionsFrom: lm.maxPositionsFrom, positions: lm.signature.positions ? ('mask' as const) : ('column' as const) };
}
async function collect(lm: LanguageModel, corpus: TokenCorpus, plan: TokenPlan, options: { batchSize?: number; start?: number; end?: number } = {}): Promise<TokenBatch[]> {
  const runner = await LmFeatureRunner.create(lm, { batchSize: options.batchSize });
  const out: TokenBatch[] = [];
  try {
    for await (const b of runner.run(corpus, plan, { start: options.start, end: options.end })) out.push(b);
  } finally {
    await runner.release();
  }
  return out;
}
/** Every measured token of the batches as { n, t, label, feature }. */
function tokensOf(batches: TokenBatch[]) {
  return batches.flatMap((b) => Array.from({ length: b.tokens }, (_, i) => ({ n: b.origin[2 * i], t: b.origin[2 * i + 1], label: b.labels[i], feature: Array.from(b.features.subarray(i * b.D, (i + 1) * b.D)) })));
}
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));

const VARIANTS: TinyLmVariant[] = [
  { positions: 'input', head: 'tied', kv: 'none' },
  { positions: 'range', head: 'untied', kv: 'none' },
  { positions: 'none', head: 'tied', kv: 'none' },
  { positions: 'input', head: 'untied', kv: 'past' },
  { positions: 'range', head: 'tied', kv: 'past', idsType: 'int32' },
  { positions: 'input', head: 'tied', kv: 'merged' },
  { positions: 'none', head: 'untied', kv: 'merged' },
];
const describeVariant = (v: TinyLmVariant) => `positions ${v.positions}, ${v.head} head, cache ${v.kv}${v.idsType ? `, ${v.idsType} ids` : ''}`;

describe('causal LM graphs against a float64 forward pass', () => {
  for (const v of VARIANTS) {
    describe(describeVariant(v), () => {
      const lm = openLanguageModel(writeModel(W, v));

      it('finds the head, the embedding and position tables, and sorts the inputs', () => {
        const head = lm.head!;
        expect(head.kind).toBe(v.head === 'tied' ? 'MatMul' : 'MatMul+Add');
        expect(head.featureTensor).toBe(v.kv === 'merged' ? 'no_past/hidden' : 'hidden');
        expect([head.K, head.D]).toEqual([SHAPE.V, SHAPE.D]);
        expect(head.weightsFrom).toContain(v.head === 'tied' ? 'Transpose(wte)' : 'head.weight_t');
        // The tied head's W is the embedding itself.
        const Wref = v.head === 'tied' ? W.wte : W.head;
        expect(maxAbs(head.weights, Wref)).toBe(0);
        if (v.head === 'untied') expect(maxAbs(head.bias!, W.headBias)).toBe(0);
        expect(lm.vocabSize).toBe(SHAPE.V);
        expect(lm.vocabFrom).toContain('"wte"');
        expect(lm.maxPositions).toBe(v.positions === 'none' ? undefined : SHAPE.P);
        expect(lm.signature).toMatchObject({ ids: 'input_ids', mask: 'attention_mask', other: [] });
        expect(lm.signature.positions).toBe(v.positions === 'input' ? 'position_ids' : undefined);
        if (v.kv === 'past') expect(lm.signature.past).toEqual([0, 1].map((i) => ({ name: `past_key_values.0.${i ? 'value' : 'key'}`, type: 'float32', dims: [-1, 2, 0, 4] })));
        else expect(lm.signature.past).toEqual([]);
        if (v.kv === 'merged') {
          expect(lm.inlining).toEqual({ inlined: ['optimum::if'], droppedInputs: ['past_key_values.0.key', 'past_key_values.0.value', 'use_cache_branch'] });
          expect(lm.signature.cacheBranch).toBeUndefined();
        }
      });

      it('right padding (the pad id a real token): features at every label position equal the float64 forward pass', async () => {
        const { ids, mask } = padded(SEQS, 9, 'right');
        const corpus = corpusOf(ids, mask);
        const plan = await planTokens(corpus, limitsOf(lm));
        expect(plan.kept).toBe(SEQS.reduce((s, q) => s + q.length - 1, 0));
        const toks = tokensOf(await collect(lm, corpus, plan, { batchSize: 2 }));
        expect(toks.length).toBe(plan.kept);
        let worst = 0;
        for (const tok of toks) {
          expect(tok.label).toBe(SEQS[tok.n][tok.t + 1]);
          worst = Math.max(worst, maxAbs(tok.feature, tinyLmHidden(W, v, ids[tok.n], mask[tok.n])[tok.t]));
        }
        // float32 inference against float64: LayerNorm outputs of order 1.
        expect(worst).toBeLessThan(2e-5);
        // Every (sequence, position) with a next token appears once, in corpus order.
        expect(toks.map((x) => `${x.n}:${x.t}`)).toEqual(SEQS.flatMap((s, n) => s.slice(1).map((_, t) => `${n}:${t}`)));
      });

      it('left padding: the same features as the unpadded sequences (positions from the mask as Hugging Face numbers them)', async () => {
        const right = padded(SEQS, 8, 'right');
        const left = padded(SEQS, 8, 'left');
        const a = tokensOf(await collect(lm, corpusOf(right.ids, right.mask), await planTokens(corpusOf(right.ids, right.mask), limitsOf(lm)), { batchSize: 5 }));
        const b = tokensOf(await collect(lm, corpusOf(left.ids, left.mask), await planTokens(corpusOf(left.ids, left.mask), limitsOf(lm)), { batchSize: 5 }));
        expect(b.map((x) => x.label)).toEqual(a.map((x) => x.label));
        let worst = 0;
        let worstRef = 0;
        b.forEach((x, i) => {
          const shift = 8 - SEQS[x.n].length;
          expect(x.t - shift).toBe(a[i].t);
          worst = Math.max(worst, maxAbs(x.feature, a[i].feature));
          worstRef = Math.max(worstRef, maxAbs(x.feature, tinyLmHidden(W, v, left.ids[x.n], left.mask[x.n])[x.t]));
        });
        expect(worstRef).toBeLessThan(2e-5);
        // A model that numbers positions by column (no position_ids input) sees left padding as a shift.
        if (v.positions === 'range') expect(worst).toBeGreaterThan(1e-3);
        else expect(worst).toBeLessThan(2e-5);
      });

      it('the same tokens batched differently give the same features, labels and order', async () => {
        const { ids, mask } = padded(SEQS, 8, 'right');
        const corpus = corpusOf(ids, mask);
        const plan = await planTokens(corpus, limitsOf(lm));
        const runs = await Promise.all([1, 3, 5].map((batchSize) => collect(lm, corpus, plan, { batchSize })));
        const [one, ...others] = runs.map(tokensOf);
        for (const o of others) {
          expect(o.map((x) => [x.n, x.t, x.label])).toEqual(one.map((x) => [x.n, x.t, x.label]));
          expect(Math.max(...o.map((x, i) => maxAbs(x.feature, one[i].feature)))).toBeLessThan(1e-5);
        }
        expect(runs.map((r) => r.length)).toEqual([5, 2, 1]);
      });
    });
  }

  it('a merged decoder runs its no-cache branch (the cache branch here doubles the hidden state)', async () => {
    const v: TinyLmVariant = { positions: 'input', head: 'tied', kv: 'merged' };
    const lm = openLanguageModel(writeModel(W, v));
    expect(lm.model.proto.graph!.node.some((n) => n.opType === 'If')).toBe(false);
    expect(lm.model.graph.feedInputs.map((f) => f.name)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    const corpus = corpusOf([SEQS[0]]);
    const toks = tokensOf(await collect(lm, corpus, await planTokens(corpus, limitsOf(lm))));
    const ref = tinyLmHidden(W, v, SEQS[0]);
    expect(Math.max(...toks.map((x) => maxAbs(x.feature, ref[x.t])))).toBeLessThan(2e-5);
  });

  it('a key/value signature with symbolic head dims takes them from config.json', () => {
    const v: TinyLmVariant = { positions: 'input', head: 'tied', kv: 'past', pastDims: 'symbolic' };
    const dir = join(tmp.dir, 'symbolic-past');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), tinyLmOnnx(W, v));
    expect(() => openLanguageModel(join(dir, 'onnx', 'model.onnx'))).toThrow(/leaves its head count open .*no config\.json states it/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_head: 2, n_embd: 8, n_positions: 12, vocab_size: 13 }));
    expect(openLanguageModel(dir).signature.past.map((p) => p.dims)).toEqual([[-1, 2, 0, 4], [-1, 2, 0, 4]]);
  });
});

describe('token plan: which tokens are measured', () => {
  const lm = openLanguageModel(writeModel(W, { positions: 'input', head: 'tied', kv: 'none' }));
  const { ids, mask } = padded(SEQS, 8, 'right');
  const corpus = corpusOf(ids, mask);

  it('position ids from the mask: cumsum(mask) − 1, and 1 at padding', () => {
    expect(Array.from(positionIdsFromMask([0, 0, 1, 1, 1, 1, 1, 1, 0, 0], 2, 5), Number)).toEqual([1, 1, 0, 1, 2, 0, 1, 2, 1, 1]);
    expect(Array.from(positionIdsFromMask(undefined, 1, 3), Number)).toEqual([0, 1, 2]);
  });

  it('--min-count leaves out labels seen fewer times, and says how many', async () => {
    const counts = new Map<number, number>();
    for (const s of SEQS) for (const y of s.slice(1)) counts.set(y, (counts.get(y) ?? 0) + 1);
    const plan = await planTokens(corpus, limitsOf(lm), { minCount: 2 });
    const rare = [...counts].filter(([, c]) => c < 2);
    expect(plan.rare).toEqual({ tokens: rare.reduce((s, [, c]) => s + c, 0), labels: rare.length });
    expect(plan.kept).toBe(plan.candidates - plan.rare.tokens);
    expect(plan.labels).toBe([...counts].filter(([, c]) => c >= 2).length);
    for (const [y, c] of counts) expect([plan.counts[y], plan.allowed[y]]).toEqual([c, c >= 2 ? 1 : 0]);
    const toks = tokensOf(await collect(lm, corpus, plan, { batchSize: 2 }));
    expect(toks.length).toBe(plan.kept);
    expect(toks.every((x) => counts.get(x.label)! >= 2)).toBe(true);
  });

  it('--max-tokens measures the first label positions in corpus order and stops the runs there', async () => {
    const plan = await planTokens(corpus, limitsOf(lm), { maxTokens: 12 });
    expect([plan.candidates, plan.kept, plan.sequencesUsed]).toEqual([12, 12, 3]);
    const toks = tokensOf(await collect(lm, corpus, plan, { batchSize: 1 }));
    expect(toks.map((x) => `${x.n}:${x.t}`)).toEqual(SEQS.flatMap((s, n) => s.slice(1).map((_, t) => `${n}:${t}`)).slice(0, 12));
    const both = await planTokens(corpus, limitsOf(lm), { maxTokens: 12, minCount: 2 });
    expect(both.kept + both.rare.tokens).toBe(12);
  });

  it('rows with labelFrom count only the later positions as labels (overlapping windows)', async () => {
    const plan = await planTokens(corpusOf(ids, mask, { labelFrom: [5, 1, 1, 1, 3] }), limitsOf(lm));
    expect(plan.kept).toBe(SEQS.reduce((s, q) => s + q.length - 1, 0) - 4 - 2);
  });

  it('--decisions-sample: a seeded sample of the measured tokens, the same whatever the batching or the shard', async () => {
    const plan = await planTokens(corpus, limitsOf(lm), { decisionsSample: 9, seed: 7 });
    const idx = Array.from(plan.sample!.indices);
    expect(idx.length).toBe(9);
    expect(new Set(idx).size).toBe(9);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(idx.every((i) => i >= 0 && i < plan.kept && Number.isInteger(i))).toBe(true);
    expect(Array.from((await planTokens(corpus, limitsOf(lm), { decisionsSample: 9, seed: 7 })).sample!.indices)).toEqual(idx);
    expect(Array.from((await planTokens(corpus, limitsOf(lm), { decisionsSample: 9, seed: 8 })).sample!.indices)).not.toEqual(idx);
    const sampledOf = (batches: TokenBatch[]) => batches.flatMap((b) => Array.from(b.sampled!, (i) => b.firstToken + i));
    expect(sampledOf(await collect(lm, corpus, plan, { batchSize: 1 }))).toEqual(idx);
    expect(sampledOf(await collect(lm, corpus, plan, { batchSize: 4 }))).toEqual(idx);
    const shards = [...(await collect(lm, corpus, plan, { batchSize: 2, end: 2 })), ...(await collect(lm, corpus, plan, { batchSize: 2, start: 2 }))];
    expect(sampledOf(shards)).toEqual(idx);
    // A sample at least as large as the corpus is no sample.
    expect((await planTokens(corpus, limitsOf(lm), { decisionsSample: 1000 })).sample).toBeUndefined();
  });

  it('Floyd sampling draws every subset size exactly and uniformly enough', () => {
    const hits = new Float64Array(20);
    for (let s = 1; s <= 2000; s++) for (const i of sampleIndices(20, 5, s)) hits[i]++;
    // Each index is drawn with probability 1/4: 500 ± 5 standard deviations (√(2000·¼·¾) ≈ 19).
    for (const h of hits) expect(Math.abs(h - 500)).toBeLessThan(100);
  });

  it('shards (sequence ranges) yield exactly the whole run, split', async () => {
    const plan = await planTokens(corpus, limitsOf(lm), { minCount: 2 });
    const whole = await collect(lm, corpus, plan, { batchSize: 2 });
    const split = [...(await collect(lm, corpus, plan, { batchSize: 2, end: 2 })), ...(await collect(lm, corpus, plan, { batchSize: 2, start: 2, end: 3 })), ...(await collect(lm, corpus, plan, { batchSize: 2, start: 3 }))];
    expect(tokensOf(split).map((x) => [x.n, x.t, x.label])).toEqual(tokensOf(whole).map((x) => [x.n, x.t, x.label]));
    expect(split.map((b) => b.firstToken)).toEqual([0, plan.keptBefore[2], plan.keptBefore[3]].filter((_, i) => split[i] !== undefined));
  });
});

describe('refused by name, before any output', () => {
  const lm = openLanguageModel(writeModel(W, { positions: 'input', head: 'tied', kv: 'none' }));
  const err = async (p: Promise<unknown> | (() => unknown)) => {
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      expect(e).toBeInstanceOf(NcInputError);
      return e as NcInputError;
    }
    throw new Error('expected an NcInputError');
  };

  it('ids outside the vocabulary (at a real token; a padded position may hold anything)', async () => {
    const { ids, mask } = padded(SEQS, 8, 'right');
    ids[1][2] = 13;
    const e = await err(planTokens(corpusOf(ids, mask), limitsOf(lm)));
    expect(e.code).toBe('BAD_TOKENS');
    expect(e.message).toContain('sequence 1, position 2: token id 13 is outside the vocabulary 0..12 (the token embedding "wte" has 13 rows)');
    expect(e.where).toMatchObject({ row: 1, column: 2 });
    ids[1][2] = 3;
    ids[1][6] = -100; // padding written as -100 (a common convention): never read, fed as 0
    const corpus = corpusOf(ids, mask);
    const plan = await planTokens(corpus, limitsOf(lm));
    const toks = tokensOf(await collect(lm, corpus, plan));
    expect(toks.length).toBe(plan.kept);
  });

  it('a mask of another shape, with holes, or with values other than 0/1', async () => {
    const { ids, mask } = padded(SEQS, 8, 'right');
    const e1 = await err(() => arrayCorpus(Int32Array.from(ids.flat()), [5, 8], { mask: new Uint8Array(5 * 7), maskShape: [5, 7], maskSource: 'mask.npy', source: 'ids.npy' }));
    expect([e1.code, e1.message]).toEqual(['BAD_TOKENS', "mask.npy: the attention mask has shape [5, 7]; it must have the ids' shape [5, 8] (ids.npy)"]);
    mask[2][3] = 0;
    const e2 = await err(planTokens(corpusOf(ids, mask), limitsOf(lm)));
    expect(e2.code).toBe('BAD_TOKENS');
    expect(e2.message).toContain('sequence 2 has a hole in its attention mask (1 at position 2, 0 after it, 1 again at position 4)');
    mask[2][3] = 2;
    expect((await err(planTokens(corpusOf(ids, mask), limitsOf(lm)))).message).toContain('sequence 2, position 3: attention mask value 2');
  });

  it('sequences longer than the position table', async () => {
    const long = [Array.from({ length: 14 }, (_, i) => i % 13)];
    const e = await err(planTokens(corpusOf(long), limitsOf(lm)));
    expect(e.code).toBe('BAD_TOKENS');
    expect(e.message).toContain('sequence 0 needs 14 positions, but the model\'s position table has 12 (the position embedding "wpe" has 12 rows)');
    // With positions from the mask, left padding does not count.
    const twelve = [[...Array(4).fill(PAD), ...Array.from({ length: 12 }, (_, i) => i)]];
    const mask = [[...Array(4).fill(0), ...Array(12).fill(1)]];
    await expect(planTokens(corpusOf(twelve, mask), limitsOf(lm))).resolves.toMatchObject({ kept: 11 });
    const byColumn = openLanguageModel(writeModel(W, { positions: 'range', head: 'tied', kv: 'none' }));
    expect((await err(planTokens(corpusOf(twelve, mask), limitsOf(byColumn)))).message).toContain('needs 16 positions');
  });

  it('a label at or above the head\'s rows, and sequences without a next token', async () => {
    const e = await err(planTokens(corpusOf([[1, 2, 12]]), { ...limitsOf(lm), K: 10, vocabSize: 13 }));
    expect(e.message).toContain('sequence 0, position 2: token id 12 is a label (the next token after position 1) but the model\'s head has only K = 10 rows');
    const none = await err(planTokens(corpusOf([[1, 2, 3], [4, 5, 6]], [[1, 0, 0], [0, 0, 1]]), limitsOf(lm)));
    expect(none.code).toBe('NO_DATA');
  });

  it('a model whose head is not found: the message says to pass --tensor and --weights', async () => {
    // The hidden state is the graph's output: no linear head after it.
    const bytes = tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'none' });
    const path = join(tmp.dir, 'no-head.onnx');
    const { decodeModel } = await import('../src/index.js');
    const proto = decodeModel(bytes);
    proto.graph!.output = [valueInfoProto('hidden', DataType.FLOAT, ['batch_size', 'sequence_length', 8]) as never];
    writeFileSync(path, encodeModel(proto));
    const noHead = openLanguageModel(path);
    expect(noHead.head).toBeUndefined();
    const e = await err(LmFeatureRunner.create(noHead));
    expect(e.code).toBe('NO_CLASSIFIER');
    expect(e.message).toMatch(/no head found .*pass the feature tensor with --tensor NAME and the head's weights with --weights FILE/);
    // With the tensor named, it runs.
    const runner = await LmFeatureRunner.create(noHead, { tensor: 'hidden' });
    await runner.release();
  });

  it('a graph without input_ids, a folder without an .onnx, other inputs left unfilled', async () => {
    const path = join(tmp.dir, 'no-ids.onnx');
    writeFileSync(path, encodeModel(modelProto({
      node: [nodeProto('Identity', ['x'], ['y'])], input: [valueInfoProto('x', DataType.FLOAT, ['n', 4])], output: [valueInfoProto('y', DataType.FLOAT, ['n', 4])],
    })));
    expect((await err(() => openLanguageModel(path))).message).toBe(`${path}: a causal language model needs an "input_ids" input; this graph has "x"`);
    const empty = join(tmp.dir, 'empty-folder');
    mkdirSync(empty, { recursive: true });
    expect((await err(() => openLanguageModel(empty))).message).toContain('a model folder needs one of onnx/model.onnx, onnx/decoder_model_merged.onnx, model.onnx, decoder_model_merged.onnx');
    // An extra graph input ncscope does not know is refused until it is given.
    const bytes = tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'none' });
    const { decodeModel } = await import('../src/index.js');
    const proto = decodeModel(bytes);
    proto.graph!.input.push(valueInfoProto('token_type_ids', DataType.INT64, ['batch_size', 'sequence_length']) as never);
    const extraPath = join(tmp.dir, 'extra-input.onnx');
    writeFileSync(extraPath, encodeModel(proto));
    const extra = openLanguageModel(extraPath);
    expect((await err(LmFeatureRunner.create(extra))).message).toContain('the model also takes "token_type_ids", which ncscope does not fill; give it with --input NAME=FILE');
    expect((await err(LmFeatureRunner.create(lm, { inputs: { attention_mask: { T: 8, source: 'm.npy', read: () => [] } } }))).message).toContain('--input attention_mask: ncscope fills it');
  });
});

describe('model folders and config.json', () => {
  it('resolves Transformers.js and Optimum layouts, and an .onnx inside onnx/ finds its folder', () => {
    const dir = join(tmp.dir, 'folder-a');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    writeFileSync(join(dir, 'onnx', 'decoder_model_merged.onnx'), tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'merged' }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ max_position_embeddings: 12, pad_token_id: null, eos_token_id: 2, vocab_size: 13, num_attention_heads: 2, hidden_size: 8 }));
    writeFileSync(join(dir, 'tokenizer.json'), '{}');
    const r = resolveLmModel(dir);
    expect(r.onnx).toBe(join(dir, 'onnx', 'decoder_model_merged.onnx'));
    expect(r.tokenizer).toBe(join(dir, 'tokenizer.json'));
    expect(r.config).toEqual({ vocabSize: 13, maxPositions: 12, kvHeads: 2, headDim: 4, padTokenId: 2 });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), tinyLmOnnx(W, { positions: 'input', head: 'tied', kv: 'none' }));
    expect(resolveLmModel(dir).onnx).toBe(join(dir, 'onnx', 'model.onnx'));
    const fromFile = resolveLmModel(join(dir, 'onnx', 'model.onnx'));
    expect(fromFile.tokenizer).toBe(join(dir, 'onnx', '..', 'tokenizer.json'));
    expect(fromFile.config.maxPositions).toBe(12);
    // A bare file with nothing around it.
    const bare = join(tmp.dir, 'bare');
    mkdirSync(bare, { recursive: true });
    writeFileSync(join(bare, 'm.onnx'), tinyLmOnnx(W, { positions: 'none', head: 'tied', kv: 'none' }));
    expect(resolveLmModel(join(bare, 'm.onnx'))).toEqual({ onnx: join(bare, 'm.onnx'), folder: undefined, config: {}, configPath: undefined, tokenizer: undefined, tokenizerConfig: undefined });
  });

  it('config.json: GPT-2 and Llama names; a malformed file is refused', async () => {
    expect(parseLmConfig({ model_type: 'gpt2', n_positions: 1024, n_ctx: 1024, n_embd: 768, n_head: 12, vocab_size: 50257, eos_token_id: 50256 })).toEqual({
      modelType: 'gpt2', vocabSize: 50257, maxPositions: 1024, kvHeads: 12, headDim: 64, padTokenId: 50256,
    });
    expect(parseLmConfig({ max_position_embeddings: 2048, hidden_size: 2048, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 64, pad_token_id: 0, eos_token_id: [2, 3] })).toMatchObject({ kvHeads: 4, headDim: 64, padTokenId: 0 });
    const dir = join(tmp.dir, 'bad-config');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), tinyLmOnnx(W, { positions: 'none', head: 'tied', kv: 'none' }));
    writeFileSync(join(dir, 'config.json'), '{"n_head": 2,');
    expect(() => resolveLmModel(dir)).toThrow(/config\.json: the model configuration is not valid JSON/);
  });
});
