// Oobleck building blocks as ONNX subgraphs (ports diffusers autoencoder_oobleck.py: Snake1d, OobleckResidualUnit,
// the strided Conv1d of OobleckEncoderBlock and the ConvTranspose1d of OobleckDecoderBlock).
// Every activation is channel-first [B, C, L]; weights come from the prepared layout of ./weights.ts:
//   Snake      `<p>.snake_alpha`, `<p>.snake_inv_beta` [1,C,1]:   y = x + inv_beta · sin(alpha·x)²
//              or its cosine form (default) from the derived keys of weights.ts `withCosSnakeWeights`
//   Conv1d     `<p>.weight` [out,in,k] (+ `<p>.bias` [out]):     "same" padding (k−1)·d/2 or the block's stride padding
//   ConvT1d    `<p>.weight` [in,out,2s] + `<p>.bias` [out]:      k = 2s, stride s, pad ⌈s/2⌉ → L·s (even s)
//   sub-pixel  `<p>.subpixel_weight` [out·s, in, 2] + `<p>.subpixel_bias` [out·s] (derived, see subpixelWeights)
import type { Float, MatrixDtype } from "../../onnx/graph-core";
import type { GraphBuilder } from "../../onnx/graph";
import type { WeightTensor, Weights } from "../../onnx/weights";
import { DerivedWeights, SNAKE_ALPHA, SNAKE_COS, SNAKE_INV_BETA, lazyTensor } from "./weights";

export const RES_UNIT_DILATIONS = [1, 3, 9] as const;
export const RES_UNIT_KERNEL = 7;

/** Snake1d: x + 1/(exp(β)+1e-9) · sin²(exp(α)·x), with exp and the reciprocal folded into the initializers. */
export function snake(g: GraphBuilder, x: Float, p: string, ch: number): Float {
  const alpha = g.param(`${p}.${SNAKE_ALPHA}`, { shape: [1, ch, 1] });
  const invBeta = g.param(`${p}.${SNAKE_INV_BETA}`, { shape: [1, ch, 1] });
  const s = g.sin(g.mul(x, alpha));
  return g.add(x, g.mul(g.mul(s, s), invBeta));
}

/**
 * How Snake is expressed. "sin": Mul, Sin, Mul, Mul, Add (five passes over the activation). "cos" (default): the
 * identity sin²(u) = (1 − cos 2u)/2 with per-channel affine steps as BatchNormalization (one pass each) —
 * BN(2α), Cos, BN(−h, +h), Add — and, inside a residual unit, the second Snake folded into the convolutions
 * around it: Cos, BN(κ), Add (weights.ts `withCosSnakeWeights`). ORT's CPU Sin/Cos are several times the cost of a
 * Mul per element and every extra elementwise node is another full pass over a tensor that, in the last decoder
 * block, is 128 channels × 48 000 samples per second of audio; bench/vae.ts `--snake` compares both forms.
 */
export type SnakeForm = "cos" | "sin";

/** y = scale·x + bias per channel of [B, C, L] in one pass (BatchNormalization with mean 0, variance 1, ε 0). */
function channelAffine(g: GraphBuilder, x: Float, scale: Float, bias: Float | null, ch: number): Float {
  const zeros = g.constF32(new Float32Array(ch), [ch]);
  const ones = g.constF32(new Float32Array(ch).fill(1), [ch]);
  return g.node("BatchNormalization", [x, scale, bias ?? zeros, zeros, ones], "float32", {
    epsilon: { kind: "float", v: 0 },
  }) as Float;
}

/** Snake1d in its cosine form: x + h − h·cos(2α·x), h = 1/(2β'). */
export function snakeCos(g: GraphBuilder, x: Float, p: string, ch: number): Float {
  const scale = g.param(`${p}.${SNAKE_COS.scale}`, { shape: [ch] });
  const gain = g.param(`${p}.${SNAKE_COS.gain}`, { shape: [ch] });
  const bias = g.param(`${p}.${SNAKE_COS.bias}`, { shape: [ch] });
  const c = g.node("Cos", [channelAffine(g, x, scale, null, ch)], "float32") as Float;
  return g.add(x, channelAffine(g, c, gain, bias, ch));
}

/** Snake in the chosen form. */
export function snakeAs(form: SnakeForm, g: GraphBuilder, x: Float, p: string, ch: number): Float {
  return form === "cos" ? snakeCos(g, x, p, ch) : snake(g, x, p, ch);
}

