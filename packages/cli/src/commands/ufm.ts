import { InvalidArgumentError, Option, type Command } from 'commander';
import type { NcMeasurement, NcMetrics } from '@ncscope/core';
import type { BiasMode, ClosedForm, LossSpec, ResolvedLoss, UfmOptions, UfmResult } from '@ncscope/ufm';

/** @ncscope/ufm loads when `ncscope ufm` runs, not when the program starts (cold start of the other commands). */
let ufm: typeof import('@ncscope/ufm') | undefined;
async function loadUfm(): Promise<typeof import('@ncscope/ufm')> {
  return (ufm ??= await import('@ncscope/ufm'));
}
const lossLabel = (spec: ResolvedLoss): string => ufm!.lossLabel(spec);
import { resolve } from 'node:path';
import { CliError } from '../errors.js';
import { writeFileAtomic } from '@ncscope/io';
import { outputFile } from '../output/file-options.js';
import { formatNumber, metricRows } from '../output/table.js';

/** Options of `ncscope ufm` as commander parses them. */
export interface UfmCommandOptions {
  loss: string;
  alpha?: number;
  gamma?: number;
  mseScale?: number;
  mseM?: number;
  classes: number;
  dim: number;
  perClass?: number;
  counts?: number[];
  lambdaW?: number;
  lambdaH?: number;
  lambdaB?: number;
  bias?: BiasMode;
  normalized?: boolean;
  tauH?: number;
  tauW?: number;
  extended?: boolean;
  hidden?: number;
  graph?: [number, number];
  graphSeed?: number;
  graphRegular?: boolean;
  seed: number;
  optimizer?: 'lbfgs' | 'gd';
  step?: number;
  maxIterations?: number;
  tolerance?: number;
  every?: number;
  hessian?: boolean;
  jsonl?: string;
  json?: boolean;
}

/** One run as `--json` prints it. */
export interface UfmJson {
  loss: string;
  converged: boolean;
  iterations: number;
  finalLoss: number;
  gradientNorm: number;
  metrics: NcMetrics;
  /** Mean over samples of the true-class logit (W h_i + b)_{y_i}, and mean of the other logits. */
  logits: { trueMean: number; otherMean: number };
  /** Squared Frobenius norms. */
  norms: { W: number; H: number };
  /** The paper's prediction of the same quantities (null where no closed form applies). */
  closedForm: ClosedForm | null;
  orthogonalFrame: { means: number; weights: number };
  hessian?: { conditionNumber: number | null; minEigenvalue: number; maxEigenvalue: number; dimension: number; removed: Record<string, number> };
  minority?: UfmResult['minority'];
  /** Per-layer metrics when the model has several (extended: H and σ(W₁H); graph: H and HÂ). */
  layers?: Record<string, NcMetrics>;
  seconds: number;
}

const number = (check: (x: number) => boolean, what: string) => (value: string) => {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !check(x)) throw new InvalidArgumentError(`expected ${what}, got '${value}'`);
  return x;
};
const nonNegative = number((x) => x >= 0, 'a number ≥ 0');
const positive = number((x) => x > 0, 'a number > 0');
const integer = (min: number) => number((x) => Number.isSafeInteger(x) && x >= min, `an integer ≥ ${min}`);

function parseCounts(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const counts = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || counts.some((c) => c < 1)) throw new InvalidArgumentError(`expected comma-separated positive integers (one per class), got '${value}'`);
  return counts;
}

function parseGraph(value: string): [number, number] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((x) => !(x >= 0 && x <= 1))) throw new InvalidArgumentError(`expected p,q: two probabilities in [0, 1], got '${value}'`);
  return [parts[0], parts[1]];
}

