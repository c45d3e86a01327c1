import { FileStore } from '@ncscope/io';
import { basename, extname } from 'node:path';
import { NcInputError, toMeasurement, type NcMeasurement, type NcReport } from '@ncscope/core';

/** One curve of a report: the measurements of one run, sorted by step. */
export interface ReportRun {
  /** Legend name: the measurements' `run` field, else the file name without its extension. */
  name: string;
  /** Files the measurements came from (for the inputs table); empty for in-memory runs. */
  sources: string[];
  measurements: NcMeasurement[];
}

const MEASUREMENT = 'ncscope.measurement/1';
const REPORT = 'ncscope.report/1';

/**
 * Parses the text of a measurement log. Accepted, in this order:
 *  - JSONL: one object per non-blank line, each `ncscope.measurement/1` (what the tfjs callback and
 *    `ncscope onnx --jsonl` write) or `ncscope.report/1` (a bare report; its step is its index among the lines);
 *  - a whole file holding one JSON object (e.g. a pretty-printed report or measurement).
 * A line that is not JSON, has another schema, or lacks a field the report draws throws
 * `NcInputError('BAD_MEASUREMENT_FILE')` whose message starts with `file:line:`.
 */
export function parseMeasurements(text: string, file: string): NcMeasurement[] {
  const lines = text.split(/\r?\n/);
  const nonBlank = lines.filter((l) => l.trim() !== '').length;
  // A pretty-printed single object spans several lines; try the whole text first when the lines alone are not JSON.
  if (nonBlank > 1 && text.trimStart().startsWith('{') && !isJson(lines.find((l) => l.trim() !== '')!)) {
    const whole = tryParse(text);
    if (whole.ok) return [checkMeasurement(whole.value, file, 1, 0)];
  }
  const out: NcMeasurement[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const parsed = tryParse(line);
    if (!parsed.ok) {
      // A last line that starts like a measurement after good ones: most likely a log still being written.
      const truncated = out.length > 0 && line.startsWith('{') && lines.slice(i + 1).every((l) => l.trim() === '');
      throw bad(file, i + 1, `not valid JSON (${parsed.error})${truncated ? '; the last line may have been cut off while the log was being written' : ''}`);
    }
    out.push(checkMeasurement(parsed.value, file, i + 1, out.length));
  }
  return out;
}

/** Reads and parses one measurement log (see {@link parseMeasurements}). */
export async function readMeasurements(path: string): Promise<NcMeasurement[]> {
  let text: string;
  try {
    text = await FileStore.readText(path); // regular files only: a FIFO or a device is refused, not read forever
  } catch (e) {
    const why = e instanceof NcInputError ? e.problem : (e as Error).message;
    throw NcInputError.at('BAD_MEASUREMENT_FILE', { source: path }, `cannot read (${why})`);
  }
  return parseMeasurements(text, path);
}

/**
 * Reads several logs and groups their measurements into runs by `run` name (or file name when a line has none).
 * Measurements of one name from several files join one run; each run is sorted by step (stable).
 */
export async function readRuns(paths: readonly string[]): Promise<ReportRun[]> {
  const runs = new Map<string, ReportRun>();
  for (const path of paths) {
    const fallback = basename(path, extname(path));
    for (const m of await readMeasurements(path)) {
      const name = m.run ?? fallback;
      let run = runs.get(name);
      if (!run) runs.set(name, (run = { name, sources: [], measurements: [] }));
      if (!run.sources.includes(path)) run.sources.push(path);
      run.measurements.push(m);
    }
  }
  return [...runs.values()].flatMap(splitLayers);
}

/** Wraps measurements held in memory (e.g. `ncscope onnx`'s checkpoints) as runs named by their `run` field or `name`. */
export function runsFromMeasurements(measurements: readonly NcMeasurement[], name: string): ReportRun[] {
  const runs = new Map<string, NcMeasurement[]>();
  for (const m of measurements) {
    const key = m.run ?? name;
    runs.set(key, [...(runs.get(key) ?? []), m]);
  }
  return [...runs].flatMap(([n, ms]) => splitLayers({ name: n, sources: [], measurements: ms }));
}

