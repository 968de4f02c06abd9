// server/models/lm: the 5 Hz LM on onnxruntime-node — step graph with an in-place JS-owned KV cache,
// runner (prefill / chunked prefill / decode, batched CFG lanes, code-pass head) and the decode-loop adapter.
export * from "./lm-graph"; // buildLmGraph, LM_IO, LmGraphOptions
export * from "./runner"; // LmModel, LmKvCache, CODE_HEAD_ROWS, readLmConfig
export * from "./logits-fn"; // createLmLogitsFn
export * from "../../onnx/quantize"; // quantizeBlockwise / dequantizeBlockwise (MatMulNBits layout)
