import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NcInputError, type NcErrorCode } from '@ncscope/core';
import { FileReadError, readRegularFileSync } from '@ncscope/io';

/**
 * What ncscope reads from a causal language model's `config.json` (Hugging Face naming; GPT-2's older names too).
 * Every field is optional: a bare .onnx file has no config, and the graph tells most of it.
 */
export interface LmConfig {
  /** `model_type`, e.g. "gpt2", "llama". */
  modelType?: string;
  /** Rows of the token embedding (`vocab_size`). */
  vocabSize?: number;
  /** Rows of the position table: `max_position_embeddings`, `n_positions` or `n_ctx`. */
  maxPositions?: number;
  /** Attention heads of the key/value cache: `num_key_value_heads`, else `num_attention_heads` / `n_head`. */
  kvHeads?: number;
  /** Width of one head: `head_dim`, else hidden size / attention heads. */
  headDim?: number;
  /** `pad_token_id`, else `eos_token_id` (the id written at padded positions of `--text` windows; never a label). */
  padTokenId?: number;
}

/** A language model as `ncscope lm` opens it: the .onnx file, and the folder files next to it when there are any. */
export interface LmModelFiles {
  /** The .onnx file to run. */
  onnx: string;
  /** The model folder (the argument, or the folder above `onnx/` holding config.json or tokenizer.json). */
  folder?: string;
  /** config.json, parsed, when present. */
  config: LmConfig;
  configPath?: string;
  /** tokenizer.json, when present. */
  tokenizer?: string;
  /** tokenizer_config.json, when present. */
  tokenizerConfig?: string;
}

/** The .onnx names a model folder may hold, in the order they are chosen (Transformers.js, then Optimum). */
export const LM_ONNX_NAMES = ['onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'model.onnx', 'decoder_model_merged.onnx'] as const;

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/**
 * Resolves MODEL for `ncscope lm`: a folder laid out as Transformers.js or Hugging Face Optimum exports are
 * (config.json, tokenizer.json, onnx/model.onnx or onnx/decoder_model_merged.onnx, or those two at the top level),
 * or an .onnx file — then config.json and tokenizer.json are looked for beside it and, for a file inside `onnx/`, in
 * the folder above. A folder without any of the .onnx names is refused by name (BAD_MODEL), listing what was tried.
 */
export function resolveLmModel(model: string): LmModelFiles {
  let onnx: string;
  let folder: string | undefined;
  if (isDir(model)) {
    const found = LM_ONNX_NAMES.map((n) => join(model, n)).find(isFile);
    if (!found) {
      throw new NcInputError('BAD_MODEL', `${model}: a model folder needs one of ${LM_ONNX_NAMES.join(', ')}; none is there (pass the .onnx file itself if it has another name)`, { source: model });
    }
    onnx = found;
    folder = model;
  } else {
    onnx = model;
    const dir = dirname(resolve(model));
    const up = basename(dir) === 'onnx' ? dirname(dir) : undefined;
    const hasFolderFiles = (d: string) => isFile(join(d, 'config.json')) || isFile(join(d, 'tokenizer.json'));
    folder = hasFolderFiles(dir) ? dirname(model) : up && hasFolderFiles(up) ? join(dirname(model), '..') : undefined;
  }
  const at = (name: string) => (folder !== undefined && isFile(join(folder, name)) ? join(folder, name) : undefined);
  const configPath = at('config.json');
  return { onnx, folder, config: configPath ? readLmConfig(configPath) : {}, configPath, tokenizer: at('tokenizer.json'), tokenizerConfig: at('tokenizer_config.json') };
}

/** Reads a JSON file (a regular file, bounded), naming it in errors (with `code`, BAD_MODEL by default). */
export function readJsonFile(path: string, what: string, code: NcErrorCode = 'BAD_MODEL'): unknown {
  let text: string;
  try {
    text = new TextDecoder().decode(readRegularFileSync(path));
  } catch (e) {
    const why = e instanceof FileReadError ? (e.code ?? e.reason) : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new NcInputError(code, `${path}: cannot read the ${what} (${why})`, { source: path });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new NcInputError(code, `${path}: the ${what} is not valid JSON (${(e as Error).message})`, { source: path });
  }
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined);
const nonNegativeInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : Array.isArray(v) ? nonNegativeInt(v[0]) : undefined);

/** Parses the fields of {@link LmConfig} from a config.json (unknown fields are ignored; a non-object is refused). */
export function readLmConfig(path: string): LmConfig {
  const raw = readJsonFile(path, 'model configuration');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new NcInputError('BAD_MODEL', `${path}: a model configuration must be a JSON object`, { source: path });
  return parseLmConfig(raw as Record<string, unknown>);
}

/** {@link LmConfig} from a parsed config.json object. */
export function parseLmConfig(c: Record<string, unknown>): LmConfig {
  const heads = positiveInt(c.num_attention_heads) ?? positiveInt(c.n_head) ?? positiveInt(c.num_heads);
  const hidden = positiveInt(c.hidden_size) ?? positiveInt(c.n_embd) ?? positiveInt(c.d_model);
  const out: LmConfig = {
    modelType: typeof c.model_type === 'string' ? c.model_type : undefined,
    vocabSize: positiveInt(c.vocab_size),
    maxPositions: positiveInt(c.max_position_embeddings) ?? positiveInt(c.n_positions) ?? positiveInt(c.n_ctx),
    kvHeads: positiveInt(c.num_key_value_heads) ?? heads,
    headDim: positiveInt(c.head_dim) ?? (hidden && heads && hidden % heads === 0 ? hidden / heads : undefined),
    padTokenId: nonNegativeInt(c.pad_token_id) ?? nonNegativeInt(c.eos_token_id),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as LmConfig;
}
