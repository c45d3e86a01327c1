/** @ncscope/onnx — Neural Collapse of ONNX checkpoints, and a fast onnxruntime product engine for the core. */
export * from './engine/index.js';
export { OnnxModel, type CandidateTensor, type ModelInspection, type OpenModelOptions, type TensorInfo } from './model/onnx-model.js';
export { findClassifier, linearConsumer, requireClassifier, type LinearClassifier, type LinearConsumer } from './model/classifier.js';
export { GraphIndex, type Dim } from './model/graph-index.js';
export { decodeTensor, type ConstTensor } from './model/tensor-data.js';
export { FeatureExtractor, type ExtractorOptions, type FeatureBatch, type FeatureBlock, type PoolMode } from './run/extractor.js';
export { arrayInput, type InputArray, type InputData } from './run/input.js';
export { analyzeModel, DEFAULT_CACHE_LIMIT, type AnalyzeModelOptions, type ModelAnalysis, type ModelProgress, type TensorAnalysis } from './run/analyze-model.js';
export { DataType, dataTypeName, decodeModel, encodeModel, onnxRoot, onnxType, toInt, type ModelProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto/onnx.js';
export { modelProto, nodeProto, tensorProto, valueInfoProto, type AttributeValue } from './proto/build.js';
export { probeShapes, type ProbeResult } from './run/probe.js';
// Causal language models: token corpora → per-token features and next-token labels (`ncscope lm`).
export { LM_ONNX_NAMES, parseLmConfig, readLmConfig, resolveLmModel, type LmConfig, type LmModelFiles } from './lm/folder.js';
export { inlineNoCacheBranch, isPastInput, USE_CACHE_BRANCH, type NoCacheInlining } from './lm/merged-decoder.js';
export { lmSignature, openLanguageModel, type LanguageModel, type LmSignature, type PastInput } from './lm/language-model.js';
export { arrayCorpus, forEachLabel, planTokens, positionIdsFromMask, sampleIndices, type TokenCorpus, type TokenLimits, type TokenPlan, type TokenRows, type TokenSelection } from './lm/tokens.js';
export { LmFeatureRunner, type ExtraTokenInput, type LmRunnerOptions, type TokenBatch } from './lm/runner.js';
export { loadTokenizer, readTextFile, textCorpus, TOKENIZER_MODELS, type TextTokenizer, type TextWindows } from './lm/text.js';
export { analyzeLanguageModel, tokenLimits, type LmAnalysis, type LmAnalyzeOptions, type LmProgress } from './lm/analyze-lm.js';
