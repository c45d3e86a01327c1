import { NcInputError, mulberry32 } from '@ncscope/core';

/**
 * Rows of a token corpus as read: `count` sequences of `T` positions, row-major.
 * - `ids`: token ids (any integer array);
 * - `mask`: the attention mask, 1 for a real token, 0 for padding; undefined means all ones. Padding is told by the
 *   mask alone: the id at a padded position is never read as a token (it may equal a real token's id);
 * - `labelFrom`: per row, the first position whose token counts as a label (a prediction target); undefined means 1.
 *   Overlapping windows of a long text (`--stride` below `--seq-len`) use it so that every token is predicted once,
 *   with the longest context, as Hugging Face's strided perplexity does.
 */
export interface TokenRows {
  ids: ArrayLike<number>;
  mask?: ArrayLike<number>;
  labelFrom?: ArrayLike<number>;
}

/** N sequences of T token ids (and their mask), read in row ranges. See {@link arrayCorpus}, and `textCorpus` for text. */
export interface TokenCorpus {
  /** Sequences. */
  readonly N: number;
  /** Positions per sequence. */
  readonly T: number;
  /** Name for messages: the ids' file (or text file). */
  readonly source: string;
  /** Name of the mask's file for messages, when it comes from one. */
  readonly maskSource?: string;
  read(start: number, count: number): TokenRows | Promise<TokenRows>;
}

/** An in-memory corpus: ids (N × T), an optional mask of the same shape, optional per-row label starts. */
export function arrayCorpus(ids: ArrayLike<number> & { subarray?: unknown }, shape: readonly number[], options: { mask?: ArrayLike<number>; maskShape?: readonly number[]; labelFrom?: ArrayLike<number>; source?: string; maskSource?: string } = {}): TokenCorpus {
  const source = options.source ?? 'input_ids';
  if (shape.length !== 2) throw new NcInputError('BAD_TOKENS', `${source}: token ids must be N × T (sequences × positions), got shape [${shape.join(', ')}]`, { source });
  const [N, T] = shape;
  if (ids.length !== N * T) throw new NcInputError('SHAPE', `${source}: shape [${N}, ${T}] needs ${N * T} ids, got ${ids.length}`, { source });
  const maskSource = options.maskSource ?? 'attention_mask';
  if (options.mask) {
    const ms = options.maskShape ?? [N, T];
    if (ms.length !== 2 || ms[0] !== N || ms[1] !== T || options.mask.length !== N * T) {
      throw new NcInputError('BAD_TOKENS', `${maskSource}: the attention mask has shape [${ms.join(', ')}]; it must have the ids' shape [${N}, ${T}] (${source})`, { source: maskSource });
    }
  }
  if (options.labelFrom && options.labelFrom.length !== N) throw new NcInputError('SHAPE', `${source}: labelFrom needs one entry per sequence (${N}), got ${options.labelFrom.length}`, { source });
  const slice = (a: ArrayLike<number>, from: number, to: number): ArrayLike<number> =>
    typeof (a as Int32Array).subarray === 'function' ? (a as Int32Array).subarray(from, to) : Array.prototype.slice.call(a, from, to);
  return {
    N, T, source, maskSource: options.mask ? maskSource : undefined,
    read: (start, count) => ({
      ids: slice(ids, start * T, (start + count) * T),
      mask: options.mask ? slice(options.mask, start * T, (start + count) * T) : undefined,
      labelFrom: options.labelFrom ? slice(options.labelFrom, start, start + count) : undefined,
    }),
  };
}

/** What the pre-scan checks the tokens against (known before the model runs). */
export interface TokenLimits {
  /** Classes: the head's rows. Every label (next token) must be below it. */
  K: number;
  /** Rows of the token embedding (or config.json's vocab_size): every real token's id must be below it. */
  vocabSize?: number;
  /** What states `vocabSize`, for messages. */
  vocabFrom?: string;
  /** Rows of the position table, and what states it. */
  maxPositions?: number;
  maxPositionsFrom?: string;
  /**
   * How positions are numbered: from the mask (a model with a position_ids input: cumsum(mask) − 1, Hugging Face's
   * rule), or by column (a model that numbers positions itself, 0 … T − 1 including left padding).
   */
  positions: 'mask' | 'column';
}

