/**
 * Seeded stochastic block model (SBM) graphs for node-classification studies of Neural Collapse
 * (Kothapalli, Tirer & Bruna 2023, "A Neural Collapse Perspective on Feature Evolution in Graph Neural Networks").
 *
 * Ordinary SBM: C communities; each unordered pair of distinct nodes is an edge independently with probability p
 * (same community) or q (different communities). No self-loops; the adjacency is symmetric; node order is
 * randomly permuted so that labels carry no positional information. Sampling skips over non-edges with geometric
 * jumps (Batagelj & Brandes 2005), so the cost is O(N + edges), not O(N²).
 *
 * Regular SBM: every node has exactly `within` neighbours in its own community and exactly `between` neighbours
 * in each other community — the structural condition under which Kothapalli et al.'s graph UFM has an exactly
 * collapsed minimizer. Each block (a d-regular graph inside a community, a d-regular bipartite graph between two
 * communities) starts from a circulant graph and is randomized by degree-preserving double-edge swaps inside the
 * block (a Markov chain, `swapsPerEdge` attempts per edge), which keeps every node's per-community counts exact.
 */
import { NcInputError } from '../errors.js';
import { mulberry32 } from '../random.js';

/** Per-node neighbour counts of a regular SBM: `within` in the node's community, `between` in each other one. */
export interface RegularDegrees {
  within: number;
  between: number;
}

export interface SbmOptions {
  /** Number of communities C (≥ 1). */
  communities: number;
  /** Nodes per community n (balanced communities). Give this or `sizes`. */
  nodesPerCommunity?: number;
  /** Nodes in each community (length C), for unequal communities (ordinary SBM only). */
  sizes?: readonly number[];
  /** Edge probability between two nodes of the same community, in [0, 1]. */
  p: number;
  /** Edge probability between two nodes of different communities, in [0, 1]. */
  q: number;
  /** Seed of the mulberry32 generator: the same options and seed give the same graph. */
  seed: number;
  /** Randomly permute the node order (default true). */
  permute?: boolean;
  /**
   * Generate the regular SBM instead: `true` takes the ordinary SBM's expected degrees,
   * within = round(p·(n − 1)) and between = round(q·n); or give the degrees. Needs equal community sizes,
   * within ≤ n − 1 with n·within even, and between ≤ n.
   */
  regular?: boolean | RegularDegrees;
  /** Regular SBM: double-edge swap attempts per edge of each block (default 10). */
  swapsPerEdge?: number;
}

/** An undirected simple graph with community labels, stored as sorted neighbour lists (CSR pattern). */
export interface SbmGraph {
  readonly numNodes: number;
  readonly communities: number;
  /** Nodes per community. */
  readonly sizes: readonly number[];
  /** Community of each node, 0..C−1. */
  readonly labels: Int32Array;
  /** Neighbours of node i: colIdx[rowPtr[i] .. rowPtr[i+1]), sorted ascending; every edge appears in both rows. */
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  /** Degree of each node. */
  readonly degrees: Int32Array;
  /** Number of undirected edges. */
  readonly numEdges: number;
  /** The per-node degrees when generated as a regular SBM. */
  readonly regular?: RegularDegrees;
}

/** Generates a seeded SBM graph (ordinary or regular); see the module comment for the model. */
export function stochasticBlockModel(options: SbmOptions): SbmGraph {
  const sizes = communitySizes(options);
  const C = sizes.length;
  const { p, q } = options;
  for (const [name, v] of [['p', p], ['q', q]] as const) {
    if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new NcInputError('BAD_OPTION', `SBM: ${name} must be a probability in [0, 1], got ${v}`);
  }
  if (!Number.isFinite(options.seed)) throw new NcInputError('BAD_OPTION', `SBM: seed must be a finite number, got ${options.seed}`);
  const swapsPerEdge = options.swapsPerEdge ?? 10;
  if (!(Number.isFinite(swapsPerEdge) && swapsPerEdge >= 0)) {
    throw new NcInputError('BAD_OPTION', `SBM: swapsPerEdge must be ≥ 0, got ${swapsPerEdge}`);
  }
  const N = sizes.reduce((a, b) => a + b, 0);
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const u = mulberry32(options.seed);
  const edges = new EdgeList();

  let regular: RegularDegrees | undefined;
  if (options.regular) {
    regular = regularDegrees(options.regular, sizes, p, q);
    const n = sizes[0];
    for (let k = 0; k < C; k++) regularWithin(offsets[k], n, regular.within, swapsPerEdge, u, edges);
    for (let k = 0; k < C; k++) {
      for (let l = k + 1; l < C; l++) regularBetween(offsets[k], offsets[l], n, regular.between, swapsPerEdge, u, edges);
    }
  } else {
    for (let k = 0; k < C; k++) {
      sampleWithin(offsets[k], sizes[k], p, u, edges);
      for (let l = k + 1; l < C; l++) sampleBetween(offsets[k], sizes[k], offsets[l], sizes[l], q, u, edges);
    }
  }

  // Node permutation (Fisher–Yates): original node v becomes node position[v].
  const position = new Int32Array(N);
  for (let i = 0; i < N; i++) position[i] = i;
  if (options.permute ?? true) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      const t = position[i];
      position[i] = position[j];
      position[j] = t;
    }
  }
  const labels = new Int32Array(N);
  for (let k = 0; k < C; k++) for (let i = 0; i < sizes[k]; i++) labels[position[offsets[k] + i]] = k;

  const { rowPtr, colIdx, degrees } = edges.toCsr(N, position);
  return { numNodes: N, communities: C, sizes, labels, rowPtr, colIdx, degrees, numEdges: edges.length, ...(regular ? { regular } : {}) };
}

