export { createOnnxProductEngine, type OnnxProductEngineOptions } from './onnx-product-engine.js';
export { setOnnxRuntimeLogLevel, type OnnxRuntimeLogLevel } from './log-level.js';
