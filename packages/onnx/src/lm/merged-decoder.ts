import { NcInputError } from '@ncscope/core';
import { onnxType, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from '../proto/onnx.js';

/** The boolean input of Hugging Face Optimum's merged decoders that picks the branch with a key/value cache. */
export const USE_CACHE_BRANCH = 'use_cache_branch';

/** Whether a graph input is a key/value cache input (`past_key_values.0.key`, `past.0.value`, …). */
export function isPastInput(name: string): boolean {
  return /^past(_key_values?)?[._]/.test(name);
}

/** Every value name read by the nodes of `graph` and of its subgraphs (If branches, Loop/Scan bodies). */
export function namesRead(graph: GraphProto, into = new Set<string>()): Set<string> {
  for (const node of graph.node) {
    for (const i of node.input) if (i) into.add(i);
    for (const a of node.attribute) {
      if (a.g) namesRead(a.g, into);
      for (const g of a.graphs ?? []) namesRead(g, into);
    }
  }
  for (const o of graph.output) into.add(o.name);
  return into;
}

/** Every value name a graph defines: inputs, initializers and node outputs (not those of subgraphs). */
function namesDefined(graph: GraphProto): Set<string> {
  const out = new Set<string>();
  for (const v of graph.input) out.add(v.name);
  for (const t of graph.initializer) out.add(t.name);
  for (const n of graph.node) for (const o of n.output) if (o) out.add(o);
  return out;
}

/** What {@link inlineNoCacheBranch} changed. */
export interface NoCacheInlining {
  /** Names of the If nodes replaced by their no-cache branch. */
  inlined: string[];
  /** Graph inputs dropped because nothing reads them any more (use_cache_branch, past_key_values.*). */
  droppedInputs: string[];
}

/**
 * Turns a merged decoder (Optimum's `decoder_model_merged.onnx`: one graph whose If node on `use_cache_branch` holds
 * the model with a key/value cache in one branch and without in the other) into the plain decoder that
 * `use_cache_branch = false` runs: each such If node is replaced by the nodes of its else branch (initializers and
 * value infos moved up, an Identity per branch output onto the If's outputs), and the inputs nothing reads any more
 * (`use_cache_branch`, `past_key_values.*`) are dropped. The values inside a branch become ordinary graph values, so
 * the head's input can be found and fetched as an output (onnxruntime fetches only top-level values).
 *
 * Edits `model` in place; a model without such an If node is left as it is.
 */
export function inlineNoCacheBranch(model: ModelProto, source: string): NoCacheInlining {
  const g = model.graph!;
  const result: NoCacheInlining = { inlined: [], droppedInputs: [] };
  if (!g.input.some((v) => v.name === USE_CACHE_BRANCH)) return result;
  // Follow Identity/Cast from the condition back to the graph input.
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) if (o) producer.set(o, n);
  const fromUseCache = (name: string): boolean => {
    for (let t = name, guard = 0; guard < 64; guard++) {
      if (t === USE_CACHE_BRANCH) return true;
      const p = producer.get(t);
      if (!p || (p.opType !== 'Identity' && p.opType !== 'Cast')) return false;
      t = p.input[0];
    }
    return false;
  };
  const nodes: NodeProto[] = [];
  for (const node of g.node) {
    if (node.opType !== 'If' || !fromUseCache(node.input[0])) {
      nodes.push(node);
      continue;
    }
    const branch = node.attribute.find((a) => a.name === 'else_branch')?.g;
    const where = `${source}: If node "${node.name || node.output[0]}" on ${USE_CACHE_BRANCH}`;
    if (!branch) throw new NcInputError('BAD_MODEL', `${where} has no else_branch graph`, { source });
    if (branch.output.length !== node.output.length) {
      throw new NcInputError('BAD_MODEL', `${where}: its else branch has ${branch.output.length} outputs for the node's ${node.output.length}`, { source });
    }
    const outer = namesDefined(g);
    const clash = [...namesDefined(branch)].find((n) => outer.has(n));
    if (clash !== undefined) throw new NcInputError('BAD_MODEL', `${where}: the branch redefines "${clash}", a name of the main graph`, { source });
    nodes.push(...branch.node);
    g.initializer.push(...branch.initializer);
    g.valueInfo.push(...branch.valueInfo, ...branch.output.filter((o) => o.type?.tensorType));
    branch.output.forEach((o, i) => {
      if (!node.output[i]) return;
      nodes.push(onnxType('NodeProto').fromObject({ opType: 'Identity', input: [o.name], output: [node.output[i]], name: `${node.name || 'If'}/no_cache_output_${i}`, domain: '' }) as unknown as NodeProto);
    });
    result.inlined.push(node.name || node.output[0]);
  }
  if (result.inlined.length === 0) return result;
  g.node = nodes;
  const read = namesRead(g);
  const keep: ValueInfoProto[] = [];
  for (const v of g.input) {
    if (!read.has(v.name) && (v.name === USE_CACHE_BRANCH || isPastInput(v.name))) result.droppedInputs.push(v.name);
    else keep.push(v);
  }
  g.input = keep;
  return result;
}
