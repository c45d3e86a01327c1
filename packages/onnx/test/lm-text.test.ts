import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NcInputError } from '@ncscope/core';
import { loadTokenizer, planTokens, readTextFile, textCorpus, type TextTokenizer } from '../src/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** A word-level tokenizer.json as Hugging Face's `tokenizers` saves one (lower-casing, whitespace pre-tokenizer). */
export const WORD_LEVEL = {
  version: '1.0', truncation: null, padding: null,
  added_tokens: [added(0, '[UNK]'), added(1, '[EOS]')],
  normalizer: { type: 'Lowercase' },
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[EOS]', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { '[EOS]': { id: '[EOS]', ids: [1], tokens: ['[EOS]'] } } },
  decoder: null,
  model: { type: 'WordLevel', vocab: { '[UNK]': 0, '[EOS]': 1, the: 2, cat: 3, sat: 4, on: 5, mat: 6, '.': 7, a: 8, dog: 9 }, unk_token: '[UNK]' },
};

/** A byte-level BPE tokenizer.json in GPT-2's layout, with a handful of merges. */
export const BYTE_BPE = {
  version: '1.0', truncation: null, padding: null,
  added_tokens: [{ ...added(0, '<|endoftext|>'), normalized: true }],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false,
    vocab: { '<|endoftext|>': 0, h: 1, e: 2, l: 3, o: 4, 'Ġ': 5, w: 6, r: 7, d: 8, he: 9, ll: 10, hell: 11, hello: 12, 'Ġw': 13, 'Ġwor': 14, or: 15, '.': 16 },
    merges: ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or'],
  },
};

function write(name: string, value: unknown): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value));
  return path;
}

async function err(p: Promise<unknown> | (() => unknown)): Promise<NcInputError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(NcInputError);
    return e as NcInputError;
  }
  throw new Error('expected an NcInputError');
}

describe('tokenizer.json files written by the test', () => {
  it('WordLevel: lower-cased words, the unknown token, the end-of-sequence token the template adds', async () => {
    const tok = await loadTokenizer(write('word-level.json', WORD_LEVEL));
    expect(tok.kind).toBe('WordLevel');
    expect(tok.encode('The cat sat on the mat.')).toEqual([2, 3, 4, 5, 2, 6, 7, 1]);
    expect(tok.encode('A dog sat on a hat')).toEqual([8, 9, 4, 5, 8, 0, 1]);
  });

  it('byte-level BPE: merges applied, spaces as Ġ', async () => {
    const tok = await loadTokenizer(write('bpe.json', BYTE_BPE));
    expect(tok.kind).toBe('BPE');
    expect(tok.encode('hello world.')).toEqual([12, 14, 3, 8, 16]);
    expect(tok.encode('hello hello')).toEqual([12, 5, 12]);
  });

  it('refused: no tokenizer.json, not JSON, not a tokenizer, an unsupported model, a word without an id', async () => {
    const none = await err(loadTokenizer(undefined, undefined, 'models/tiny'));
    expect([none.code, none.message]).toEqual(['BAD_TOKENIZER', "models/tiny: --text needs the model's tokenizer.json (in the model folder, or beside the .onnx file); none was found — tokenize the text yourself and pass --tokens"]);
    const missing = await err(loadTokenizer(join(tmp.dir, 'nope.json')));
    expect(missing.message).toBe(`${join(tmp.dir, 'nope.json')}: cannot read the tokenizer (ENOENT)`);
    expect((await err(loadTokenizer(write('broken.json', '{"model": ')))).message).toContain('the tokenizer is not valid JSON');
    expect((await err(loadTokenizer(write('array.json', [1, 2])))).message).toContain('not a tokenizer.json');
    const odd = await err(loadTokenizer(write('odd.json', { ...WORD_LEVEL, model: { type: 'CharLevel', vocab: {} } })));
    expect([odd.code, odd.message]).toEqual(['BAD_TOKENIZER', `${join(tmp.dir, 'odd.json')}: tokenizer model "CharLevel" is not supported (supported: BPE, WordPiece, Unigram, WordLevel)`]);
    const noUnk = await loadTokenizer(write('no-unk.json', { ...WORD_LEVEL, model: { ...WORD_LEVEL.model, unk_token: undefined } }));
    expect((await err(() => noUnk.encode('the hat'))).message).toContain('token "hat" has no id in the vocabulary and the tokenizer has no unknown token');
  });
});

