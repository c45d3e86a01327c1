export { createOnnxProductEngine, PAIR_WORKER_MIN_WORK, type OnnxProductEngineOptions } from './onnx-product-engine.js';
