import { NcInputError } from '@ncscope/core';
import type { LinearClassifier } from '../model/classifier.js';
import type { Dim } from '../model/graph-index.js';
import { OnnxModel } from '../model/onnx-model.js';
import { dataTypeName, decodeModel, type NodeProto } from '../proto/onnx.js';
import { readRegularFileSync, FileReadError } from '@ncscope/io';
import { resolveLmModel, type LmConfig, type LmModelFiles } from './folder.js';
import { inlineNoCacheBranch, isPastInput, USE_CACHE_BRANCH, type NoCacheInlining } from './merged-decoder.js';
import { dirname, resolve } from 'node:path';

/** A key/value cache input and the empty tensor it is fed: dims with the past length 0. */
export interface PastInput {
  name: string;
  /** Element type name ("float32", "float16"). */
  type: string;
  /** Dims with the batch as -1 (filled per run) and the past length 0. */
  dims: number[];
}

/** How the graph's inputs are fed from a token corpus. */
export interface LmSignature {
  /** The token ids input (`input_ids`). */
  ids: string;
  /** The attention mask input, when the graph has one. */
  mask?: string;
  /** The position ids input, when the graph has one (computed from the mask, Hugging Face's rule). */
  positions?: string;
  /** Key/value cache inputs, fed empty. */
  past: PastInput[];
  /** `use_cache_branch`, when still an input (fed false). */
  cacheBranch?: string;
  /** Other inputs: fed from arrays the caller names (`--input NAME=FILE`). */
  other: string[];
}

/** An opened causal language model: the (edited) ONNX graph, its folder files, inputs, head and tables. */
export interface LanguageModel {
  files: LmModelFiles;
  model: OnnxModel;
  config: LmConfig;
  /** Set when a merged decoder's no-cache branch was inlined. */
  inlining?: NoCacheInlining;
  signature: LmSignature;
  /** The head z = W h (+ b) found at the end of the graph, or why none was found. */
  head?: LinearClassifier;
  noHeadReasons: string[];
  /** Rows of the token embedding (a Gather of a constant by input_ids), else config.json's vocab_size. */
  vocabSize?: number;
  vocabFrom?: string;
  /** Rows of the position table (a Gather of a constant by position_ids or by a Range), else config.json's. */
  maxPositions?: number;
  maxPositionsFrom?: string;
}

