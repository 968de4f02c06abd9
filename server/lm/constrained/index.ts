export * from "./constants"; // value ranges, keyscales, languages, field order
export * from "./trie"; // token-id prefix trees
export * from "./mask"; // Allowed + applyAllowed over a logits Float32Array
export * from "./vocab"; // per-tokenizer tries, forced sequences, token flags (cached)
export * from "./fsm"; // createMetadataFsm
