/**
 * The metric catalogue is the one list of metric keys: every key a report carries has an entry (aliases of renamed
 * keys included), every entry of `report.metrics` is produced by some report, `needs` says truly when a key is
 * present, and other layers can register groups of their own.
 */
import { describe, expect, it } from 'vitest';
import {
  MeansAccumulator,
  ScatterAccumulator,
  SpreadAccumulator,
  computeReport,
  metricCatalogue,
  metricEntry,
  metricFormula,
  metricGroups,
  metricKeys,
  registerMetricGroup,
  withAliases,
  type MetricEntry,
  type NcReport,
} from '@ncscope/core';
import { makeCase } from './helpers.js';

const ds = makeCase(31, { N: 240, D: 9, K: 5 });
const classifier = { weights: ds.W!, bias: ds.b! };
const consumer = { weights: Float64Array.from({ length: 4 * ds.D }, (_, i) => Math.sin(i + 1)), outputs: 4, name: 'next' };

async function reports(): Promise<Record<string, NcReport>> {
  const means = new MeansAccumulator().add({ features: ds.features, labels: ds.labels }).statistics;
  const spread = await (await SpreadAccumulator.create(means, { classifier })).add({ features: ds.features, labels: ds.labels });
  const plain = await (await SpreadAccumulator.create(means)).add({ features: ds.features, labels: ds.labels });
  const scatter = (await new ScatterAccumulator({ D: ds.D, K: ds.K }).add({ features: ds.features, labels: ds.labels })).statistics;
  return {
    meansOnly: await computeReport(means, undefined),
    spread: await computeReport(means, plain.statistics),
    classifier: await computeReport(means, spread.statistics, { classifier }),
    consumer: await computeReport(means, plain.statistics, { consumer }),
    centralPath: await computeReport(means, spread.statistics, { classifier, consumer, centralPath: { scatter, lambda: 0.01 } }),
  };
}

describe('the metric catalogue', () => {
  const entries = metricCatalogue({ section: 'metrics' });

  it('every key a report carries has an entry; every entry of report.metrics is produced; aliases carry the same value', async () => {
    const all = await reports();
    const produced = new Set(Object.values(all).flatMap((r) => Object.keys(r.metrics)));
    expect([...produced].filter((k) => metricEntry(k) === undefined), 'report keys without a catalogue entry').toEqual([]);
    expect(entries.map((e) => e.key).filter((k) => !produced.has(k)), 'catalogue entries no report produces').toEqual([]);
    for (const r of Object.values(all)) {
      for (const e of entries) for (const a of e.aliases ?? []) expect((r.metrics as Record<string, unknown>)[a]).toBe((r.metrics as Record<string, unknown>)[e.key]);
    }
  });

  it("`needs` says when a key is present: the spread pass, a classifier, a consumer, the central path", async () => {
    const all = await reports();
    const has = (r: NcReport, e: MetricEntry) => (r.metrics as Record<string, unknown>)[e.key] !== undefined;
    for (const e of entries) {
      expect(has(all.meansOnly, e), `${e.key} without the spread pass`).toBe(e.needs.length === 0 || e.needs.every((n) => n === 'alignmentLimit'));
      expect(has(all.centralPath, e), `${e.key} with everything`).toBe(true);
      if (e.needs.includes('classifier')) expect(has(all.spread, e), `${e.key} without a classifier`).toBe(false);
      if (e.needs.includes('consumer')) expect(has(all.classifier, e), `${e.key} without a consumer`).toBe(false);
      if (e.needs.includes('centralPath')) expect(has(all.classifier, e), `${e.key} without central-path statistics`).toBe(false);
    }
  });

  it('every entry is complete: unique keys and aliases, a label, a formula, a group of its section, presets including ncscope', () => {
    const keys = entries.flatMap((e) => [e.key, ...(e.aliases ?? [])]);
    expect(new Set(keys).size).toBe(keys.length);
    const groups = new Set(metricGroups('metrics').map((g) => g.id));
    for (const e of entries) {
      expect(e.label && e.name && e.short && e.symbol && e.formula && e.meaning, e.key).toBeTruthy();
      expect(e.short.length, `${e.key}: short header`).toBeLessThanOrEqual(12);
      expect(groups.has(e.group), e.key).toBe(true);
      expect(e.presets, e.key).toContain('ncscope');
    }
    expect(metricKeys()).toEqual(entries.map((e) => e.key));
  });

  it('formulas follow the conventions that change them (NC1 without /K, NC4 without the bias)', () => {
    expect(metricFormula(metricEntry('nc1')!, { nc1Normalization: 'K' })).toBe('Tr(Σ_W Σ_B⁺)/K');
    expect(metricFormula(metricEntry('nc1')!, { nc1Normalization: 'none' })).toBe('Tr(Σ_W Σ_B⁺)');
    expect(metricFormula(metricEntry('nc4NccMismatch')!, { nc4Bias: false })).not.toContain('+b');
    expect(metricEntry('coherence')!.key).toBe('maxAngleMeans');
  });

  it('a layer registers a group of its own section (not NcMetrics) without touching core; duplicates are refused', () => {
    const group = { id: 'test-detection', section: 'test-ood', short: 'detection', title: 'OOD detection', blurb: 'How well a score separates two sets.' };
    const auroc: MetricEntry = {
      key: 'auroc', section: 'test-ood', group: 'test-detection', label: 'AUROC', name: 'AUROC', short: 'AUROC', symbol: 'AUROC', formula: 'P(s_out > s_in)',
      meaning: 'area under the ROC curve (1 = separated)', atCollapse: '→ 1', paper: 'Fawcett 2006', better: 'higher', format: 'fraction', log: false, presets: ['ncscope'], needs: [],
    };
    registerMetricGroup(group, [auroc]);
    expect(metricCatalogue({ section: 'test-ood' }).map((e) => e.key)).toEqual(['auroc']);
    expect(metricEntry('auroc', 'test-ood')?.label).toBe('AUROC');
    expect(metricEntry('auroc')).toBeUndefined(); // another section
    registerMetricGroup(group, [{ ...auroc, label: 'AUROC (again)' }]); // same id: replaced
    expect(metricCatalogue({ section: 'test-ood' }).map((e) => e.label)).toEqual(['AUROC (again)']);
    expect(() => registerMetricGroup({ ...group, id: 'test-other' }, [{ ...auroc, group: 'test-other' }])).toThrow(/already in the catalogue/);
    expect(() => registerMetricGroup({ ...group, id: 'test-wrong' }, [{ ...auroc, key: 'fpr95' }])).toThrow(/registered with group/);
    expect(withAliases({ maxAngleMeans: 0.5 })).toEqual({ maxAngleMeans: 0.5, coherence: 0.5 });
  });
});
