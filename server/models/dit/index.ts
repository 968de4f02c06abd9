// server/models/dit: ACE-Step 1.5 DiT-side graph builders and host helpers (I/O contract: server/onnx/README.md §3–9).
export * from "./config"; // AceStepDitConfig, ditConfigFromJson, encoder/DiT stack configs
export * from "./text-projector"; // buildTextProjector → text_projector.onnx
export * from "./lyric-encoder"; // buildLyricEncoder → lyric_encoder.onnx
export * from "./timbre-encoder"; // buildTimbreEncoder → timbre_encoder.onnx
export * from "./condition-pack"; // packConditions, unpackTimbre, nullCondition (host)
export * from "./dit-cross-kv"; // buildDitCrossKv → dit_cross_kv.onnx
export * from "./dit-layer"; // timestep embedding, AceStepDiTLayer, cross K/V blocks
export * from "./sliding-attention"; // blocked bidirectional sliding-window attention
export * from "./dit-step"; // buildDitStep → dit_step.onnx (or dit_step_fused.onnx)
export * from "./audio-tokenizer"; // buildAudioTokenizer → audio_tokenizer.onnx
export * from "./audio-detokenizer"; // buildAudioDetokenizer → audio_detokenizer.onnx
