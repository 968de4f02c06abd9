// ACE-Step 1.5 diffusion-side facts as pure TypeScript (no model, no onnxruntime).
export * from "./numeric"; // Python/torch rounding helpers
export * from "./languages"; // VALID_LANGUAGES, COMFY_LANGUAGES
export * from "./tasks/instructions"; // task types, TASK_INSTRUCTIONS, TRACK_NAMES, variant support
export * from "./prompts/text-prompt"; // SFT_GEN_PROMPT, metas
export * from "./prompts/lyric-prompt"; // lyric prompt
export * from "./codes/audio-codes"; // <|audio_code_N|> strings, token ids
export * from "./codes/fsq"; // FSQ index ↔ digits ↔ values
export * from "./sampling/schedule"; // frames, turbo tables, base/sft schedules
export * from "./sampling/noise"; // torch-compatible seeded randn (CUDA Philox, CPU MT19937)
export * from "./sampling/seeds"; // prepare_seeds, batch noise
export * from "./sampling/solvers"; // Solver contract, euler, sde, registry
export * from "./sampling/guidance"; // CFG, APG, ADG
export * from "./sampling/cover-strength"; // audio_cover_strength switch
export * from "./tasks/repaint"; // repaint window, injection, crossfade
export * from "./debug"; // CLI debug helpers
