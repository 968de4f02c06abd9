// Text projector graph `text_projector.onnx`: the Qwen3-Embedding last hidden state
// mapped to the condition width. Ports `AceStepConditionEncoder.text_projector` (modeling_acestep_v15_*.py).
// Weight: `encoder.text_projector.weight` [E, text_hidden_dim] (Linear, no bias).
//
//   text_hidden_states [B,Lt,1024] ─ Linear (no bias) ─► hidden_states [B,Lt,E]
// Kept apart from the Qwen3 text encoder because its weight sits in the DiT checkpoint.
import { seqShape, shapeWith } from "../../onnx/blocks";
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Weights } from "../../onnx/weights";
import { encoderWidth, type AceStepDitConfig } from "./config";

export function buildTextProjector(
  weights: Weights,
  cfg: AceStepDitConfig,
  o: { precision?: Precision } = {},
): BuiltModel {
  const g = new GraphBuilder({ weights, precision: o.precision, name: "text_projector" });
  const E = encoderWidth(cfg);
  const x = g.input("text_hidden_states", "float32", ["batch", "seq", cfg.text_hidden_dim]);
  const y = g.linear(g.reshape(x, [-1, cfg.text_hidden_dim]), "encoder.text_projector.weight", undefined, {
    in: cfg.text_hidden_dim,
    out: E,
  });
  g.output("hidden_states", g.reshape(y, shapeWith(g, seqShape(g, x).bs, [E])), ["batch", "seq", E]);
  return g.finish({ requireAllUsed: ["encoder.text_projector."] });
}
