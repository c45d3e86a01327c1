import type { MultiLabelReport } from './multi-label.js';
import type { NcReport } from './report.js';

/**
 * One line of an NC run log (JSONL, schema `ncscope.measurement/1`): what the tfjs callback appends per
 * measured epoch and what `ncscope onnx` emits per checkpoint; `ncscope report` reads these.
 * `step` is the x-axis (epoch or checkpoint index); `run` names the curve when several runs are overlaid.
 */
export interface NcMeasurement {
  schema: 'ncscope.measurement/1';
  run?: string;
  /** Epoch (tfjs) or checkpoint index (onnx): the x-axis. */
  step: number;
  epoch?: number;
  checkpoint?: string;
  /** Layer or tensor name the features came from. */
  layer?: string;
  /** ISO time the measurement was taken. */
  time: string;
  /** Seconds since the run started (tfjs) or spent measuring (onnx). */
  seconds?: number;
  N: number;
  D: number;
  K: number;
  rank: number;
  conventions: NcReport['conventions'];
  metrics: NcReport['metrics'];
  /** Anything else the producer logged alongside (training loss, accuracy, …). */
  logs?: Record<string, number>;
  perClass?: NcReport['perClass'];
  perClassSummary?: NcReport['perClassSummary'];
  /** Multi-label data (Li et al. 2023): counts, tag-wise geometry and label-set NC1 beside the single-label metrics. */
  multiLabel?: MultiLabelReport;
  /** Whether the class-mean geometry was degenerate (absent in logs written before it was reported). */
  degenerate?: boolean;
  /** Minority collapse section, when class counts differ. */
  imbalance?: NcReport['imbalance'];
  /** The consuming layer of `metrics.subspaceAlignment`. */
  consumer?: NcReport['consumer'];
  warnings: string[];
}

/** Wraps a report as a measurement line. */
export function toMeasurement(
  report: NcReport & { multiLabel?: MultiLabelReport },
  at: Omit<NcMeasurement, 'schema' | 'time' | 'N' | 'D' | 'K' | 'rank' | 'conventions' | 'metrics' | 'perClass' | 'perClassSummary' | 'multiLabel' | 'warnings' | 'degenerate' | 'imbalance' | 'consumer'> & { time?: string },
): NcMeasurement {
  const { schema: _reportSchema, ...body } = report;
  return { schema: 'ncscope.measurement/1', ...at, time: at.time ?? new Date().toISOString(), ...body };
}
