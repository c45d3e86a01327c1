export { createOnnxProductEngine, type OnnxProductEngineOptions } from './onnx-product-engine.js';