describe('text → token windows', () => {
  const fake: TextTokenizer = { source: 'fake', kind: 'test', encode: (s) => s.split(' ').map(Number) };

  it('one sequence per line, blank lines skipped, right-padded windows with a mask', () => {
    const c = textCorpus('1 2 3\n\n4 5\r\n6\n', fake, { seqLen: 8, padId: 9 });
    expect([c.N, c.T, c.lines, c.windows, c.tokens]).toEqual([2, 3, 3, 2, 6]);
    const rows = c.read(0, 2) as { ids: Int32Array; mask: Uint8Array; labelFrom: Int32Array };
    expect(Array.from(rows.ids)).toEqual([1, 2, 3, 4, 5, 9]);
    expect(Array.from(rows.mask)).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('--seq-len and --stride: every token after the first of a line is a label exactly once, with the longest context', async () => {
    const line = Array.from({ length: 11 }, (_, i) => i + 1).join(' ');
    for (const [seqLen, stride] of [[4, 4], [4, 2], [4, 1], [5, 3], [11, 11], [20, 7]]) {
      const c = textCorpus(line, fake, { seqLen, stride });
      const plan = await planTokens(c, { K: 100, positions: 'mask' });
      const rows = c.read(0, c.N) as { ids: Int32Array; mask: Uint8Array; labelFrom: Int32Array };
      const targets: number[] = [];
      for (let n = 0; n < c.N; n++) for (let t = rows.labelFrom[n]; t < c.T; t++) if (rows.mask[n * c.T + t]) targets.push(rows.ids[n * c.T + t]);
      // Tokens 2 … 11 are predicted once each; with stride = seqLen a window's first token has no context and is not predicted.
      const expected = stride === seqLen && seqLen < 11 ? Array.from({ length: 11 }, (_, i) => i + 1).filter((x) => x > 1 && (x - 1) % seqLen !== 0) : Array.from({ length: 10 }, (_, i) => i + 2);
      expect(targets).toEqual(expected);
      expect(plan.kept).toBe(expected.length);
    }
  });

  it('empty text is refused by name; bad window options too', async () => {
    const file = write('empty.txt', '\n  \n\n');
    const e = await err(() => textCorpus(readTextFile(file), fake, { seqLen: 8 }, file));
    expect([e.code, e.message]).toEqual(['NO_DATA', `${file}: empty text: no line holds any text`]);
    const single = await err(() => textCorpus('7\n8', fake, { seqLen: 8 }, 'one.txt'));
    expect(single.message).toBe('one.txt: empty text: no line holds two tokens (2 lines, 2 tokens)');
    expect((await err(() => textCorpus('1 2', fake, { seqLen: 4, stride: 5 }))).message).toContain('--stride must be an integer in 1..4');
    expect((await err(() => textCorpus('1 2', fake, { seqLen: 1 }))).message).toContain('--seq-len must be an integer ≥ 2');
    const binary = write('latin1.txt', Buffer.from([0x68, 0xe9, 0x0a]));
    expect((await err(() => readTextFile(binary))).message).toBe(`${binary}: not UTF-8 text`);
  });

  it('a real tokenizer end to end: BPE text into windows', async () => {
    const tok = await loadTokenizer(write('bpe2.json', BYTE_BPE));
    const c = textCorpus('hello world.\nhello hello hello world.', tok, { seqLen: 4, stride: 2 });
    const rows = c.read(0, c.N) as { ids: Int32Array; mask: Uint8Array; labelFrom: Int32Array };
    expect(c.T).toBe(4);
    expect(Array.from(rows.ids.subarray(0, 4))).toEqual([12, 14, 3, 8]);
    expect(Array.from(rows.labelFrom)).toEqual([1, 2, 1, 2, 2, 2]);
  });
});