/** Which tokens are measured; fixed before the model runs, the same in every pass and shard. */
export interface TokenSelection {
  /** Leave out labels (next tokens) seen fewer than this many times in the corpus (after `maxTokens`); default 1. */
  minCount?: number;
  /** Measure only the first this-many label positions of the corpus (in sequence order). */
  maxTokens?: number;
  /** Compute the NCC / classifier decisions on a seeded sample of this many of the measured tokens. */
  decisionsSample?: number;
  /** Seed of the decisions sample (default 1). */
  seed?: number;
}

/**
 * The result of the pre-scan: which positions of which sequences are measured, with what label, and which of them
 * are in the decisions sample — all decided from the ids and the mask alone, so every pass, every batching and
 * every shard of the same corpus sees the same tokens.
 *
 * A label position is a t with mask[t] = mask[t+1] = 1 (and t + 1 ≥ labelFrom of the row): the feature at t, the
 * class ids[t+1]. Candidates are the first `maxTokens` label positions in corpus order; of those, the ones whose label
 * occurs at least `minCount` times are measured ("kept").
 */
export interface TokenPlan {
  readonly N: number;
  readonly T: number;
  readonly K: number;
  /** Label positions in the sequences scanned (all of the corpus; with `maxTokens`, up to the sequence that reaches it). */
  readonly labelPositions: number;
  /** Sequences scanned (N, or fewer when `maxTokens` was reached earlier). */
  readonly scanned: number;
  /** Label positions within `maxTokens` (all of them without it). */
  readonly candidates: number;
  /** Measured tokens: candidates whose label occurs ≥ minCount times. */
  readonly kept: number;
  /** Candidates per label (K). */
  readonly counts: Float64Array;
  /** Labels measured: counts ≥ minCount (1 = yes), K entries. */
  readonly allowed: Uint8Array;
  readonly minCount: number;
  readonly maxTokens?: number;
  /** Candidates left out by minCount, and how many distinct labels they had. */
  readonly rare: { tokens: number; labels: number };
  /** Distinct labels measured. */
  readonly labels: number;
  /** Candidates before each sequence (N + 1 entries): the maxTokens cut-off within a sequence. */
  readonly candidatesBefore: Float64Array;
  /** Measured tokens before each sequence (N + 1 entries): a token's index in the measured order. */
  readonly keptBefore: Float64Array;
  /** Sequences up to the last one holding a measured token (later ones need not run). */
  readonly sequencesUsed: number;
  /** Longest real sequence (positions with mask 1). */
  readonly longest: number;
  /** The decisions sample: sorted indices (in measured order) of the sampled tokens; undefined = every token. */
  readonly sample?: { n: number; seed: number; indices: Float64Array };
}

/** Per-row facts of a mask row: first and last real position, and whether the ones are contiguous. */
interface RowSpan { first: number; last: number; ones: number }

function rowSpan(mask: ArrayLike<number> | undefined, base: number, T: number, where: () => string, row: number, source: string): RowSpan {
  if (!mask) return { first: 0, last: T - 1, ones: T };
  let first = -1;
  let last = -1;
  let ones = 0;
  for (let t = 0; t < T; t++) {
    const m = Number(mask[base + t]);
    if (m === 1) {
      if (first < 0) first = t;
      else if (last !== t - 1) {
        throw new NcInputError('BAD_TOKENS', `${where()}: sequence ${row} has a hole in its attention mask (1 at position ${last}, 0 after it, 1 again at position ${t}); padding may only lead or trail a sequence`, { source, row, column: t });
      }
      last = t;
      ones++;
    } else if (m !== 0) {
      throw new NcInputError('BAD_TOKENS', `${where()}: sequence ${row}, position ${t}: attention mask value ${mask[base + t]}; it must be 0 (padding) or 1 (token)`, { source, row, column: t });
    }
  }
  return { first, last, ones };
}

/**
 * Scans a corpus once (ids and mask only, in chunks of rows) before the model runs: refuses, by name and place, a
 * mask with holes or values other than 0/1, real tokens outside the vocabulary, labels at or above K, sequences
 * longer than the position table; counts the labels; and fixes the {@link TokenPlan}.
 */
