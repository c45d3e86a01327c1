import { NcInputError } from '../errors.js';
import { jsEngine } from './js-engine.js';
import type { ProductEngine } from './product-engine.js';

/**
 * The engine registry: where the products of the statistics run, chosen by name, and the one `auto` rule.
 *
 * Core registers `js` (its portable loops). A package with a faster engine registers it under its name —
 * `registerEngine('onnxruntime', () => import('@ncscope/onnx/engine').then((m) => m.createOnnxProductEngine()))`;
 * the CLI does so lazily, so a command that never needs it never loads it. `auto` picks the first registered
 * engine other than `js` when the spread phase's products are worth its start-up ({@link AUTO_ENGINE_MIN_WORK}),
 * and falls back to `js` (saying why) when it is not registered or fails to start.
 */

/** Options an engine factory receives. */
export interface EngineFactoryOptions {
  /** Execution providers for engines that have them (onnxruntime: `['cuda', 'cpu']`). */
  executionProviders?: readonly string[];
}

/** Creates a product engine (may load a native runtime; the caller disposes it with {@link releaseEngine}). */
export type EngineFactory = (options: EngineFactoryOptions) => ProductEngine | Promise<ProductEngine>;

/**
 * `auto` starts a registered fast engine only from this many multiply-adds of the spread phase (N·D·K, twice with a
 * classifier, summed over tensors): loading onnxruntime costs ~0.3–0.5 s on a 2-core machine while the JS engine does
 * ~1.5·10⁹ multiply-adds per second, so below this (≈ 0.3 s of JS work) `auto` uses `js`.
 */
export const AUTO_ENGINE_MIN_WORK = 5e8;

const registry = new Map<string, EngineFactory>([['js', () => jsEngine]]);

/** Registers (or replaces) an engine factory under `name` (`js` is core's and cannot be replaced). */
export function registerEngine(name: string, factory: EngineFactory): void {
  if (name === 'js' || name === 'auto') throw new NcInputError('BAD_OPTION', `the engine name "${name}" is reserved`);
  registry.set(name, factory);
}

/** Names of the registered engines, `js` first. */
export function engineNames(): string[] {
  return [...registry.keys()];
}

/** Multiply-adds of the spread phase: N rows against the K means, and against the K classifier rows. */
export function spreadWork(N: number, D: number, K: number, withClassifier: boolean): number {
  return N * D * K * (withClassifier ? 2 : 1);
}

/** The engine a run uses, why `auto` chose it, and whether the run created it (and so must release it). */
export interface SelectedEngine {
  engine: ProductEngine;
  /** Why `auto` chose `js`: a small input, or the fast engine failed to start. */
  note?: string;
  /** Created for this run by a factory (released by {@link releaseEngine}); false for `js` and given engines. */
  owned: boolean;
}

/** Options of {@link selectEngine}. */
export interface SelectEngineOptions extends EngineFactoryOptions {
  /** Factories that take precedence over the registry for this call (an adapter's own engine). */
  engines?: Readonly<Record<string, EngineFactory>>;
}

/**
 * Chooses the engine: `'auto'` (the rule above, given the spread phase's `work` in multiply-adds), a registered name,
 * or a ProductEngine object (used as given, never released). Unknown names and engines that fail to start when
 * named are BAD_OPTION errors.
 */
export async function selectEngine(choice: 'auto' | string | ProductEngine, work = Infinity, options: SelectEngineOptions = {}): Promise<SelectedEngine> {
  if (typeof choice === 'object' && choice !== null) return { engine: choice, owned: false };
  const factories = new Map([...registry, ...Object.entries(options.engines ?? {})]);
  const start = async (name: string) => {
    const engine = await factories.get(name)!({ executionProviders: options.executionProviders });
    return { engine, owned: engine !== jsEngine };
  };
  if (choice === 'js') return { engine: jsEngine, owned: false };
  if (choice === 'auto') {
    if (work < AUTO_ENGINE_MIN_WORK) return { engine: jsEngine, note: `auto: small input, ${work.toExponential(1)} multiply-adds`, owned: false };
    const fast = [...factories.keys()].find((n) => n !== 'js');
    if (fast === undefined) return { engine: jsEngine, owned: false };
    try {
      return await start(fast);
    } catch (e) {
      return { engine: jsEngine, note: `${fast} unavailable: ${firstLine(e)}`, owned: false };
    }
  }
  if (!factories.has(choice)) throw new NcInputError('BAD_OPTION', `unknown engine "${choice}"; choose auto or one of ${[...factories.keys()].join(', ')}`);
  try {
    return await start(choice);
  } catch (e) {
    throw NcInputError.at('BAD_OPTION', {}, `cannot start the ${choice} engine (${firstLine(e)})`);
  }
}

/** Releases an engine the run created (native sessions); never throws, so it cannot hide a result or an error. */
export async function releaseEngine(selected: SelectedEngine | undefined): Promise<void> {
  if (!selected?.owned) return;
  try {
    await selected.engine.dispose?.();
  } catch {
    // Disposal errors must not hide the result or the real error.
  }
}

function firstLine(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0];
}