/** Ops through which an index tensor is traced back to input_ids / position_ids / Range. */
const INDEX_PASS = new Set(['Cast', 'Identity', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Expand', 'Slice']);

/**
 * Opens a causal LM for `ncscope lm`: an .onnx file or a model folder ({@link resolveLmModel}). A merged decoder's
 * no-cache branch is inlined ({@link inlineNoCacheBranch}); the inputs are sorted into token ids, mask, positions,
 * key/value cache (fed empty) and others; the head and the embedding and position tables are looked up.
 */
export function openLanguageModel(path: string): LanguageModel {
  const files = resolveLmModel(path);
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(files.onnx);
  } catch (e) {
    const why = e instanceof FileReadError ? (e.code ?? e.reason) : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new NcInputError('BAD_MODEL', `${files.onnx}: cannot read the model file (${why})`, { source: files.onnx });
  }
  const proto = decodeModel(bytes, files.onnx);
  const inlining = inlineNoCacheBranch(proto, files.onnx);
  const model = OnnxModel.fromProto(proto, files.onnx, dirname(resolve(files.onnx)));
  const config = files.config;
  const signature = lmSignature(model, config);
  const found = model.findClassifier();
  const lm: LanguageModel = { files, model, config, signature, head: found.classifier, noHeadReasons: found.reasons, ...(inlining.inlined.length ? { inlining } : {}) };
  const embedding = tableRows(model, (name) => name === signature.ids);
  if (embedding) Object.assign(lm, { vocabSize: embedding.rows, vocabFrom: `the token embedding ${embedding.from} has ${embedding.rows} rows` });
  else if (config.vocabSize) Object.assign(lm, { vocabSize: config.vocabSize, vocabFrom: `vocab_size ${config.vocabSize} in ${files.configPath}` });
  const positions = tableRows(model, (name, node) => name === signature.positions || node?.opType === 'Range');
  if (positions) Object.assign(lm, { maxPositions: positions.rows, maxPositionsFrom: `the position embedding ${positions.from} has ${positions.rows} rows` });
  else if (config.maxPositions) Object.assign(lm, { maxPositions: config.maxPositions, maxPositionsFrom: `${config.maxPositions} positions in ${files.configPath}` });
  return lm;
}

/** Sorts the graph's feed inputs; refuses a graph without `input_ids` and past inputs whose dims cannot be told. */
export function lmSignature(model: OnnxModel, config: LmConfig): LmSignature {
  const feeds = model.graph.feedInputs.map((v) => v.name);
  const source = model.source;
  const ids = feeds.find((n) => n === 'input_ids');
  if (!ids) {
    throw new NcInputError('BAD_MODEL', `${source}: a causal language model needs an "input_ids" input; this graph has ${feeds.map((n) => `"${n}"`).join(', ') || 'none'}`, { source });
  }
  const idsType = dataTypeName(model.graph.elemType(ids));
  if (idsType !== 'int64' && idsType !== 'int32') throw new NcInputError('BAD_MODEL', `${source}: input "input_ids" holds ${idsType}; token ids must be int64 or int32`, { source });
  const sig: LmSignature = { ids, past: [], other: [] };
  for (const name of feeds) {
    if (name === ids) continue;
    if (name === 'attention_mask') sig.mask = name;
    else if (name === 'position_ids') sig.positions = name;
    else if (name === USE_CACHE_BRANCH) sig.cacheBranch = name;
    else if (isPastInput(name)) sig.past.push(pastInput(model, name, config));
    else sig.other.push(name);
  }
  return sig;
}

/** The empty-cache dims of a past_key_values input: batch first, the past length 0, heads and head width as declared or from config.json. */
function pastInput(model: OnnxModel, name: string, config: LmConfig): PastInput {
  const shape: Dim[] | undefined = model.graph.shape(name);
  const type = dataTypeName(model.graph.elemType(name));
  const source = model.source;
  if (!shape || shape.length !== 4) {
    throw new NcInputError('BAD_MODEL', `${source}: key/value input "${name}" declares ${shape ? `rank ${shape.length}` : 'no shape'}; ncscope feeds an empty cache of shape [batch, heads, 0, head width]`, { source });
  }
  const dims = shape.map((d, i) => {
    if (i === 0) return -1;
    if (i === 2) return 0;
    if (typeof d === 'number' && d > 0) return d;
    const v = i === 1 ? config.kvHeads : config.headDim;
    if (v === undefined) {
      throw new NcInputError('BAD_MODEL', `${source}: key/value input "${name}" leaves its ${i === 1 ? 'head count' : 'head width'} open ([${shape.map((x) => x ?? '?').join(', ')}]) and no config.json states it (num_key_value_heads / num_attention_heads, head_dim / hidden_size)`, { source });
    }
    return v;
  });
  return { name, type, dims };
}

/**
 * Rows of a lookup table: a Gather (axis 0) of a 2-D constant whose indices come — through Cast, Reshape, Unsqueeze
 * and the like — from a value `isSource` accepts (input_ids for the token embedding; position_ids or a Range for the
 * position table). The first such Gather in graph order.
 */
function tableRows(model: OnnxModel, isSource: (name: string, producer: NodeProto | undefined) => boolean): { rows: number; from: string } | undefined {
  const g = model.graph;
  const traces = (name: string): boolean => {
    for (let t = name, guard = 0; guard < 32; guard++) {
      const p = g.producer.get(t);
      if (isSource(t, p)) return true;
      if (!p || !INDEX_PASS.has(p.opType)) return false;
      t = p.input[0];
    }
    return false;
  };
  // The table's initializer, through Identity/Cast nodes (no data decoded: only its dims are needed).
  const table = (name: string): string | undefined => {
    for (let t = name, guard = 0; guard < 32; guard++) {
      if (g.initializers.has(t)) return t;
      const p = g.producer.get(t);
      if (!p || (p.opType !== 'Identity' && p.opType !== 'Cast')) return undefined;
      t = p.input[0];
    }
    return undefined;
  };
  for (const node of model.proto.graph!.node) {
    if (node.opType !== 'Gather' || !node.input[1]) continue;
    const axis = node.attribute.find((a) => a.name === 'axis');
    if (axis && Number(axis.i) !== 0) continue;
    const init = table(node.input[0]);
    const shape = init === undefined ? undefined : g.shape(init);
    if (!shape || shape.length !== 2 || typeof shape[0] !== 'number') continue;
    if (traces(node.input[1])) return { rows: shape[0], from: `"${init}"` };
  }
  return undefined;
}
