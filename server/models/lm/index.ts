// server/models/lm: the 5 Hz LM on onnxruntime-node — the step graph with an in-place JS-owned KV cache and the
// model factories (checkpoint / converted file). The session, its step (prefill / chunked prefill / decode, batched
// CFG lanes, code-pass head) and the decode-loop adapter live in server/runtime/lm and are re-exported here.
export * from "./lm-graph"; // buildLmGraph, LM_IO, LmGraphOptions
export * from "./runner"; // LmModel, LmKvCache, CODE_HEAD_ROWS, defaultCodeRows, readLmConfig
export * from "../../runtime/lm/logits-fn"; // createLmLogitsFn
export * from "../../onnx/quantize"; // quantizeBlockwise / dequantizeBlockwise (MatMulNBits layout)
