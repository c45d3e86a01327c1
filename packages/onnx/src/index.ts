/** @ncscope/onnx — Neural Collapse of ONNX checkpoints, and a fast onnxruntime product engine for the core. */
export * from './engine/index.js';