export async function planTokens(corpus: TokenCorpus, limits: TokenLimits, selection: TokenSelection = {}, chunkRows = 4096): Promise<TokenPlan> {
  const { N, T, source } = corpus;
  const K = limits.K;
  if (!(Number.isInteger(K) && K >= 2)) throw new NcInputError('BAD_OPTION', `K must be an integer ≥ 2, got ${K}`);
  const minCount = selection.minCount ?? 1;
  if (!(Number.isSafeInteger(minCount) && minCount >= 1)) throw new NcInputError('BAD_OPTION', `minCount must be a positive integer, got ${minCount}`);
  const maxTokens = selection.maxTokens;
  if (maxTokens !== undefined && !(Number.isSafeInteger(maxTokens) && maxTokens >= 1)) throw new NcInputError('BAD_OPTION', `maxTokens must be a positive integer, got ${maxTokens}`);
  const sampleN = selection.decisionsSample;
  if (sampleN !== undefined && !(Number.isSafeInteger(sampleN) && sampleN >= 1)) throw new NcInputError('BAD_OPTION', `decisionsSample must be a positive integer, got ${sampleN}`);
  const seed = selection.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new NcInputError('BAD_OPTION', `seed must be an integer, got ${seed}`);
  if (T < 2) throw new NcInputError('BAD_TOKENS', `${source}: sequences of ${T} position${T === 1 ? '' : 's'} hold no next-token label; they need at least 2`, { source });
  const maskSource = corpus.maskSource ?? source;
  const vocab = limits.vocabSize;
  const counts = new Float64Array(K);
  const candidatesBefore = new Float64Array(N + 1);
  let labelPositions = 0;
  let longest = 0;
  let scanned = N; // with maxTokens, the scan stops after the sequence that reaches it (later ones are not measured)
  for (let start = 0; start < scanned; start += chunkRows) {
    const count = Math.min(chunkRows, N - start);
    const rows = await corpus.read(start, count);
    if (rows.ids.length !== count * T) throw new NcInputError('SHAPE', `${source}: rows ${start}..${start + count - 1} have ${rows.ids.length} ids, expected ${count * T}`, { source, row: start });
    for (let r = 0; r < count; r++) {
      const n = start + r;
      const base = r * T;
      const span = rowSpan(rows.mask, base, T, () => maskSource, n, maskSource);
      candidatesBefore[n + 1] = candidatesBefore[n];
      if (span.ones === 0) continue;
      longest = Math.max(longest, span.ones);
      if (limits.maxPositions !== undefined) {
        const need = limits.positions === 'mask' ? span.ones : span.last + 1;
        if (need > limits.maxPositions) {
          throw new NcInputError(
            'BAD_TOKENS',
            `${source}: sequence ${n} needs ${need} positions, but the model's position table has ${limits.maxPositions} (${limits.maxPositionsFrom ?? 'the model'}); cut the sequences shorter (--seq-len)`,
            { source, row: n, column: limits.maxPositions },
          );
        }
      }
      for (let t = span.first; t <= span.last; t++) {
        const id = Number(rows.ids[base + t]);
        if (!Number.isInteger(id) || id < 0 || (vocab !== undefined && id >= vocab)) {
          throw new NcInputError('BAD_TOKENS', `${source}: sequence ${n}, position ${t}: token id ${rows.ids[base + t]} is outside the vocabulary 0..${(vocab ?? Infinity) - 1}${limits.vocabFrom ? ` (${limits.vocabFrom})` : ''}`, { source, row: n, column: t });
        }
      }
      const from = Math.max(span.first + 1, rows.labelFrom ? Number(rows.labelFrom[r]) : 1);
      for (let t = from; t <= span.last; t++) {
        const y = Number(rows.ids[base + t]);
        if (y >= K) {
          throw new NcInputError('BAD_TOKENS', `${source}: sequence ${n}, position ${t}: token id ${y} is a label (the next token after position ${t - 1}) but the model's head has only K = ${K} rows`, { source, row: n, column: t, label: y });
        }
        const g = candidatesBefore[n + 1];
        if (maxTokens === undefined || g < maxTokens) {
          counts[y]++;
          candidatesBefore[n + 1] = g + 1;
        }
        labelPositions++;
      }
      if (maxTokens !== undefined && candidatesBefore[n + 1] >= maxTokens) {
        candidatesBefore.fill(candidatesBefore[n + 1], n + 1);
        scanned = n + 1;
        break;
      }
    }
  }
  const candidates = candidatesBefore[N];
  if (labelPositions === 0) throw new NcInputError('NO_DATA', `${source}: no token has a next token to predict (every sequence is shorter than 2 real tokens)`, { source });
  const allowed = new Uint8Array(K);
  let kept = 0;
  let labels = 0;
  let rareTokens = 0;
  let rareLabels = 0;
  for (let k = 0; k < K; k++) {
    if (counts[k] >= minCount) {
      allowed[k] = 1;
      kept += counts[k];
      if (counts[k] > 0) labels++;
    } else if (counts[k] > 0) {
      rareTokens += counts[k];
      rareLabels++;
    }
  }
  if (kept === 0) throw new NcInputError('NO_DATA', `${source}: no label occurs ${minCount} times or more among the ${candidates} tokens (--min-count ${minCount})`, { source });
  // Second, cheap walk for the measured tokens before each sequence (needs `allowed`, known only now).
  const keptBefore = new Float64Array(N + 1);
  let sequencesUsed = 0;
  if (minCount === 1) {
    keptBefore.set(candidatesBefore);
    for (let n = N; n > 0; n--) if (candidatesBefore[n] > candidatesBefore[n - 1]) { sequencesUsed = n; break; }
  } else {
    for (let start = 0; start < scanned; start += chunkRows) {
      const count = Math.min(chunkRows, N - start);
      const rows = await corpus.read(start, count);
      for (let r = 0; r < count; r++) {
        const n = start + r;
        keptBefore[n + 1] = keptBefore[n];
        const budget = candidatesBefore[n + 1] - candidatesBefore[n];
        if (budget === 0) continue;
        let seen = 0;
        forEachLabel(rows, r, T, (_t, y) => {
          if (seen++ >= budget) return false;
          if (allowed[y]) keptBefore[n + 1]++;
          return true;
        });
        if (keptBefore[n + 1] > keptBefore[n]) sequencesUsed = n + 1;
      }
    }
    keptBefore.fill(keptBefore[Math.min(scanned, N)], Math.min(scanned, N) + 1);
  }
  const plan: TokenPlan = {
    N, T, K, labelPositions, scanned, candidates, kept, counts, allowed, minCount, maxTokens, rare: { tokens: rareTokens, labels: rareLabels }, labels,
    candidatesBefore, keptBefore, sequencesUsed, longest,
  };
  if (sampleN !== undefined && sampleN < kept) return { ...plan, sample: { n: sampleN, seed, indices: sampleIndices(kept, sampleN, seed) } };
  return plan;
}