function communitySizes(options: SbmOptions): number[] {
  const C = options.communities;
  if (!(Number.isInteger(C) && C >= 1)) throw new NcInputError('BAD_OPTION', `SBM: communities must be a positive integer, got ${C}`);
  if ((options.sizes === undefined) === (options.nodesPerCommunity === undefined)) {
    throw new NcInputError('BAD_OPTION', 'SBM: give exactly one of nodesPerCommunity and sizes');
  }
  const sizes = options.sizes ? [...options.sizes] : new Array<number>(C).fill(options.nodesPerCommunity!);
  if (sizes.length !== C) throw new NcInputError('BAD_OPTION', `SBM: sizes has ${sizes.length} entries for ${C} communities`);
  for (const [k, n] of sizes.entries()) {
    if (!(Number.isInteger(n) && n >= 1)) throw new NcInputError('BAD_OPTION', `SBM: community ${k} size must be a positive integer, got ${n}`);
  }
  const N = sizes.reduce((a, b) => a + b, 0);
  if (N > 2 ** 26) throw new NcInputError('BAD_OPTION', `SBM: ${N} nodes is more than this generator supports (2^26)`);
  return sizes;
}

function regularDegrees(spec: true | RegularDegrees, sizes: number[], p: number, q: number): RegularDegrees {
  const n = sizes[0];
  if (sizes.some((s) => s !== n)) throw new NcInputError('BAD_OPTION', 'SBM: the regular variant needs equal community sizes');
  const d = spec === true ? { within: Math.round(p * (n - 1)), between: Math.round(q * n) } : { within: spec.within, between: spec.between };
  if (!(Number.isInteger(d.within) && d.within >= 0 && d.within <= n - 1)) {
    throw new NcInputError('BAD_OPTION', `SBM: regular within-community degree must be an integer in 0..${n - 1}, got ${d.within}`);
  }
  if ((n * d.within) % 2 !== 0) {
    throw new NcInputError(
      'BAD_OPTION',
      `SBM: a ${d.within}-regular graph on ${n} nodes does not exist (n · degree must be even); ` +
        `give regular: { within: ${d.within - 1} or ${d.within + 1}, between: ${d.between} } or an even community size`,
    );
  }
  if (!(Number.isInteger(d.between) && d.between >= 0 && d.between <= n)) {
    throw new NcInputError('BAD_OPTION', `SBM: regular between-community degree must be an integer in 0..${n}, got ${d.between}`);
  }
  if (sizes.length === 1 && d.between !== 0) d.between = 0;
  return d;
}