/**
 * Storage dtype of the VAE's convolution weights: the VAE always computes in fp32 (docs/precision.md), so its
 * fp16 and bf16 builds only halve the stored bytes (Cast to fp32 in the graph, folded by ORT at load).
 */
export function vaeWeightDtype(g: GraphBuilder): MatrixDtype {
  if (g.precision === "fp32") return "float32";
  if (g.precision === "fp16") return "float16";
  if (g.precision === "bf16") return "bfloat16";
  throw new Error(`vae: precision ${g.precision} is not supported (fp32, fp16 or bf16)`);
}

function convWeight(g: GraphBuilder, key: string, shape: number[]): Float {
  return g.paramStoredAs(key, vaeWeightDtype(g), shape);
}

/** Conv1d with a prepared (folded) weight; pads symmetric. */
export function conv1d(
  g: GraphBuilder,
  x: Float,
  p: string,
  o: { inCh: number; outCh: number; kernel: number; stride?: number; dilation?: number; pad: number; bias?: boolean },
): Float {
  const w = convWeight(g, `${p}.weight`, [o.outCh, o.inCh, o.kernel]);
  const b = o.bias === false ? null : g.param(`${p}.bias`, { shape: [o.outCh] });
  return g.conv(x, w, b, { strides: [o.stride ?? 1], pads: [o.pad, o.pad], dilations: [o.dilation ?? 1] });
}

/**
 * OobleckResidualUnit: x + conv2(snake2(conv1(snake1(x)))) — conv1 k7 dilated with "same" padding, conv2 k1.
 * Form "cos": snake2 folded into conv1/conv2 (weights.ts `withCosSnakeWeights`): x + conv2'(u + κ·cos u), u = conv1'(…).
 */
export function residualUnit(
  g: GraphBuilder,
  x: Float,
  p: string,
  ch: number,
  dilation: number,
  form: SnakeForm = "sin",
): Float {
  return g.scope(p, () => {
    let y = snakeAs(form, g, x, `${p}.snake1`, ch);
    // the fold needs both convolutions; without them fall through, so the ledger names the missing source keys
    if (form === "cos" && g.weights?.has(`${p}.${SNAKE_COS.conv1}.weight`)) {
      const u = conv1d(g, y, `${p}.${SNAKE_COS.conv1}`, {
        inCh: ch,
        outCh: ch,
        kernel: RES_UNIT_KERNEL,
        dilation,
        pad: ((RES_UNIT_KERNEL - 1) * dilation) / 2,
      });
      const kappa = g.param(`${p}.snake2.${SNAKE_COS.foldedGain}`, { shape: [ch] });
      const c = g.node("Cos", [u], "float32") as Float;
      y = g.add(u, channelAffine(g, c, kappa, null, ch));
      return g.add(x, conv1d(g, y, `${p}.${SNAKE_COS.conv2}`, { inCh: ch, outCh: ch, kernel: 1, pad: 0 }));
    }
    y = conv1d(g, y, `${p}.conv1`, {
      inCh: ch,
      outCh: ch,
      kernel: RES_UNIT_KERNEL,
      dilation,
      pad: ((RES_UNIT_KERNEL - 1) * dilation) / 2,
    });
    y = snake(g, y, `${p}.snake2`, ch);
    y = conv1d(g, y, `${p}.conv2`, { inCh: ch, outCh: ch, kernel: 1, pad: 0 });
    // lengths are equal ("same" padding), so diffusers' centre crop of the skip path is a no-op
    return g.add(x, y);
  });
}

export function residualUnits(
  g: GraphBuilder,
  x: Float,
  p: string,
  ch: number,
  count: number = RES_UNIT_DILATIONS.length,
  form: SnakeForm = "sin",
): Float {
  for (let i = 0; i < count; i++) x = residualUnit(g, x, `${p}.res_unit${i + 1}`, ch, RES_UNIT_DILATIONS[i], form);
  return x;
}

export type UpsampleMode = "subpixel" | "convtranspose";

/** ConvTranspose1d(in→out, k=2s, stride s, pad ⌈s/2⌉) as ONNX ConvTranspose. */
export function convTranspose1d(
  g: GraphBuilder,
  x: Float,
  p: string,
  o: { inCh: number; outCh: number; stride: number },
): Float {
  const s = o.stride;
  const w = convWeight(g, `${p}.weight`, [o.inCh, o.outCh, 2 * s]);
  const b = g.param(`${p}.bias`, { shape: [o.outCh] });
  const pad = Math.ceil(s / 2);
  return g.convTranspose(x, w, b, { strides: [s], pads: [pad, pad] });
}

