export * from "./tokens"; // special-token ids and audio-code arithmetic
export * from "./tokenizer"; // LmTokenizer: checkpoint BPE + arithmetic audio codes, cached loader
export * from "./prompts"; // exact prompts for every mode, CoT YAML, parseLmOutput, extractLyrics
export * from "./yaml"; // PyYAML-compatible scalar emitter for the CoT
export * from "./sampling"; // CFG → mask → repetition penalty → top-k → top-p → temperature → sample
export * from "./constrained"; // metadata / codes FSM with token tries and logit masks
export * from "./use-cot"; // use_cot_* planning and LM → DiT inputs
export * from "./generate"; // generateWithLogits decode loop
export * from "./debug"; // debugLmPrompt for the CLI
