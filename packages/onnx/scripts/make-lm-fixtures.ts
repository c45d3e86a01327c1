/**
 * Writes the language-model fixtures of @ncscope/onnx into packages/onnx/test/fixtures/:
 *
 *   node --conditions=@ncscope/source --import tsx packages/onnx/scripts/make-lm-fixtures.ts
 *
 *   tiny-lm/                a model folder as Transformers.js lays one out: config.json (GPT-2 names),
 *                           tokenizer.json (word level: lower-cased words, an unknown and an end-of-text token, the
 *                           end-of-text token appended to every text by its template), onnx/model.onnx — one
 *                           pre-LayerNorm transformer block with a tied head, position_ids and an (empty) key/value
 *                           cache signature, seeded random weights (untrained: its features show no collapse)
 *   tiny-stories.txt        40 short sentences in the tokenizer's vocabulary, one per line
 *   tiny-lm-ids.npy         the same sentences tokenized, left-padded to one width (int64, N × T) …
 *   tiny-lm-mask.npy        … and their attention mask (int64, N × T; 0 = padding)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy, mulberry32 } from '@ncscope/core';
import { loadTokenizer } from '../src/index.js';
import { tinyLmOnnx, tinyLmWeights } from '../test/lm-graphs.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');

function write(name: string, bytes: Uint8Array | string): void {
  const path = join(OUT, name);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${Date.now()}`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  console.log(`${name.padEnd(28)} ${(Buffer.byteLength(bytes) / 1024).toFixed(1).padStart(6)} KB`);
}

const NOUNS = ['the cat', 'the dog', 'a bird', 'the girl', 'a boy', 'the old man', 'my friend', 'the little fox', 'the ball', 'a red hat', 'the big tree', 'a small house', 'the river', 'her mother'];
const OPENINGS = ['', '', 'once', 'today', 'then', 'one day'];
const VERBS = ['saw', 'liked', 'found', 'chased', 'helped', 'heard'];
const ENDINGS = ['.', 'in the park .', 'every day .', 'at night .', 'and smiled .', 'after school .'];

async function main(): Promise<void> {
  const words = new Set<string>();
  for (const phrase of [...NOUNS, ...OPENINGS.filter(Boolean), ...VERBS, ...ENDINGS]) for (const w of phrase.split(' ')) words.add(w);
  const vocab: Record<string, number> = { '[UNK]': 0, '<|endoftext|>': 1 };
  for (const w of [...words].sort()) vocab[w] = Object.keys(vocab).length;
  const V = Object.keys(vocab).length;
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(0, '[UNK]'), special(1, '<|endoftext|>')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [1], tokens: ['<|endoftext|>'] } },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  const D = 16;
  const H = 2;
  const P = 32;
  const config = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: V, n_positions: P, n_ctx: P, n_embd: D, n_head: H, n_layer: 1, bos_token_id: 1, eos_token_id: 1 };
  write('tiny-lm/config.json', JSON.stringify(config, null, 2) + '\n');
  write('tiny-lm/tokenizer.json', JSON.stringify(tokenizer) + '\n');
  const w = tinyLmWeights({ V, D, H, P, F: 32 }, 2024);
  write('tiny-lm/onnx/model.onnx', tinyLmOnnx(w, { positions: 'input', head: 'tied', kv: 'past' }));

  const r = mulberry32(7);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const capital = (s: string) => s[0].toUpperCase() + s.slice(1);
  const lines = Array.from({ length: 40 }, () => capital(`${pick(OPENINGS)} ${pick(NOUNS)} ${pick(VERBS)} ${pick(NOUNS)} ${pick(ENDINGS)}`.trim()).replace(/ \.$/, '.'));
  write('tiny-stories.txt', lines.join('\n') + '\n');

  const tok = await loadTokenizer(join(OUT, 'tiny-lm', 'tokenizer.json'));
  const seqs = lines.map((l) => tok.encode(l));
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * T);
  const mask = new BigInt64Array(seqs.length * T);
  seqs.forEach((s, n) => s.forEach((id, t) => {
    const at = n * T + (T - s.length) + t;
    ids[at] = BigInt(id);
    mask[at] = 1n;
  }));
  write('tiny-lm-ids.npy', encodeNpy(ids, [seqs.length, T]));
  write('tiny-lm-mask.npy', encodeNpy(mask, [seqs.length, T]));
}

await main();
