import type { PresetName } from '../conventions.js';
import { NcInputError } from '../errors.js';

/**
 * The metric catalogue: one entry per key a report carries, said once — its label, symbol, formula, paper, which way
 * is better, how to format it, its group and the presets whose reference codebases report it. The CLI's table, the
 * JSON aliases, the HTML report's plots and metric list, the tfjs callback's history keys and the trend tables of
 * the ONNX and language-model commands all read it; a test fails when a report carries a key without an entry or an
 * entry is never produced.
 *
 * Groups are registered, not switched on: a layer with keys of its own (out-of-distribution scores and detection
 * metrics, token-level counts, …) calls {@link registerMetricGroup} once with its group and entries, under its own
 * `section` (the report field holding the keys), and every table and page lists them. See docs/architecture.md.
 */

/** Which way is better: towards 0 (`lower`: NC1, ETF errors), towards 1 (`higher`: accuracies, alignment), or neither. */
export type BetterDirection = 'lower' | 'higher' | 'none';

/** How a value prints: a plain number, a fraction in [0, 1] (accuracies, rates), degrees, a count, seconds. */
export type MetricFormat = 'number' | 'fraction' | 'degrees' | 'count' | 'seconds';

/**
 * What a metric needs besides the class means: the spread pass, a classifier, the layer consuming the features,
 * single-pass scatter statistics with λ (the MSE central path), or at most `alignmentLimit` classes.
 */
export type MetricNeed = 'spread' | 'classifier' | 'consumer' | 'centralPath' | 'alignmentLimit';

/** The conventions a formula's text depends on (a report's `conventions`). */
export interface FormulaConventions {
  nc1Normalization?: 'K' | 'none';
  nc4Bias?: boolean;
}

/** One metric: everything a table, a page or a log needs to show it. */
export interface MetricEntry {
  /** The key in its section (`report.metrics.nc1`); stable: JSON, JSONL and tfjs logs use it. */
  key: string;
  /** The report field holding the key: `metrics` for core's NC metrics; other layers name theirs (`ood`, `tokens`). */
  section: string;
  /** The group (see {@link MetricGroupEntry}); tables and pages list groups in registration order. */
  group: string;
  /** Short label for tables: `NC1 quotient`. */
  label: string;
  /** Name for plot titles and metric lists: `equinorm (means)`. */
  name: string;
  /** At most ~12 characters, for a column of a trend table: `NC1 quot.`. */
  short: string;
  /** The property or quantity it measures: `NC1`, `NC2`, `NC3`, `NC4`, `CDNV`, `GNC2`, … */
  symbol: string;
  /** The definition, in the notation of docs/architecture.md. */
  formula: string;
  /** The definition under a report's conventions, when it depends on them (NC1's /K, NC4's bias). */
  formulaFor?: (conventions: FormulaConventions) => string;
  /** What the value says, in a few words, with its value at collapse: `within-class variability vs between-class (0 = collapsed)`. */
  meaning: string;
  /** Where it goes as training collapses: `→ 0`, `→ 1`, `→ √(2K/(K−1)) at an ETF`. */
  atCollapse: string;
  /** The paper (or codebase) that defined it: `Papyan, Han & Donoho 2020`. */
  paper: string;
  better: BetterDirection;
  format: MetricFormat;
  /** Plotted on a log axis when every value is positive (quantities that fall over orders of magnitude). */
  log: boolean;
  /** Presets (reference codebases) that report this metric; `ncscope` reports every core metric. */
  presets: readonly PresetName[];
  /** What the report needs to carry it (absent otherwise). */
  needs: readonly MetricNeed[];
  /** One of the few metrics of a trend table (one row per checkpoint or epoch). */
  headline?: boolean;
  /** Divides by the between-class geometry: NaN (null in JSON) when that is degenerate. */
  degenerateNaN?: boolean;
  /** Earlier names of the key, still written beside it (same value) for one release, then removed. */
  aliases?: readonly string[];
}

/** A group of metrics: a block of the report page, a part of the table. */
export interface MetricGroupEntry {
  id: string;
  /** The section its entries live in (`metrics`, `ood`, …). */
  section: string;
  /** Name in the page's navigation bar. */
  short: string;
  title: string;
  /** One or two sentences for the page. */
  blurb: string;
}

interface Registered {
  group: MetricGroupEntry;
  entries: readonly MetricEntry[];
}

const groups: Registered[] = [];

/**
 * Adds a group and its entries to the catalogue (or replaces a group registered before under the same id). Keys must
 * be unique within their section, aliases included; entries must name this group and its section.
 */
export function registerMetricGroup(group: MetricGroupEntry, entries: readonly MetricEntry[]): void {
  const others = groups.filter((g) => g.group.id !== group.id);
  const taken = new Set(others.flatMap((g) => g.entries.filter((e) => e.section === group.section).flatMap((e) => [e.key, ...(e.aliases ?? [])])));
  for (const e of entries) {
    if (e.group !== group.id || e.section !== group.section) {
      throw new NcInputError('BAD_OPTION', `metric "${e.key}" names group "${e.group}" in section "${e.section}" but is registered with group "${group.id}" in section "${group.section}"`);
    }
    for (const k of [e.key, ...(e.aliases ?? [])]) {
      if (taken.has(k)) throw new NcInputError('BAD_OPTION', `metric key "${k}" is already in the catalogue's section "${group.section}"`);
      taken.add(k);
    }
  }
  const at = groups.findIndex((g) => g.group.id === group.id);
  if (at >= 0) groups[at] = { group, entries };
  else groups.push({ group, entries });
}

/** The groups in registration order (optionally of one section). */
export function metricGroups(section?: string): MetricGroupEntry[] {
  return groups.filter((g) => section === undefined || g.group.section === section).map((g) => g.group);
}

/** Every entry in group order (optionally of one section, or one group). */
export function metricCatalogue(filter: { section?: string; group?: string } = {}): MetricEntry[] {
  return groups
    .filter((g) => (filter.section === undefined || g.group.section === filter.section) && (filter.group === undefined || g.group.id === filter.group))
    .flatMap((g) => g.entries);
}

/** The entry of `key` (or of an alias of it) in `section` (default `metrics`). */
export function metricEntry(key: string, section = 'metrics'): MetricEntry | undefined {
  return metricCatalogue({ section }).find((e) => e.key === key || e.aliases?.includes(key));
}

/** The keys of a section in catalogue order (default `metrics`), without aliases. */
export function metricKeys(section = 'metrics'): string[] {
  return metricCatalogue({ section }).map((e) => e.key);
}

/** The definition of an entry under a report's conventions. */
export function metricFormula(entry: MetricEntry, conventions: FormulaConventions = {}): string {
  return entry.formulaFor ? entry.formulaFor(conventions) : entry.formula;
}

/** `→ 0; Papyan, Han & Donoho 2020`: where a metric goes at collapse and who defined it. */
export function metricNote(entry: MetricEntry): string {
  return entry.paper ? `${entry.atCollapse}; ${entry.paper}` : entry.atCollapse;
}

/**
 * A section's values with the aliases of renamed keys added (same value), for JSON written during the release that
 * keeps them. Keys without an entry are kept as they are.
 */
export function withAliases<T extends object>(values: T, section = 'metrics'): T {
  const source = values as Record<string, unknown>;
  const out: Record<string, unknown> = { ...source };
  for (const e of metricCatalogue({ section })) {
    if (e.aliases && source[e.key] !== undefined) for (const a of e.aliases) out[a] = source[e.key];
  }
  return out as T;
}
