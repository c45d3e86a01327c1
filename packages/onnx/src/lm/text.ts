import { NcInputError } from '@ncscope/core';
import { FileReadError, readRegularFileSync } from '@ncscope/io';
import { readJsonFile } from './folder.js';
import { arrayCorpus, type TokenCorpus } from './tokens.js';

/** Model types of tokenizer.json that the tokenizer library runs. */
export const TOKENIZER_MODELS = ['BPE', 'WordPiece', 'Unigram', 'WordLevel'] as const;

/** The part of `@huggingface/tokenizers`' Tokenizer that ncscope calls. */
interface HfTokenizer {
  encode(text: string): { ids: (number | undefined)[]; tokens: string[] };
}

/** A loaded tokenizer: text → ids. */
export interface TextTokenizer {
  /** The tokenizer.json it came from. */
  readonly source: string;
  /** tokenizer.json's model type ("BPE", "WordLevel", …). */
  readonly kind: string;
  /** Ids of one text, with the tokenizer's special tokens (as Hugging Face's `tokenizer(text)` adds them). */
  encode(text: string): number[];
}

/**
 * Loads a tokenizer.json (and tokenizer_config.json when given) with Hugging Face's pure-TypeScript tokenizer library
 * `@huggingface/tokenizers`, imported on first use (the CLI's other commands never load it). Refused with
 * BAD_TOKENIZER, by name: a missing or unreadable file, one that is not a tokenizer.json, a model type the library
 * does not run.
 */
export async function loadTokenizer(path: string | undefined, configPath?: string, modelSource?: string): Promise<TextTokenizer> {
  if (path === undefined) {
    throw new NcInputError('BAD_TOKENIZER', `${modelSource ?? 'the model'}: --text needs the model's tokenizer.json (in the model folder, or beside the .onnx file); none was found — tokenize the text yourself and pass --tokens`, { source: modelSource });
  }
  const json = readJsonFile(path, 'tokenizer', 'BAD_TOKENIZER');
  if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof (json as { model?: unknown }).model !== 'object' || (json as { model?: unknown }).model === null) {
    throw new NcInputError('BAD_TOKENIZER', `${path}: not a tokenizer.json (a JSON object with a "model" section, as Hugging Face tokenizers save it)`, { source: path });
  }
  const spec = json as Record<string, unknown> & { model: Record<string, unknown> };
  const type = spec.model.type;
  if (typeof type === 'string' && !(TOKENIZER_MODELS as readonly string[]).includes(type)) {
    throw new NcInputError('BAD_TOKENIZER', `${path}: tokenizer model "${type}" is not supported (supported: ${TOKENIZER_MODELS.join(', ')})`, { source: path });
  }
  if (typeof spec.model.vocab !== 'object' || spec.model.vocab === null) {
    throw new NcInputError('BAD_TOKENIZER', `${path}: the tokenizer's model has no vocabulary ("vocab")`, { source: path });
  }
  const config: Record<string, unknown> = configPath ? (readJsonFile(configPath, 'tokenizer configuration', 'BAD_TOKENIZER') as Record<string, unknown>) ?? {} : {};
  // WordLevel's unknown token lives in the model section; the library reads it from the configuration.
  if (type === 'WordLevel' && config.unk_token === undefined && typeof spec.model.unk_token === 'string') config.unk_token = spec.model.unk_token;
  const full = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...spec };
  // The package's declarations use extensionless relative imports, which NodeNext resolution does not follow: the
  // one call used here is typed locally.
  const { Tokenizer } = (await import('@huggingface/tokenizers')) as unknown as { Tokenizer: new (json: object, config: object) => HfTokenizer };
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new Tokenizer(full, config);
  } catch (e) {
    throw new NcInputError('BAD_TOKENIZER', `${path}: the tokenizer library cannot build this tokenizer (${(e as Error).message})`, { source: path });
  }
  const kind = typeof type === 'string' ? type : 'inferred';
  return {
    source: path,
    kind,
    encode(text: string): number[] {
      const { ids, tokens } = tokenizer.encode(text);
      const bad = ids.findIndex((id) => typeof id !== 'number' || !Number.isInteger(id));
      if (bad >= 0) {
        throw new NcInputError('BAD_TOKENIZER', `${path}: token "${tokens[bad]}" has no id in the vocabulary and the tokenizer has no unknown token`, { source: path });
      }
      return ids as number[];
    },
  };
}