/**
 * The same ConvTranspose1d as a "sub-pixel" Conv1d + depth-to-space (measured faster on ORT CPU: bench/vae.ts).
 * With K = 2s, un-padded output sample o' = q·s + r (0 ≤ r < s) only receives x[q]·W[:, :, r] and
 * x[q−1]·W[:, :, s+r]. So a kernel-2 Conv1d over x padded by one frame on both sides gives, for q = 0..T,
 * channel (co·s + r) = Σ_ci x[ci, q−1]·W[ci, co, s+r] + x[ci, q]·W[ci, co, r] + b[co].
 * Reshape [B, out, s, T+1] → Transpose [B, out, T+1, s] → Reshape [B, out, (T+1)s] → drop the padding
 * ⌈s/2⌉ at both ends → [B, out, (T+1)s − 2⌈s/2⌉] (= T·s for even s), exactly ConvTranspose's output.
 */
export function subpixelConvTranspose1d(
  g: GraphBuilder,
  x: Float,
  p: string,
  o: { inCh: number; outCh: number; stride: number },
): Float {
  const s = o.stride;
  const w = convWeight(g, `${p}.subpixel_weight`, [o.outCh * s, o.inCh, 2]);
  const b = g.param(`${p}.subpixel_bias`, { shape: [o.outCh * s] });
  const pad = Math.ceil(s / 2);
  const y = g.conv(x, w, b, { strides: [1], pads: [1, 1] }); // [B, out·s, T+1]
  const blocks = g.transpose(g.reshape(y, [0, o.outCh, s, -1]), [0, 1, 3, 2]); // [B, out, T+1, s]
  const full = g.reshape(blocks, [0, o.outCh, -1]); // [B, out, (T+1)s]
  return g.slice(full, [pad], [-pad], [2]);
}

/** Sub-pixel Conv1d weight/bias from a ConvTranspose1d weight [in, out, 2s] and bias [out]. */
export function subpixelWeight(wt: Float32Array, inCh: number, outCh: number, s: number): Float32Array {
  const K = 2 * s;
  const out = new Float32Array(outCh * s * inCh * 2);
  for (let co = 0; co < outCh; co++) {
    for (let r = 0; r < s; r++) {
      const oc = co * s + r;
      for (let ci = 0; ci < inCh; ci++) {
        const src = (ci * outCh + co) * K;
        const dst = (oc * inCh + ci) * 2;
        out[dst] = wt[src + s + r]; // tap 0 reads x[q−1]
        out[dst + 1] = wt[src + r]; // tap 1 reads x[q]
      }
    }
  }
  return out;
}

export function subpixelBias(b: Float32Array, s: number): Float32Array {
  const out = new Float32Array(b.length * s);
  for (let co = 0; co < b.length; co++) out.fill(b[co], co * s, (co + 1) * s);
  return out;
}

/** `prepared` plus derived `<p>.subpixel_weight` / `<p>.subpixel_bias` for each listed ConvTranspose prefix (lazy). */
export function withSubpixelWeights(
  prepared: Weights,
  convs: { prefix: string; inCh: number; outCh: number; stride: number }[],
): Weights {
  const entries = new Map<string, () => WeightTensor>();
  for (const k of prepared.keys()) entries.set(k, () => prepared.get(k));
  for (const c of convs) {
    const wKey = `${c.prefix}.weight`;
    const bKey = `${c.prefix}.bias`;
    if (!prepared.has(wKey) || !prepared.has(bKey)) continue; // reported as missing by the builder's ledger
    // derived shapes follow the checkpoint's, so a mismatch shows up in the builder's shape check
    const [inCh, outCh, k] = prepared.get(wKey).shape;
    const s = k === 2 * c.stride ? c.stride : k / 2;
    const wt = lazyTensor([outCh * s, inCh, 2], () => subpixelWeight(prepared.get(wKey).data, inCh, outCh, s));
    const bt = lazyTensor([prepared.get(bKey).shape[0] * s], () => subpixelBias(prepared.get(bKey).data, s));
    entries.set(`${c.prefix}.subpixel_weight`, () => wt);
    entries.set(`${c.prefix}.subpixel_bias`, () => bt);
  }
  return new DerivedWeights(entries);
}
