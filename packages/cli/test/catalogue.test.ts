/**
 * The CLI's table, trend table and JSON read core's metric catalogue: every metric of a report appears in the table
 * with its catalogue label and formula; renamed keys keep their aliases in the JSON; the ONNX trend table's columns are
 * the catalogue's headline metrics.
 */
import { describe, expect, it } from 'vitest';
import { metricCatalogue, metricEntry, metricFormula, type NcReport } from '@ncscope/core';
import { formatTrend } from '../src/commands/onnx.js';
import { GOLDEN, runCli } from './helpers/run.js';

const golden = (name: string) => `${GOLDEN}balanced/${name}.npy`;
const args = ['analyze', '--features', golden('features'), '--labels', golden('labels'), '--weights', golden('weights'), '--bias', golden('bias'), '--engine', 'js'];

describe('CLI output from the metric catalogue', () => {
  it('the table shows every metric of the report (aliases left out) with its label and formula, in catalogue order', async () => {
    const json = JSON.parse((await runCli([...args, '--json'])).stdout) as NcReport;
    const table = (await runCli(args)).stdout;
    const keys = Object.keys(json.metrics).filter((k) => metricEntry(k)?.key === k);
    expect(keys.length).toBeGreaterThan(20);
    let at = 0;
    for (const key of metricCatalogue({ section: 'metrics' }).map((e) => e.key).filter((k) => keys.includes(k))) {
      const e = metricEntry(key)!;
      const line = table.split('\n').find((l) => l.trimStart().startsWith(`${e.label} `));
      expect(line, `${key}: no table line labelled "${e.label}"`).toBeDefined();
      expect(line).toContain(metricFormula(e, json.conventions));
      const pos = table.indexOf(line!);
      expect(pos, `${key} out of catalogue order`).toBeGreaterThan(at);
      at = pos;
    }
    // maxAngleMeans was also reported as "coherence": the JSON keeps the alias (same value) for one release.
    expect((json.metrics as Record<string, number>).coherence).toBe(json.metrics.maxAngleMeans);
    expect(table).not.toMatch(/^\s+coherence\s/m);
  });

  it('the trend table has one column per headline metric a report carries', async () => {
    const report = JSON.parse((await runCli([...args, '--json'])).stdout) as NcReport;
    const trend = formatTrend([{ model: 'a.onnx', step: 0, tensor: 'h', report }]);
    const header = trend.split('\n')[1];
    const headline = metricCatalogue({ section: 'metrics' }).filter((e) => e.headline && (report.metrics as Record<string, unknown>)[e.key] !== undefined);
    expect(headline.length).toBeGreaterThan(5);
    for (const e of headline) expect(header).toContain(e.short);
  });
});