function parseChoice<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!choices.includes(value as T)) throw new InvalidArgumentError(`choose one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** Registers `ncscope ufm` on the program. */
export function registerUfm(program: Command): void {
  program
    .command('ufm')
    .description('Simulate the unconstrained features model (float64): minimizer, NC metrics, the papers\' closed forms; --loss ce,ls,fl,mse compares losses')
    .option('--loss <names>', 'ce, ls (label smoothing), fl (focal) or mse; several, comma-separated, for a comparison table', 'ce')
    .option('--alpha <α>', 'label smoothing α in [0, 1) (default 0.1)', number((x) => x >= 0 && x < 1, 'a number in [0, 1)'))
    .option('--gamma <γ>', 'focal loss γ ≥ 0 (default 2)', nonNegative)
    .option('--mse-scale <k>', "Hui & Belkin's weight k of the true-class term (default 1)", positive)
    .option('--mse-m <M>', "Hui & Belkin's target M of the true-class output (default 1)", number(Number.isFinite, 'a finite number'))
    .requiredOption('--classes <K>', 'number of classes K ≥ 2', integer(2))
    .requiredOption('--dim <D>', 'feature dimension D', integer(1))
    .option('--per-class <n>', 'samples per class (balanced; required unless --counts)', integer(1))
    .option('--counts <n1,n2,…>', 'samples of each class (imbalanced; one count per class; default: balanced, --per-class)', parseCounts)
    .option('--lambda-w <λ>', 'weight decay on W (default 1e-3)', nonNegative)
    .option('--lambda-h <λ>', 'weight decay on H (default 1e-3)', nonNegative)
    .option('--lambda-b <λ>', 'weight decay on b with --bias regularized (default λ_W)', nonNegative)
    .option('--bias <mode>', 'none, regularized or free (default regularized)', parseChoice(['none', 'regularized', 'free'] as const))
    .option('--normalized', 'features and classifier rows on spheres (Riemannian steps; Yaras et al. 2022)')
    .option('--tau-h <τ>', 'radius of the features with --normalized (default 2)', positive)
    .option('--tau-w <τ>', 'radius of the classifier rows with --normalized (default 2)', positive)
    .option('--extended', 'one more ReLU layer: logits W σ(W₁H) + b (Tirer & Bruna 2022)')
    .option('--hidden <width>', 'width of σ(W₁H) with --extended (default D)', integer(1))
    .option('--graph <p,q>', 'graph UFM on a stochastic block model with these within/between edge probabilities (Kothapalli et al. 2023; default: no graph)', parseGraph)
    .option('--graph-seed <s>', 'seed of the graph (default: --seed)', integer(0))
    .option('--graph-regular', 'a regular SBM: every node has the same number of neighbours in each class (the exact-collapse condition)')
    .option('--seed <s>', 'seed of the initialization', integer(0), 1)
    .option('--optimizer <name>', 'lbfgs (default) or gd (gradient descent)', parseChoice(['lbfgs', 'gd'] as const))
    .option('--step <η>', 'fixed step of gradient descent (--optimizer gd; default: backtracking line search)', positive)
    .option('--max-iterations <n>', 'iteration cap (default 20000)', integer(0))
    .option('--tolerance <ε>', 'stop when the gradient norm is at most ε (default 1e-10)', nonNegative)
    .option('--every <n>', 'measure NC every n iterations for --jsonl (default 10 with --jsonl)', integer(1))
    .option('--hessian', 'condition number of the Hessian at the minimizer, symmetry directions removed (small problems)')
    .addOption(outputFile(new Option('--jsonl <file>', 'write the NC trajectory (ncscope.measurement/1 lines) for `ncscope report`')))
    .option('--json', 'print JSON (one object; an array with several losses) instead of text')
    .action(async (options: UfmCommandOptions) => {
      process.stdout.write(await runUfm(options));
    });
}

/** The loss specs a `--loss` list names, with --alpha, --gamma, --mse-* applied. */
export function lossSpecs(options: Pick<UfmCommandOptions, 'loss' | 'alpha' | 'gamma' | 'mseScale' | 'mseM'>): LossSpec[] {
  const names = options.loss.split(',').map((s) => s.trim().toLowerCase());
  if (names.some((n) => n === '')) throw new CliError(`--loss: empty name in '${options.loss}'`);
  if (new Set(names).size !== names.length) throw new CliError(`--loss: '${options.loss}' names a loss twice`);
  const specs = names.map((name): LossSpec => {
    switch (name) {
      case 'ce':
        return { kind: 'ce' };
      case 'ls':
        return { kind: 'ls', alpha: options.alpha ?? 0.1 };
      case 'fl':
        return { kind: 'fl', gamma: options.gamma ?? 2 };
      case 'mse':
        return { kind: 'mse', scale: options.mseScale, M: options.mseM };
      default:
        throw new CliError(`--loss: unknown loss '${name}': use ce, ls, fl or mse (comma-separated for several)`);
    }
  });
  if (options.alpha !== undefined && !names.includes('ls')) throw new CliError('--alpha applies to --loss ls');
  if (options.gamma !== undefined && !names.includes('fl')) throw new CliError('--gamma applies to --loss fl');
  if ((options.mseScale !== undefined || options.mseM !== undefined) && !names.includes('mse')) throw new CliError('--mse-scale and --mse-m apply to --loss mse');
  return specs;
}

/** The simulator's options for one loss. */
function simulatorOptions(options: UfmCommandOptions, loss: LossSpec, onMeasure: (m: NcMeasurement) => void): UfmOptions {
  if (options.perClass === undefined && options.counts === undefined) throw new CliError('give --per-class <n> (balanced) or --counts <n1,n2,…>');
  if (options.perClass !== undefined && options.counts !== undefined) throw new CliError('give --per-class or --counts, not both');
  if (options.counts && options.counts.length !== options.classes) throw new CliError(`--counts lists ${options.counts.length} classes but --classes is ${options.classes}`);
  if ((options.tauH !== undefined || options.tauW !== undefined) && !options.normalized) throw new CliError('--tau-h and --tau-w apply to --normalized');
  if (options.hidden !== undefined && !options.extended) throw new CliError('--hidden applies to --extended');
  if ((options.graphSeed !== undefined || options.graphRegular) && !options.graph) throw new CliError('--graph-seed and --graph-regular apply to --graph p,q');
  if (options.step !== undefined && options.optimizer !== 'gd') throw new CliError('--step needs --optimizer gd');
  const every = options.every ?? (options.jsonl ? 10 : 0);
  return {
    K: options.classes,
    D: options.dim,
    n: options.perClass,
    counts: options.counts,
    loss,
    lambdaW: options.lambdaW,
    lambdaH: options.lambdaH,
    lambdaB: options.lambdaB,
    bias: options.bias,
    normalized: options.normalized ? { tauH: options.tauH, tauW: options.tauW } : undefined,
    extended: options.extended ? { hidden: options.hidden } : undefined,
    graph: options.graph ? { p: options.graph[0], q: options.graph[1], seed: options.graphSeed ?? options.seed, regular: options.graphRegular } : undefined,
    seed: options.seed,
    optimizer: options.optimizer,
    step: options.step,
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
    every,
    hessian: options.hessian,
    onMeasure: every > 0 ? onMeasure : undefined,
  };
}

function toJson(result: UfmResult): UfmJson {
  const out: UfmJson = {
    loss: lossLabel(result.problem.loss),
    converged: result.converged,
    iterations: result.iterations,
    finalLoss: result.finalLoss,
    gradientNorm: result.gradientNorm,
    metrics: result.report.metrics,
    logits: result.logits,
    norms: result.norms,
    closedForm: result.closedForm,
    orthogonalFrame: result.orthogonalFrame,
    seconds: result.seconds,
  };
  if (result.hessian) {
    const h = result.hessian;
    out.hessian = { conditionNumber: Number.isFinite(h.conditionNumber) ? h.conditionNumber : null, minEigenvalue: h.minEigenvalue, maxEigenvalue: h.maxEigenvalue, dimension: h.dimension, removed: h.removed };
  }
  if (result.minority !== undefined) out.minority = result.minority;
  if (Object.keys(result.reports).length > 1) out.layers = Object.fromEntries(Object.entries(result.reports).map(([k, r]) => [k, r.metrics]));
  return out;
}

/**
 * Runs the simulator once per loss; writes the trajectories (all runs, one file) atomically if asked; returns the
 * text or JSON for stdout. Every option is checked (and the losses resolved) before the first run.
 */
export async function runUfm(options: UfmCommandOptions): Promise<string> {
  const { resolveLoss, resolveProblem, simulateUfm } = await loadUfm();
  const specs = lossSpecs(options);
  for (const spec of specs) resolveLoss(spec);
  if (options.jsonl !== undefined && options.jsonl.trim() === '') throw new CliError('--jsonl: empty file name');
  const lines: string[] = [];
  const results: UfmResult[] = [];
  const runs = specs.map((spec) => simulatorOptions(options, spec, (m) => void lines.push(JSON.stringify(m))));
  for (const run of runs) resolveProblem(run); // every problem is checked before the first run starts
  for (const run of runs) results.push(await simulateUfm(run));
  if (options.jsonl !== undefined) await writeFileAtomic(resolve(options.jsonl), lines.join('\n') + '\n');
  if (options.json) {
    const json = results.map(toJson);
    return JSON.stringify(json.length === 1 ? json[0] : json, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n';
  }
  const text = results.length === 1 ? single(results[0], options) : comparison(results, options);
  return text + (options.jsonl ? `  wrote ${options.jsonl}: ${lines.length} measurement${lines.length === 1 ? '' : 's'} (plot with: ncscope report ${options.jsonl} -o ufm.html)\n` : '');
}

function describeProblem(r: UfmResult): string {
  const p = r.problem;
  const balanced = p.counts.every((c) => c === p.counts[0]);
  const parts = [`K = ${p.K}, D = ${p.D}, ${balanced ? `n = ${p.counts[0]} per class` : `counts ${p.counts.join(',')}`} (N = ${p.N})`];
  if (p.normalized) parts.push(`normalized (τ_h = ${p.normalized.tauH}, τ_w = ${p.normalized.tauW})`);
  else parts.push(`λ_W = ${p.lambdaW}, λ_H = ${p.lambdaH}`);
  parts.push(p.bias === 'regularized' ? `bias regularized (λ_b = ${p.lambdaB})` : `bias ${p.bias}`);
  if (p.extended) parts.push(`extended (hidden ${p.extended.hidden}, λ_W₁ = ${p.extended.lambdaW1})`);
  if (p.graph) parts.push(`graph: ${p.graph.regular ? 'regular ' : ''}SBM p = ${p.graph.p}, q = ${p.graph.q}${r.graph ? ` (${r.graph.edges} edges)` : ''}`);
  return parts.join(', ');
}

function outcome(r: UfmResult, options: UfmCommandOptions): string {
  const method = options.optimizer === 'gd' ? `gradient descent${options.step ? ` (step ${options.step})` : ''}` : 'L-BFGS';
  const how = r.converged ? `converged in ${r.iterations} iterations` : `stopped after ${r.iterations} iterations (${r.stop}) without converging`;
  return `${method}: ${how}, ‖∇f‖ = ${formatNumber(r.gradientNorm)}, objective ${formatNumber(r.finalLoss)} (data term ${formatNumber(r.dataLoss)}), ${r.seconds.toFixed(2)} s`;
}

function pad(rows: string[][], indent = '  '): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c] - [...cell].length))).join('  ').trimEnd());
}

function single(r: UfmResult, options: UfmCommandOptions): string {
  const cf = r.closedForm;
  const lines = [`ncscope ufm: ${lossLabel(r.problem.loss)}; ${describeProblem(r)}`, `  ${outcome(r, options)}`, ''];
  const quantities: [string, number, number | undefined][] = [
    ['true-class logit (mean)', r.logits.trueMean, cf?.logits.trueMean],
    ['other logits (mean)', r.logits.otherMean, cf?.logits.otherMean],
    ['‖W‖²_F', r.norms.W, cf?.norms.W],
    ['‖H‖²_F', r.norms.H, cf?.norms.H],
  ];
  lines.push(...pad([['quantity', 'simulated', 'closed form'], ...quantities.map(([n, s, c]) => [n, formatNumber(s), c === undefined ? '—' : formatNumber(c)])]));
  lines.push(cf ? `  closed form: ${cf.structure} — ${cf.source}` : '  closed form: none for this variant');
  lines.push('');
  for (const [layer, report] of Object.entries(r.reports)) {
    if (Object.keys(r.reports).length > 1) lines.push(`  layer ${layer}`);
    const rows = [['metric', 'value', 'definition']];
    for (const m of metricRows(report)) rows.push([m.label, formatNumber(m.value), m.formula]);
    lines.push(...pad(rows));
  }
  lines.push(`  orthogonal-frame error (uncentred means, W): ${formatNumber(r.orthogonalFrame.means)}, ${formatNumber(r.orthogonalFrame.weights)}`);
  if (r.hessian) lines.push(`  Hessian (${r.hessian.dimension} directions after removing ${describeRemoved(r.hessian.removed)}): κ = ${formatNumber(r.hessian.conditionNumber)}, λ ∈ [${formatNumber(r.hessian.minEigenvalue)}, ${formatNumber(r.hessian.maxEigenvalue)}]`);
  if (r.minority) lines.push(`  minority collapse (ratio ${r.minority.imbalanceRatio}): cos of minority classifier rows ${formatNumber(r.minority.minorityCosine ?? NaN)}, majority ${formatNumber(r.minority.majorityCosine ?? NaN)}, norm ratio ${formatNumber(r.minority.normRatio)}`);
  return lines.join('\n') + '\n';
}

function describeRemoved(removed: Record<string, number>): string {
  return Object.entries(removed).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k === 'biasShift' ? 'bias shift' : k === 'sphereNormals' ? 'sphere normals' : k}`).join(', ') || 'nothing';
}