/** Growable list of undirected edges (a, b) in original node numbering. */
class EdgeList {
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  length = 0;
  push(x: number, y: number): void {
    if (this.length === this.a.length) {
      const grow = (old: Int32Array) => {
        const next = new Int32Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.a = grow(this.a);
      this.b = grow(this.b);
    }
    this.a[this.length] = x;
    this.b[this.length] = y;
    this.length++;
  }
  /** Symmetric CSR neighbour lists after renumbering node v to position[v]; rows sorted. */
  toCsr(N: number, position: Int32Array): { rowPtr: Int32Array; colIdx: Int32Array; degrees: Int32Array } {
    const degrees = new Int32Array(N);
    for (let e = 0; e < this.length; e++) {
      degrees[position[this.a[e]]]++;
      degrees[position[this.b[e]]]++;
    }
    const rowPtr = new Int32Array(N + 1);
    for (let i = 0; i < N; i++) rowPtr[i + 1] = rowPtr[i] + degrees[i];
    const fill = rowPtr.slice(0, N);
    const colIdx = new Int32Array(rowPtr[N]);
    for (let e = 0; e < this.length; e++) {
      const x = position[this.a[e]];
      const y = position[this.b[e]];
      colIdx[fill[x]++] = y;
      colIdx[fill[y]++] = x;
    }
    for (let i = 0; i < N; i++) colIdx.subarray(rowPtr[i], rowPtr[i + 1]).sort();
    return { rowPtr, colIdx, degrees };
  }
}

/** Number of failed Bernoulli(p) trials before the next success, for 0 < p < 1 (geometric jump). */
function skip(logNotP: number, u: () => number): number {
  return Math.floor(Math.log(1 - u()) / logNotP);
}

/** Ordinary SBM edges among the m nodes start..start+m−1, each pair with probability p. */
function sampleWithin(start: number, m: number, p: number, u: () => number, out: EdgeList): void {
  if (p <= 0 || m < 2) return;
  if (p >= 1) {
    for (let v = 1; v < m; v++) for (let w = 0; w < v; w++) out.push(start + w, start + v);
    return;
  }
  const logNotP = Math.log1p(-p);
  // Walk the strictly lower triangle row by row: pair (v, w) with w < v.
  let v = 1;
  let w = -1;
  for (;;) {
    w += 1 + skip(logNotP, u);
    while (w >= v && v < m) {
      w -= v;
      v++;
    }
    if (v >= m) return;
    out.push(start + w, start + v);
  }
}

/** Ordinary SBM edges between two disjoint node ranges, each of the mA · mB pairs with probability q. */
function sampleBetween(startA: number, mA: number, startB: number, mB: number, q: number, u: () => number, out: EdgeList): void {
  if (q <= 0) return;
  const total = mA * mB;
  if (q >= 1) {
    for (let t = 0; t < total; t++) out.push(startA + Math.floor(t / mB), startB + (t % mB));
    return;
  }
  const logNotQ = Math.log1p(-q);
  for (let t = -1; ; ) {
    t += 1 + skip(logNotQ, u);
    if (t >= total) return;
    out.push(startA + Math.floor(t / mB), startB + (t % mB));
  }
}

/** A random d-regular simple graph on nodes start..start+n−1 (n·d even): circulant start, then double-edge swaps. */
function regularWithin(start: number, n: number, d: number, swapsPerEdge: number, u: () => number, out: EdgeList): void {
  if (d === 0) return;
  const ea: number[] = [];
  const eb: number[] = [];
  const half = Math.floor(d / 2);
  for (let i = 0; i < n; i++) for (let s = 1; s <= half; s++) { ea.push(i); eb.push((i + s) % n); }
  if (d % 2 === 1) for (let i = 0; i < n / 2; i++) { ea.push(i); eb.push(i + n / 2); } // n is even here
  swapEdges(ea, eb, (x, y) => (x < y ? x * n + y : y * n + x), true, swapsPerEdge, u);
  for (let e = 0; e < ea.length; e++) out.push(start + ea[e], start + eb[e]);
}

/** A random d-regular bipartite graph between two ranges of n nodes: shifted matchings, then double-edge swaps. */
function regularBetween(startA: number, startB: number, n: number, d: number, swapsPerEdge: number, u: () => number, out: EdgeList): void {
  if (d === 0) return;
  const ea: number[] = [];
  const eb: number[] = [];
  for (let i = 0; i < n; i++) for (let s = 0; s < d; s++) { ea.push(i); eb.push((i + s) % n); }
  swapEdges(ea, eb, (x, y) => x * n + y, false, swapsPerEdge, u);
  for (let e = 0; e < ea.length; e++) out.push(startA + ea[e], startB + eb[e]);
}

/**
 * Degree-preserving double-edge swaps in place: (a,b),(c,d) → (a,d),(c,b), rejected when that would create a
 * duplicate edge (or, for edges within one node set, `oneSide`, a self-loop; there each edge is also taken in a
 * random orientation). `swapsPerEdge · edges` attempts.
 */
function swapEdges(ea: number[], eb: number[], key: (x: number, y: number) => number, oneSide: boolean, swapsPerEdge: number, u: () => number): void {
  const E = ea.length;
  const present = new Set<number>();
  for (let e = 0; e < E; e++) present.add(key(ea[e], eb[e]));
  const attempts = Math.round(swapsPerEdge * E);
  for (let s = 0; s < attempts && E > 1; s++) {
    const i = Math.floor(u() * E);
    const j = Math.floor(u() * E);
    if (i === j) continue;
    const a = ea[i], b = eb[i];
    let c = ea[j], d = eb[j];
    if (oneSide && u() < 0.5) [c, d] = [d, c];
    if (oneSide && (a === d || c === b)) continue;
    if (present.has(key(a, d)) || present.has(key(c, b))) continue;
    present.delete(key(a, b));
    present.delete(key(c, d));
    present.add(key(a, d));
    present.add(key(c, b));
    eb[i] = d;
    ea[j] = c;
    eb[j] = b;
  }
}
