// Dispatch from a component name to its layout: the single source of
// checkpoint key names and shapes, derived from the component's config.json.
// Used by the tiny-checkpoint writer, the validator and the converter's shape check.
import { ditLayout } from "./dit";
import { qwen3Layout } from "./qwen3";
import type { KeyShapes, Layout } from "./shapes";
import { vaeLayout } from "./vae";

export type Component = "dit" | "vae" | "text-encoder" | "lm";
export const COMPONENTS: readonly Component[] = ["dit", "vae", "text-encoder", "lm"];

/** Official folder names under checkpoints/ */
export const OFFICIAL_DIRS = {
  ditTurbo: "acestep-v15-turbo",
  ditBase: "acestep-v15-base",
  vae: "vae",
  textEncoder: "Qwen3-Embedding-0.6B",
  lm: "acestep-5Hz-lm-0.6B",
  ditSft: "acestep-v15-sft",
  lm17b: "acestep-5Hz-lm-1.7B",
  lm4b: "acestep-5Hz-lm-4B",
} as const;

export interface LayoutOptions {
  /** LM only: weight-name prefix, "model." by default (some upstream LMs have none) */
  lmPrefix?: string;
}

export function expectedLayout(component: Component, config: unknown, opts: LayoutOptions = {}): Layout {
  switch (component) {
    case "dit":
      return ditLayout(config);
    case "vae":
      return vaeLayout(config);
    case "text-encoder":
      return qwen3Layout(config, { prefix: "", causalLm: false });
    case "lm":
      return qwen3Layout(config, { prefix: opts.lmPrefix ?? "model.", causalLm: true });
  }
}

/** Required key -> shape for `component` under `config` (the parsed config.json). */
export function expectedKeys(component: Component, config: unknown, opts: LayoutOptions = {}): KeyShapes {
  return expectedLayout(component, config, opts).required;
}