/**
 * Calls `visit(t, label)` for each label position of row `r` (the feature position t and the class ids[t+1]) in
 * order, until it returns false. Rows are assumed checked by {@link planTokens}.
 */
export function forEachLabel(rows: TokenRows, r: number, T: number, visit: (t: number, label: number) => boolean): void {
  const base = r * T;
  const m = rows.mask;
  let first = 0;
  let last = T - 1;
  if (m) {
    first = -1;
    for (let t = 0; t < T; t++) {
      if (Number(m[base + t]) === 1) {
        if (first < 0) first = t;
        last = t;
      }
    }
    if (first < 0) return;
  }
  const from = Math.max(first + 1, rows.labelFrom ? Number(rows.labelFrom[r]) : 1);
  for (let t = from; t <= last; t++) if (!visit(t - 1, Number(rows.ids[base + t]))) return;
}

/** `n` distinct indices of 0 … total − 1 drawn with a seeded generator (Floyd's algorithm), sorted. */
export function sampleIndices(total: number, n: number, seed: number): Float64Array {
  if (n >= total) return Float64Array.from({ length: total }, (_, i) => i);
  const rng = mulberry32(seed);
  const chosen = new Set<number>();
  for (let j = total - n; j < total; j++) {
    const t = Math.floor(rng() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return Float64Array.from(chosen).sort();
}

/**
 * Position ids from an attention mask as Hugging Face computes them for batched generation:
 * position_ids = cumsum(mask) − 1 along each row, and 1 where the mask is 0. `count` rows of T.
 */
export function positionIdsFromMask(mask: ArrayLike<number> | undefined, count: number, T: number): BigInt64Array {
  const out = new BigInt64Array(count * T);
  for (let r = 0; r < count; r++) {
    let c = 0;
    for (let t = 0; t < T; t++) {
      const on = mask ? Number(mask[r * T + t]) : 1;
      c += on;
      out[r * T + t] = on === 0 ? 1n : BigInt(c - 1);
    }
  }
  return out;
}