/** Options of {@link textCorpus}. */
export interface TextWindows {
  /** Longest window, in tokens. */
  seqLen: number;
  /** Start of each window after the previous one's (default seqLen: no overlap). */
  stride?: number;
  /** Id written at padded positions (never read: the mask marks them); default 0. */
  padId?: number;
}

/**
 * Tokenizes text, one sequence per line (blank lines skipped), and cuts each line's ids into windows of at most
 * `seqLen` tokens starting every `stride` tokens. With overlapping windows (stride < seqLen) a window's tokens already
 * predicted by the previous one are not labels again (`labelFrom`), as in Hugging Face's strided perplexity, so each
 * token counts once, with the longest context. Windows are right-padded to the longest; the mask marks real tokens.
 */
export function textCorpus(text: string, tokenizer: TextTokenizer, windows: TextWindows, source = 'text'): TokenCorpus & { windows: number; lines: number; tokens: number } {
  const { seqLen } = windows;
  const stride = windows.stride ?? seqLen;
  if (!(Number.isSafeInteger(seqLen) && seqLen >= 2)) throw new NcInputError('BAD_OPTION', `--seq-len must be an integer ≥ 2, got ${seqLen}`);
  if (!(Number.isSafeInteger(stride) && stride >= 1 && stride <= seqLen)) throw new NcInputError('BAD_OPTION', `--stride must be an integer in 1..${seqLen} (--seq-len), got ${stride}`);
  const padId = windows.padId ?? 0;
  const spans: { ids: number[]; from: number; labelFrom: number; length: number }[] = [];
  let lines = 0;
  let tokens = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    lines++;
    const ids = tokenizer.encode(line);
    tokens += ids.length;
    if (ids.length < 2) continue;
    let prevEnd = 0;
    for (let begin = 0; ; begin += stride) {
      const end = Math.min(begin + seqLen, ids.length);
      const labelFrom = Math.max(1, prevEnd - begin);
      if (end - begin >= 2 && labelFrom < end - begin) spans.push({ ids, from: begin, labelFrom, length: end - begin });
      prevEnd = end;
      if (end === ids.length) break;
    }
  }
  if (spans.length === 0) {
    throw new NcInputError('NO_DATA', `${source}: empty text: ${lines === 0 ? 'no line holds any text' : `no line holds two tokens (${lines} line${lines === 1 ? '' : 's'}, ${tokens} token${tokens === 1 ? '' : 's'})`}`, { source });
  }
  const T = spans.reduce((m, s) => Math.max(m, s.length), 0);
  const N = spans.length;
  const idsArr = new Int32Array(N * T).fill(padId);
  const mask = new Uint8Array(N * T);
  const labelFrom = new Int32Array(N);
  spans.forEach((s, n) => {
    for (let t = 0; t < s.length; t++) {
      idsArr[n * T + t] = s.ids[s.from + t];
      mask[n * T + t] = 1;
    }
    labelFrom[n] = s.labelFrom;
  });
  return { ...arrayCorpus(idsArr, [N, T], { mask, labelFrom, source, maskSource: source }), windows: N, lines, tokens };
}

/** Reads a UTF-8 text file (a regular file: FIFOs and devices are refused), naming it in errors. */
export function readTextFile(path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(readRegularFileSync(path));
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new NcInputError('NO_DATA', `${path}: not UTF-8 text`, { source: path });
    const why = e instanceof FileReadError ? (e.code ?? e.reason) : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new NcInputError('NO_DATA', `${path}: cannot read the text (${why})`, { source: path });
  }
}
