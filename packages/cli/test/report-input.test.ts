/**
 * `ncscope report` input handling, without a browser: JSONL parsing errors carry file and line, empty input writes
 * nothing, output appears atomically, run grouping and --step choose what is drawn.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NcInputError, analyze, toMeasurement } from '@ncscope/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { parseMeasurements, readRuns, renderHtmlReport, runsFromMeasurements, writeHtmlReport } from '../src/html/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/runs/', import.meta.url));
const CE = join(FIXTURES, 'cross-entropy.jsonl');
const LS = join(FIXTURES, 'label-smoothing.jsonl');
const ceLines = readFileSync(CE, 'utf8').trim().split('\n');
const good = ceLines[0];

/** Runs `fn`, expecting an NcInputError; returns it. */
function caught(fn: () => unknown): NcInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NcInputError);
    return e as NcInputError;
  }
  throw new Error('expected an NcInputError');
}

async function caughtAsync(p: Promise<unknown>): Promise<NcInputError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(NcInputError);
  return e as NcInputError;
}

/** Runs the CLI, capturing stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'ncscope', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('parseMeasurements', () => {
  it('reads one measurement per line, skipping blank lines', () => {
    const ms = parseMeasurements(`${ceLines[0]}\n\n${ceLines[1]}\r\n${ceLines[2]}\n`, 'a.jsonl');
    expect(ms.map((m) => m.step)).toEqual([0, 1, 2]);
    expect(ms[2]).toEqual(JSON.parse(ceLines[2]));
  });

  it('names the file and line of text that is not JSON (line numbers count blank lines)', () => {
    const e = caught(() => parseMeasurements(`${good}\n\n{"schema": "ncscope.measurement/1", "step": \n${good}\n`, 'runs/nc.jsonl'));
    expect(e.code).toBe('BAD_MEASUREMENT_FILE');
    expect(e.message).toMatch(/^runs\/nc\.jsonl:3: not valid JSON/);
    expect(e.where).toEqual({ source: 'runs/nc.jsonl', row: 3 });
  });

  it('says a last line cut short may be a log still being written', () => {
    const e = caught(() => parseMeasurements(`${good}\n${good.slice(0, 200)}`, 'nc.jsonl'));
    expect(e.message).toMatch(/^nc\.jsonl:2: not valid JSON .*cut off/);
  });

  it('refuses other schemas, missing steps and malformed per-class data, by line', () => {
    const m = JSON.parse(good);
    const cases: [object, RegExp][] = [
      [{ ...m, schema: 'ncscope.stats/1' }, /^f:2: schema is "ncscope.stats\/1", expected "ncscope.measurement\/1"/],
      [{ ...m, step: undefined }, /^f:2: "step" must be a finite number/],
      [{ ...m, step: '3' }, /^f:2: "step" must be a finite number, got "3"/],
      [{ ...m, K: 0 }, /^f:2: "K" must be a positive integer/],
      [{ ...m, metrics: { ...m.metrics, nc1: 'small' } }, /^f:2: metrics\.nc1 must be a number/],
      [{ ...m, perClass: { ...m.perClass, cosineMeans: m.perClass.cosineMeans.slice(1) } }, /^f:2: perClass\.cosineMeans must be a 10×10 array/],
      [{ ...m, perClass: { ...m.perClass, meanNorms: [1, 2] } }, /^f:2: perClass\.meanNorms must hold K = 10 numbers/],
      [{ ...m, perClass: { ...m.perClass, meansProjection2d: undefined } }, /^f:2: perClass\.meansProjection2d/],
      [[1, 2], /^f:2: expected a JSON object, got an array/],
    ];
    for (const [value, message] of cases) {
      const e = caught(() => parseMeasurements(`${good}\n${JSON.stringify(value)}\n`, 'f'));
      expect(e.code).toBe('BAD_MEASUREMENT_FILE');
      expect(e.message).toMatch(message);
    }
  });

  it('reads NaN metrics (written by JSON as null) as missing values, not errors', () => {
    const m = JSON.parse(good);
    const [parsed] = parseMeasurements(JSON.stringify({ ...m, metrics: { ...m.metrics, nc1: NaN } }), 'f');
    expect(parsed.metrics.nc1).toBeNull();
  });

  it('accepts bare reports (schema ncscope.report/1), stepping them by their order, and a pretty-printed file', async () => {
    const features = Float64Array.from({ length: 12 }, (_, i) => (i % 3) + 0.1 * Math.sin(i));
    const { report } = await analyze([{ features, labels: Int32Array.from([0, 1, 2, 0, 1, 2]) }]);
    // The second line has the extra keys of `ncscope analyze --json`.
    const analyzeJson = { ...report, engine: 'js', timing: { readSeconds: 0, computeSeconds: 0 }, inputs: {} };
    const ms = parseMeasurements(`${JSON.stringify(report)}\n${JSON.stringify(analyzeJson)}\n`, 'r.jsonl');
    expect(ms.map((m) => [m.schema, m.step, m.K])).toEqual([['ncscope.measurement/1', 0, 3], ['ncscope.measurement/1', 1, 3]]);
    const pretty = parseMeasurements(JSON.stringify(toMeasurement(report, { step: 5 }), null, 2), 'p.json');
    expect(pretty.map((m) => m.step)).toEqual([5]);
  });
});

describe('readRuns', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ncscope-report-in-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('groups by the run field, falls back to the file name, and sorts each run by step', async () => {
    const m = JSON.parse(good);
    const a = join(dir, 'first.jsonl');
    const b = join(dir, 'second.jsonl');
    const { run: _omit, ...anonymous } = m;
    writeFileSync(a, [{ ...anonymous, step: 4 }, { ...anonymous, step: 2 }, { ...m, run: 'x', step: 1 }].map((v) => JSON.stringify(v)).join('\n'));
    writeFileSync(b, JSON.stringify({ ...m, run: 'x', step: 0 }));
    const runs = await readRuns([a, b]);
    expect(runs.map((r) => [r.name, r.sources, r.measurements.map((s) => s.step)])).toEqual([
      ['first', [a], [2, 4]],
      ['x', [a, b], [0, 1]],
    ]);
  });

  it('splits a run that measured several layers into one curve per layer', async () => {
    const m = JSON.parse(good);
    const f = join(dir, 'nc.jsonl');
    writeFileSync(f, [1, 2].flatMap((step) => ['dense_1', 'features'].map((layer) => JSON.stringify({ ...m, run: 'mlp', step, epoch: step - 1, layer }))).join('\n'));
    const runs = await readRuns([f]);
    expect(runs.map((r) => [r.name, r.measurements.map((x) => x.step)])).toEqual([['mlp · dense_1', [1, 2]], ['mlp · features', [1, 2]]]);
    const { html } = await renderHtmlReport(runs.slice(1));
    expect(html).toContain('>epochs completed</text>');
    expect(html).toContain('Snapshot: mlp · features at step 2 (epoch 1)</h2>');
  });

  it('names a missing file', async () => {
    const e = await caughtAsync(readRuns([join(dir, 'nope.jsonl')]));
    expect(e.message).toMatch(/nope\.jsonl: cannot read \(no such file\)/);
  });
});

describe('writeHtmlReport and ncscope report', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ncscope-report-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses empty input with a clear message and writes no file', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n\n');
    const out = join(dir, 'report.html');
    const e = await caughtAsync(writeHtmlReport(await readRuns([empty]), out));
    expect(e.code).toBe('NO_DATA');
    expect(e.message).toBe(`nothing to report: no measurements`);
    const r = await cli('report', empty, '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ncscope: error: nothing to report: no measurements/);
    expect(r.out).toBe('');
    expect(readdirSync(dir)).toEqual(['empty.jsonl']);
  });

  it('stops at a malformed line, naming file and line, without touching an existing output file', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${good}\n${good}\nnot json\n`);
    const out = join(dir, 'report.html');
    writeFileSync(out, 'previous report');
    const r = await cli('report', CE, bad, '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`ncscope: error: ${bad}:3: not valid JSON (${errorOf('not json')})\n`);
    expect(readFileSync(out, 'utf8')).toBe('previous report');
    expect(readdirSync(dir).sort()).toEqual(['bad.jsonl', 'report.html']);
  });

  it('writes the page whole, replacing an older one, and leaves no temporary file', async () => {
    const out = join(dir, 'report.html');
    writeFileSync(out, 'previous report');
    const r = await cli('report', CE, LS, '-o', out, '--title', 'CE <vs> LS');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote .*report\.html: 2 runs, 28 measurements, 36 plots, \d+ KiB\n$/);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<title>CE &lt;vs&gt; LS</title>');
    expect(readdirSync(dir)).toEqual(['report.html']);
  });

  it('creates missing parent folders; reports an unwritable output path as a one-line error', async () => {
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, good);
    const nested = await cli('report', small, '-o', join(dir, 'new', 'folder', 'report.html'));
    expect(nested.err).toBe('');
    expect(nested.code).toBe(0);
    expect(readFileSync(join(dir, 'new', 'folder', 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    rmSync(join(dir, 'new'), { recursive: true });
    const r = await cli('report', small, '-o', join(dir, 'small.jsonl', 'report.html'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ncscope: error: .*small\.jsonl\/report\.html: --output: .*small\.jsonl is a file, not a folder\n$/);
    expect(readdirSync(dir)).toEqual(['small.jsonl']);
    expect(readFileSync(small, 'utf8')).toBe(good);
  });

  it('--step picks the snapshot measurement; a step no run has is refused with the steps present', async () => {
    // The first three epochs of each fixture run, and epoch 3 of cross-entropy only.
    const lsLines = readFileSync(LS, 'utf8').trim().split('\n');
    const runs = [...runsFromMeasurements(parseMeasurements(ceLines.slice(0, 4).join('\n'), 'ce'), 'ce'), ...runsFromMeasurements(parseMeasurements(lsLines.slice(0, 3).join('\n'), 'ls'), 'ls')];
    const last = await renderHtmlReport(runs);
    expect(last.html).toContain('Snapshot: cross-entropy at epoch 3</h2>');
    expect(last.html).toContain('Snapshot: label-smoothing at epoch 2</h2>');
    const only = await renderHtmlReport(runs, { step: 3 });
    expect(only.html).toContain('Snapshot: cross-entropy at epoch 3</h2>');
    expect(only.html).toContain('<h2>Snapshot: label-smoothing</h2><p class="note">This run has no measurement at step 3.</p>');
    const e = await caughtAsync(renderHtmlReport(runs, { step: 7 }));
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toBe('no run has a measurement at step 7; steps present: 0, 1, 2, 3');
    const many = runsFromMeasurements(parseMeasurements(ceLines.join('\n'), 'ce'), 'ce');
    const e2 = await caughtAsync(renderHtmlReport(many, { step: 7 }));
    expect(e2.message).toBe('no run has a measurement at step 7; steps present: 0, 1, 2, …, 20, 24 (14 distinct)');
    const r = await cli('report', CE, '-o', join(dir, 'r.html'), '--step', 'ten');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--step.*expected a number/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('draws a single measurement (e.g. from ncscope analyze) as a snapshot without trends', async () => {
    const [m] = parseMeasurements(good, 'one.jsonl');
    const { html, plots } = await renderHtmlReport(runsFromMeasurements([m], 'features.npy'));
    expect(plots).toBe(9);
    expect(html).toContain('Each run has one measurement, so there are no trends to plot');
    expect(html).not.toContain('id="trend-');
  });

  it('averages blocks of classes in heatmaps and summarises K × K tables row by row when K is large', async () => {
    const K = 64;
    const D = 70;
    const features = Float64Array.from({ length: 2 * K * D }, (_, i) => ((Math.floor(i / D) % K) === (i % D) ? 3 : 0) + Math.sin(i * 7.1));
    const labels = Int32Array.from({ length: 2 * K }, (_, i) => i % K);
    const { report } = await analyze([{ features, labels }]);
    const { html } = await renderHtmlReport(runsFromMeasurements([toMeasurement(report, { step: 0 })], 'wide'));
    const fig = html.match(/<figure class="plot" id="snapshot-1-cosine-means".*?<\/figure>/s)![0];
    const cells = fig.match(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/s)![1].match(/<path/g)!.length;
    expect(cells).toBe(32 * 32);
    expect(fig).toContain('Each cell averages a block of up to 2 × 2 class pairs (K = 64).');
    expect(fig).toContain('<th>mean over l ≠ k</th>');
    expect(fig.match(/<tr>/g)!.length).toBe(K + 1);
  });

  it('labels the x axis by checkpoint when the measurements name checkpoints (ncscope onnx)', async () => {
    const ms = parseMeasurements(ceLines.slice(0, 3).join('\n'), 'x').map((m, i) => ({ ...m, run: undefined, epoch: undefined, step: i, checkpoint: `ckpt-${i}.onnx` }));
    const { html } = await renderHtmlReport(runsFromMeasurements(ms, 'resnet'));
    expect(html).toContain('0: ckpt-0.onnx, 1: ckpt-1.onnx, 2: ckpt-2.onnx');
    expect(html).toContain('Snapshot: resnet at checkpoint index 2 (ckpt-2.onnx)</h2>');
    expect(html).toContain('>checkpoint index</text>');
  });
});

function errorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
