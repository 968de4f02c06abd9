// Oobleck VAE encoder graph: `vae_encoder.onnx` (ports diffusers OobleckEncoder + OobleckDiagonalGaussianDistribution).
//
// Shape story (ACE-Step 1.5 numbers; hop = ∏ strides = 1920):
//   audio [B, 2, N]
//   → conv1 (2→128, k7, pad 3)                                        [B, 128, N]
//   → block i = 0..4, width w_i = 128·[1,1,2,4,8,16][i], stride s_i = [2,4,4,6,10][i]:
//       res_unit1..3 (dilation 1, 3, 9; Snake → Conv k7 → Snake → Conv k1, + skip)   [B, w_i, L]
//       → snake1 → conv1 (w_i → w_{i+1}, k 2s, stride s, pad ⌈s/2⌉)                 [B, w_{i+1}, ⌊L/s⌋]
//   → snake1 → conv2 (2048 → 128, k3, pad 1)                         [B, 128, T], T = ⌊N/1920⌋ (even strides)
//   → mean = channels 0..63, scale = channels 64..127; std = softplus(scale) + 1e-4
//   outputs: mean [B, 64, T], std [B, 64, T]   (server/onnx/README.md §10; posterior sampling on the host)
// Weight prefix: `encoder.` (official diffusers keys, folded by ./weights.ts).
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Float } from "../../onnx/graph-core";
import type { Weights } from "../../onnx/weights";
import { type SnakeForm, conv1d, residualUnits, snakeAs } from "./blocks";
import { type OobleckConfig, encoderLevels, encoderLatentChannels, validateOobleckConfig } from "./config";
import { ensurePrepared, snakeKeysUnused, withCosSnakeWeights } from "./weights";

/** Added to softplus(scale), as OobleckDiagonalGaussianDistribution does. */
export const POSTERIOR_STD_EPS = 1e-4;

export interface EncoderBuildOptions {
  name?: string;
  /** weight storage: fp32 (default), fp16 or bf16; the compute is fp32 in every case (see blocks.ts vaeWeightDtype) */
  precision?: Precision;
  /** residual units per block (3 in the real model; fewer only for benchmarks) */
  resUnits?: number;
  /** how Snake is expressed: "cos" (default, fewer passes, see blocks.ts SnakeForm) or the literal "sin" */
  snake?: SnakeForm;
}

/** Body of the encoder: audio [B, C_audio, N] → conv2 output [B, encoder_hidden_size, T]. */
export function oobleckEncoderBody(
  g: GraphBuilder,
  audio: Float,
  cfg: OobleckConfig,
  resUnits = 3,
  form: SnakeForm = "sin",
): Float {
  const p = "encoder";
  const ehs = cfg.encoderHiddenSize;
  let x = conv1d(g, audio, `${p}.conv1`, { inCh: cfg.audioChannels, outCh: ehs, kernel: 7, pad: 3 });
  encoderLevels(cfg).forEach((lv, i) => {
    const bp = `${p}.block.${i}`;
    x = g.scope(bp, () => {
      let y = residualUnits(g, x, bp, lv.inCh, resUnits, form);
      y = snakeAs(form, g, y, `${bp}.snake1`, lv.inCh);
      return conv1d(g, y, `${bp}.conv1`, {
        inCh: lv.inCh,
        outCh: lv.outCh,
        kernel: 2 * lv.stride,
        stride: lv.stride,
        pad: Math.ceil(lv.stride / 2),
      });
    });
  });
  const last = encoderLevels(cfg).at(-1)?.outCh ?? ehs;
  x = snakeAs(form, g, x, `${p}.snake1`, last);
  return conv1d(g, x, `${p}.conv2`, { inCh: last, outCh: ehs, kernel: 3, pad: 1 });
}

/**
 * Build `vae_encoder.onnx`: input `audio` f32 [batch, audio_channels, samples] → outputs `mean`, `std`
 * f32 [batch, latent, frames]. `weights`: official layout (weight_g/weight_v, log-scale Snake) or already
 * prepared by `prepareOobleckWeights`.
 */
export function buildOobleckEncoder(weights: Weights, cfg: OobleckConfig, opts: EncoderBuildOptions = {}): BuiltModel {
  validateOobleckConfig(cfg);
  const resUnits = opts.resUnits ?? 3;
  const form = opts.snake ?? "cos";
  const prepared = ensurePrepared(weights);
  const g = new GraphBuilder({
    weights: form === "cos" ? withCosSnakeWeights(prepared) : prepared,
    precision: opts.precision,
    name: opts.name ?? "vae_encoder",
  });
  const audio = g.input("audio", "float32", ["batch", cfg.audioChannels, "samples"]);
  const h = oobleckEncoderBody(g, audio, cfg, resUnits, form);
  const lat = encoderLatentChannels(cfg);
  const mean = g.slice(h, [0], [lat], [1]);
  const scale = g.slice(h, [lat], [2 * lat], [1]);
  const std = g.add(g.node("Softplus", [scale], "float32"), g.scalarF32(POSTERIOR_STD_EPS));
  g.output("mean", mean, ["batch", lat, "frames"]);
  g.output("std", std, ["batch", lat, "frames"]);
  return g.finish({
    requireAllUsed: ["encoder."],
    ignoreUnused: [...unusedResUnits(resUnits), ...snakeKeysUnused(form)],
  });
}

/** Keys of the residual units beyond the first `n` (reduced-depth benchmark builds leave them unused). */
export function unusedResUnits(n: number): RegExp[] {
  const skip = [1, 2, 3].filter((i) => i > n);
  return skip.length ? [new RegExp(`\\.res_unit[${skip.join("")}]\\.`)] : [];
}
