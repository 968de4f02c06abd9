// server/onnx: ONNX graph builders (see README.md for the component I/O contract).
export * from "./graph"; // GraphBuilder, GraphCore types, WeightKeyError, attr
export * from "./weights"; // Weights, MemoryWeights, withPrefix
export * from "./serialize"; // toBytes, toBytesWithExternalData, writeModel
export * from "./blocks"; // RoPE tables, masks, selfAttention, swiGluMlp
export * from "./qwen3"; // Qwen3 stack, text encoder and LM graphs
export * from "./encoder-layers"; // ACE-Step encoder-layer stack