/**
 * A run that measured several layers (the tfjs callback writes one line per layer and epoch) becomes one curve per
 * layer, named "run · layer"; each curve is sorted by step.
 */
function splitLayers(run: ReportRun): ReportRun[] {
  const layers = [...new Set(run.measurements.map((m) => m.layer))];
  if (layers.length <= 1) return [{ ...run, measurements: sortByStep(run.measurements) }];
  return layers.map((layer) => ({
    name: `${run.name} · ${layer ?? '(no layer)'}`,
    sources: run.sources,
    measurements: sortByStep(run.measurements.filter((m) => m.layer === layer)),
  }));
}

function sortByStep(ms: NcMeasurement[]): NcMeasurement[] {
  return ms.map((m, i) => [m, i] as const).sort((a, b) => a[0].step - b[0].step || a[1] - b[1]).map(([m]) => m);
}

function bad(file: string, line: number, what: string): NcInputError {
  return new NcInputError('BAD_MEASUREMENT_FILE', `${file}:${line}: ${what}`, { source: file, row: line });
}

function isJson(s: string): boolean {
  return tryParse(s).ok;
}

function tryParse(s: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** JSON turns NaN and ±Inf into null; such a value is "not available", not an error. */
const isNumberOrNull = (v: unknown) => v === null || typeof v === 'number';
const isNumberArray = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every(isNumberOrNull);

/** Checks the fields the report draws; converts a bare report into a measurement at step `index`. */
function checkMeasurement(value: unknown, file: string, line: number, index: number): NcMeasurement {
  if (!isObject(value)) throw bad(file, line, `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  const schema = value.schema;
  if (schema === REPORT) value = toMeasurement(value as unknown as NcReport, { step: index, time: '' });
  else if (schema !== MEASUREMENT) {
    throw bad(file, line, `schema is ${JSON.stringify(schema)}, expected "${MEASUREMENT}" (a line of a tfjs callback log or \`ncscope onnx --jsonl\`) or "${REPORT}"`);
  }
  const m = value as Record<string, unknown>;
  if (typeof m.step !== 'number' || !Number.isFinite(m.step)) throw bad(file, line, `"step" must be a finite number, got ${JSON.stringify(m.step)}`);
  for (const key of ['N', 'D', 'K'] as const) {
    if (!Number.isInteger(m[key]) || (m[key] as number) < 1) throw bad(file, line, `"${key}" must be a positive integer, got ${JSON.stringify(m[key])}`);
  }
  if (m.run !== undefined && typeof m.run !== 'string') throw bad(file, line, `"run" must be a string, got ${JSON.stringify(m.run)}`);
  if (!isObject(m.conventions)) throw bad(file, line, '"conventions" must be an object');
  if (!isObject(m.metrics)) throw bad(file, line, '"metrics" must be an object');
  for (const [k, v] of Object.entries(m.metrics)) {
    if (!isNumberOrNull(v)) throw bad(file, line, `metrics.${k} must be a number, got ${JSON.stringify(v)}`);
  }
  if (m.logs !== undefined) {
    if (!isObject(m.logs)) throw bad(file, line, '"logs" must be an object of numbers');
    for (const [k, v] of Object.entries(m.logs)) {
      if (!isNumberOrNull(v)) throw bad(file, line, `logs.${k} must be a number, got ${JSON.stringify(v)}`);
    }
  }
  const K = m.K as number;
  const pc = m.perClass;
  // Past a size (core's perClassLimit) a measurement carries perClassSummary instead of perClass.
  if (pc === undefined && isObject(m.perClassSummary)) {
    // accepted as is: distributions of the per-class quantities
  } else {
    if (!isObject(pc)) throw bad(file, line, '"perClass" must be an object');
    if (!isNumberArray(pc.classes, K)) throw bad(file, line, `perClass.classes must hold K = ${K} class ids`);
    for (const key of ['counts', 'meanNorms'] as const) {
      if (!isNumberArray(pc[key], K)) throw bad(file, line, `perClass.${key} must hold K = ${K} numbers`);
    }
    for (const key of ['variances', 'nccRecall', 'nc1PerClass', 'weightNorms'] as const) {
      if (pc[key] !== undefined && !isNumberArray(pc[key], K)) throw bad(file, line, `perClass.${key} must hold K = ${K} numbers`);
    }
    // The K × K cosine matrices are optional (core leaves them out past perClassMatrixLimit classes).
    for (const key of ['cosineMeans', 'cosineWeights'] as const) {
      if (pc[key] === undefined) continue;
      const rows = pc[key];
      if (!Array.isArray(rows) || rows.length !== K || !rows.every((r) => isNumberArray(r, K))) throw bad(file, line, `perClass.${key} must be a ${K}×${K} array of numbers`);
    }
    const p = pc.meansProjection2d;
    if (!Array.isArray(p) || p.length !== K || !p.every((r) => isNumberArray(r, 2))) throw bad(file, line, `perClass.meansProjection2d must hold K = ${K} pairs of numbers`);
  }
  if (m.multiLabel !== undefined) checkMultiLabel(m.multiLabel, (what) => bad(file, line, what));
  if (m.degenerate !== undefined && typeof m.degenerate !== 'boolean') throw bad(file, line, `"degenerate" must be true or false, got ${JSON.stringify(m.degenerate)}`);
  if (m.imbalance !== undefined) {
    if (!isObject(m.imbalance)) throw bad(file, line, '"imbalance" must be an object');
    for (const [k, v] of Object.entries(m.imbalance)) {
      const ok = k === 'minorityRule' ? typeof v === 'string' : k.endsWith('Classes') ? Array.isArray(v) && v.every((x) => Number.isInteger(x)) : isNumberOrNull(v);
      if (!ok) throw bad(file, line, `imbalance.${k} has an unexpected value ${JSON.stringify(v)}`);
    }
  }
  if (m.warnings !== undefined && !(Array.isArray(m.warnings) && m.warnings.every((w) => typeof w === 'string'))) throw bad(file, line, '"warnings" must be an array of strings');
  return { ...(m as unknown as NcMeasurement), warnings: (m.warnings as string[] | undefined) ?? [] };
}

/** The fields of a measurement's `multiLabel` block that the report draws (core's MultiLabelReport). */
function checkMultiLabel(ml: unknown, bad: (what: string) => NcInputError): void {
  if (!isObject(ml)) throw bad('"multiLabel" must be an object');
  for (const key of ['singleLabelN', 'multiLabelN', 'unlabelledN', 'setsSeen', 'setsMeasured'] as const) {
    if (!(Number.isInteger(ml[key]) && (ml[key] as number) >= 0)) throw bad(`multiLabel.${key} must be a non-negative integer, got ${JSON.stringify(ml[key])}`);
  }
  for (const key of ['tagWiseAngle', 'tagWiseAngleMax', 'labelSetNc1'] as const) {
    if (ml[key] !== undefined && !isNumberOrNull(ml[key])) throw bad(`multiLabel.${key} must be a number or null, got ${JSON.stringify(ml[key])}`);
  }
  for (const key of ['tagWiseScale', 'setsBySize'] as const) {
    if (!isObject(ml[key]) || !Object.values(ml[key] as object).every(isNumberOrNull)) throw bad(`multiLabel.${key} must be an object of numbers keyed by set size`);
  }
  if (ml.sets !== undefined) {
    const ok = Array.isArray(ml.sets) && ml.sets.every((s) => isObject(s) && Array.isArray(s.labels) && s.labels.every((k) => Number.isInteger(k)) && typeof s.count === 'number' && isNumberOrNull(s.angle) && isNumberOrNull(s.scale));
    if (!ok) throw bad('multiLabel.sets must be a list of { labels, count, angle, scale }');
  }
}