function comparison(results: UfmResult[], options: UfmCommandOptions): string {
  const lines = [`ncscope ufm: ${describeProblem(results[0])}`, ''];
  const head = ['loss', 'conv', 'iters', 'objective', 'NC1', 'ETF(M)', 'ETF(W)', 'NC3 (Zhu)', 'true logit', '(closed)', 'other', '(closed)', '‖W‖²', '(closed)'];
  if (options.hessian) head.push('κ(Hessian)');
  const rows = results.map((r) => {
    const m = r.report.metrics;
    const cf = r.closedForm;
    const row = [
      lossLabel(r.problem.loss), r.converged ? 'yes' : 'no', String(r.iterations), formatNumber(r.finalLoss),
      formatNumber(m.nc1), formatNumber(m.etfErrorMeans), formatNumber(m.etfErrorWeights), formatNumber(m.nc3Zhu),
      formatNumber(r.logits.trueMean), cf ? formatNumber(cf.logits.trueMean) : '—',
      formatNumber(r.logits.otherMean), cf ? formatNumber(cf.logits.otherMean) : '—',
      formatNumber(r.norms.W), cf ? formatNumber(cf.norms.W) : '—',
    ];
    if (options.hessian) row.push(formatNumber(r.hessian?.conditionNumber));
    return row;
  });
  lines.push(...pad([head, ...rows]));
  const method = options.optimizer === 'gd' ? `gradient descent${options.step ? ` (step ${options.step})` : ''}` : 'L-BFGS';
  lines.push('', `  ${method}, seed ${options.seed}; NC metrics of H with the classifier (W, b); closed forms from closedForm() where the papers give one`);
  return lines.join('\n') + '\n';
}
