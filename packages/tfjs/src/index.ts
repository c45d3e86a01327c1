/**
 * @ncscope/tfjs — Neural Collapse for TensorFlow.js: a `model.fit` callback that measures NC1–NC4 on probe data with
 * tfjs ops on the backend in use, a one-shot `measureNc`, and the losses the NC papers compare.
 * Peer dependencies: @tensorflow/tfjs-core and @tensorflow/tfjs-layers (any backend). See README.md.
 */
export { NcCallback, ncCallback, layerMetricKeys, logKey, METRIC_KEYS, MEANS_ONLY_KEYS, MULTI_LABEL_KEYS, type NcCallbackOptions, type NcReportInfo } from './callback/nc-callback.js';
export { NcMeter, measureNc, type LayerMeasurement, type MeasureOptions } from './measure.js';
export type { FeatureRef, LayerOptions, NamedTensor } from './model/plan.js';
export type { LayerRef } from './model/layers.js';
export type { DatasetLike, MultiLabelMode, Probe, ProbeTensors, SampleTraining, TokenIdsProbe } from './probe/probe.js';
export type { SequenceOptions } from './probe/sequence.js';
export { stratifiedSample } from './probe/labels.js';
export { DeviceMeans, DeviceSpread, deviceMeans, deviceSpread, toCoreClassifier, type DeviceClassifier } from './statistics/device-stats.js';
export * as losses from './losses/index.js';
export { useBackend } from './backend.js';
// Head growth with least-squares initialization (packages/tfjs/src/heads, another module) is exported below.
export { growHead, leastSquaresHead, type GrowHeadOptions, type HeadData, type LeastSquaresHeadOptions } from './heads/index.js';
// Graph layers (node classification on graphs, e.g. core's stochastic block models) and deep equilibrium layers.
export { GraphOperator, type GraphNormalization } from './graph/graph-operator.js';
export { GraphConv, GraphPropagation, graphConv, graphPropagation, type GraphActivation, type GraphConvArgs, type GraphPropagationArgs } from './graph/graph-conv.js';
export { DeqLayer, deq, type DeqActivation, type DeqArgs, type DeqPhaseStats, type DeqSolveInfo, type DeqStats } from './deq/deq-layer.js';
export { solveFixedPoint, type FixedPointOptions, type FixedPointResult, type FixedPointSolver } from './deq/solver.js';
export { DEQ_LOG_KEYS, deqMonitor } from './deq/monitor.js';
// OOD detection during training (NECO, NCI, NC5 beside MSP, energy, Mahalanobis, ViM): ood/.
export { OodMeter, checkOodProbeData, checkOodProbeOptions, measureOod, oodLogKeys, oodLogs, type OodProbeData, type OodProbeOptions } from './ood/ood-probe.js';
export { OodCallback, oodCallback, type OodCallbackOptions } from './ood/ood-callback.js';
