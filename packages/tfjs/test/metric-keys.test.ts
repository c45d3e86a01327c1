/** The callback's history keys come from core's metric catalogue, filtered by what each layer's reports can carry. */
import { describe, expect, it } from 'vitest';
import { metricEntry, metricKeys } from '@ncscope/core';
import { MEANS_ONLY_KEYS, METRIC_KEYS, layerMetricKeys } from '@ncscope/tfjs';

describe('log keys from the catalogue', () => {
  it('METRIC_KEYS is every catalogue key of report.metrics, in its order', () => {
    expect([...METRIC_KEYS]).toEqual(metricKeys('metrics'));
    expect(METRIC_KEYS).toContain('centralPathNC1');
  });

  it('a layer logs what its reports carry: never the central path; classifier metrics only where the classifier reads it', () => {
    const feeding = layerMetricKeys({ feedsClassifier: true });
    expect(feeding.filter((k) => metricEntry(k)!.needs.includes('centralPath'))).toEqual([]);
    expect(feeding).toContain('nc3Zhu');
    expect(feeding).toContain('subspaceAlignment');
    expect(MEANS_ONLY_KEYS.filter((k) => metricEntry(k)!.needs.some((n) => n === 'classifier' || n === 'consumer'))).toEqual([]);
    expect(MEANS_ONLY_KEYS).toContain('nccAccuracy');
    expect(layerMetricKeys({ feedsClassifier: false, consumer: {} })).toEqual([...MEANS_ONLY_KEYS.slice(0, MEANS_ONLY_KEYS.indexOf('nc1Svd')), 'subspaceAlignment', ...MEANS_ONLY_KEYS.slice(MEANS_ONLY_KEYS.indexOf('nc1Svd'))]);
  });
});
