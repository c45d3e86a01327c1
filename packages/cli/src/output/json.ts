import type { MultiLabelReport, NcReport } from '@ncscope/core';

/** Where the numbers came from: the files and array keys read, and the batch size. */
export interface InputsInfo {
  features?: string;
  featuresKey?: string;
  labels?: string;
  labelsKey?: string;
  weights?: string;
  weightsKey?: string;
  bias?: string;
  biasKey?: string;
  stats?: string;
  batchSize?: number;
  featureType?: string;
  /** The linear layer reading the features (ncscope onnx), for the subspace alignment. */
  consumer?: string;
  /** `--table`: the table file (features and labels are then its columns). */
  table?: string;
  /** Class names by label (string labels of a table, a Hugging Face ClassLabel column): classes[k] is label k. */
  classes?: string[];
}

import type { CommandTiming } from '../run/timing.js';

/**
 * The `ncscope analyze --json` object: the core report's fields (schema `ncscope.report/1`: N, D, K, rank,
 * conventions, metrics, perClass — or perClassSummary past core's perClassLimit —, warnings) plus `engine`, `timing` and
 * `inputs` — and `multiLabel` for multi-hot labels. Exactly these keys.
 */
export interface AnalyzeJson extends NcReport {
  /** Multi-hot labels: counts, tag-wise geometry and label-set NC1 (`metrics` then hold the single-label samples' report). */
  multiLabel?: MultiLabelReport;
  engine: string;
  /** Seconds per phase (read, means, setup, spread, report) and in all; see CommandTiming. */
  timing: CommandTiming;
  inputs: InputsInfo;
}

/** The `--json` object of `ncscope analyze` (see {@link AnalyzeJson}). */
export function toAnalyzeJson(report: NcReport & { multiLabel?: MultiLabelReport }, engine: string, timing: CommandTiming, inputs: InputsInfo, extraWarnings: string[] = []): AnalyzeJson {
  return {
    ...report,
    warnings: [...extraWarnings, ...report.warnings],
    engine,
    timing,
    inputs,
  };
}
