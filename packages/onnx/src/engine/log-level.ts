import * as ort from 'onnxruntime-node';

/** onnxruntime's log severities, least to most severe. */
export type OnnxRuntimeLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

/**
 * Sets the severity from which onnxruntime's own environment logger prints to stderr (`ort.env.logLevel`; its default
 * is 'warning'). Call it before the first session is created. ncscope reports every failure as an error it throws, so
 * a command line that prints one line per error sets 'fatal': a session that asks for `cuda` without the CUDA
 * binaries then fails with ncscope's one-line message instead of onnxruntime's multi-line coloured log first.
 */
export function setOnnxRuntimeLogLevel(level: OnnxRuntimeLogLevel): void {
  ort.env.logLevel = level;
}
