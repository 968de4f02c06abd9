// Oobleck VAE decoder graph: `vae_decoder.onnx` (ports diffusers OobleckDecoder / OobleckDecoderBlock).
//
// Shape story (ACE-Step 1.5 numbers):
//   latents [B, 64, T]
//   → conv1 (64 → 2048, k7, pad 3)                                     [B, 2048, T]
//   → block i = 0..4, widths 2048→1024→512→256→128→128, strides 10, 6, 4, 4, 2:
//       snake1 → conv_t1 (ConvTranspose1d in→out, k 2s, stride s, pad ⌈s/2⌉)          [B, out, L·s]
//         ("subpixel": Conv1d k2 to out·s channels + depth-to-space + crop, see blocks.ts; default)
//       → res_unit1..3 (dilation 1, 3, 9)                                            [B, out, L·s]
//   → snake1 → conv2 (128 → 2, k7, pad 3, **no bias**), no tanh       [B, 2, 1920·T]
// Weight prefix: `decoder.` (official diffusers keys, folded by ./weights.ts). 182 source tensors.
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Float } from "../../onnx/graph-core";
import type { Weights } from "../../onnx/weights";
import {
  type SnakeForm,
  type UpsampleMode,
  conv1d,
  convTranspose1d,
  residualUnits,
  snakeAs,
  subpixelConvTranspose1d,
  withSubpixelWeights,
} from "./blocks";
import { type OobleckConfig, decoderLevels, validateOobleckConfig } from "./config";
import { unusedResUnits } from "./encoder";
import { ensurePrepared, snakeKeysUnused, withCosSnakeWeights } from "./weights";

export interface DecoderBuildOptions {
  name?: string;
  /** weight storage: fp32 (default), fp16 or bf16; the compute is fp32 in every case (see blocks.ts vaeWeightDtype) */
  precision?: Precision;
  /** how ConvTranspose1d is expressed: "subpixel" (default, faster on ORT CPU) or plain "convtranspose" */
  upsample?: UpsampleMode;
  /** residual units per block (3 in the real model; fewer only for benchmarks) */
  resUnits?: number;
  /** how Snake is expressed: "cos" (default, fewer passes, see blocks.ts SnakeForm) or the literal "sin" */
  snake?: SnakeForm;
}

/** Body of the decoder: latents [B, latent, T] → audio [B, audio_channels, T·hop]. */
export function oobleckDecoderBody(
  g: GraphBuilder,
  z: Float,
  cfg: OobleckConfig,
  upsample: UpsampleMode = "subpixel",
  resUnits = 3,
  form: SnakeForm = "sin",
): Float {
  const p = "decoder";
  const levels = decoderLevels(cfg);
  let x = conv1d(g, z, `${p}.conv1`, {
    inCh: cfg.latentChannels,
    outCh: levels[0]?.inCh ?? cfg.decoderChannels,
    kernel: 7,
    pad: 3,
  });
  levels.forEach((lv, i) => {
    const bp = `${p}.block.${i}`;
    x = g.scope(bp, () => {
      let y = snakeAs(form, g, x, `${bp}.snake1`, lv.inCh);
      const up = upsample === "subpixel" ? subpixelConvTranspose1d : convTranspose1d;
      y = up(g, y, `${bp}.conv_t1`, lv);
      return residualUnits(g, y, bp, lv.outCh, resUnits, form);
    });
  });
  x = snakeAs(form, g, x, `${p}.snake1`, cfg.decoderChannels);
  return conv1d(g, x, `${p}.conv2`, {
    inCh: cfg.decoderChannels,
    outCh: cfg.audioChannels,
    kernel: 7,
    pad: 3,
    bias: false,
  });
}

/**
 * Build `vae_decoder.onnx`: input `latents` f32 [batch, latent, frames] → output `audio` f32
 * [batch, audio_channels, samples]. `weights`: official layout or prepared (see encoder.ts).
 */
export function buildOobleckDecoder(weights: Weights, cfg: OobleckConfig, opts: DecoderBuildOptions = {}): BuiltModel {
  validateOobleckConfig(cfg);
  const upsample = opts.upsample ?? "subpixel";
  const resUnits = opts.resUnits ?? 3;
  const form = opts.snake ?? "cos";
  let w = ensurePrepared(weights);
  if (form === "cos") w = withCosSnakeWeights(w);
  if (upsample === "subpixel") {
    w = withSubpixelWeights(
      w,
      decoderLevels(cfg).map((lv, i) => ({ prefix: `decoder.block.${i}.conv_t1`, ...lv })),
    );
  }
  const g = new GraphBuilder({ weights: w, precision: opts.precision, name: opts.name ?? "vae_decoder" });
  const z = g.input("latents", "float32", ["batch", cfg.latentChannels, "frames"]);
  const audio = oobleckDecoderBody(g, z, cfg, upsample, resUnits, form);
  g.output("audio", audio, ["batch", cfg.audioChannels, "samples"]);
  return g.finish({
    requireAllUsed: ["decoder."],
    ignoreUnused: [
      upsample === "subpixel" ? /\.conv_t1\.(weight|bias)$/ : /\.subpixel_(weight|bias)$/,
      ...unusedResUnits(resUnits),
      ...snakeKeysUnused(form),
    ],
  });
}
