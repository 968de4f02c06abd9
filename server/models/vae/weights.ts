// Weight preparation for the Oobleck VAE graphs: official diffusers `AutoencoderOobleck` keys → plain tensors.
//
// Source layout (Hugging Face ACE-Step/Ace-Step1.5 vae/, server/checkpoints/layout/vae.ts):
//   conv   `<p>.weight_g` [out,1,1] + `<p>.weight_v` [out,in,k] (+ `<p>.bias` [out])   torch weight_norm(dim=0)
//          (ConvTranspose1d: weight_v [in,out,k], weight_g [in,1,1] — dim 0 is the *input* channel there)
//          also accepted: `<p>.parametrizations.weight.original0/1` (torch.nn.utils.parametrizations.weight_norm)
//          and an already plain `<p>.weight`.
//   snake  `<p>.alpha`, `<p>.beta` [1,C,1], stored as logarithms: diffusers `Snake1d(hidden_dim, logscale=True)`
//          computes alpha = exp(alpha), beta = exp(beta), y = x + 1/(beta + 1e-9) · sin²(alpha·x), and no Oobleck
//          module passes logscale=False (diffusers src/diffusers/models/autoencoders/autoencoder_oobleck.py), so the
//          conversion applies exp.
//
// Prepared layout (what the graph builders request through GraphBuilder.param):
//   `<p>.weight`          folded weight  = g · v / ‖v‖, the norm over every dim but 0 (torch norm_except_dim, dim=0)
//   `<p>.bias`            unchanged
//   `<p>.snake_alpha`     exp(alpha)                    [1,C,1]
//   `<p>.snake_inv_beta`  1 / (exp(beta) + 1e-9)        [1,C,1]
// Tensors are computed lazily, each time their `data` is read (once, at serialisation), so a 168 M-parameter
// checkpoint is not held twice in memory. Folding accumulates in float64 and rounds once to float32.
import type { WeightTensor, Weights } from "../../onnx/weights";

export const SNAKE_ALPHA = "snake_alpha";
export const SNAKE_INV_BETA = "snake_inv_beta";
/** Added to beta before the reciprocal, as diffusers Snake1d does. */
export const SNAKE_EPS = 1e-9;

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * torch weight_norm(dim=0) fold: w[o, …] = g[o] · v[o, …] / ‖v[o, …]‖₂.
 * `g` has one value per slice along dim 0 (shape [d0,1,1] in the checkpoint); `v` is [d0, …].
 */
export function foldWeightNorm(g: Float32Array, v: Float32Array, vShape: readonly number[]): Float32Array {
  const rows = vShape[0];
  if (g.length !== rows) throw new Error(`vae weights: weight_g has ${g.length} values but weight_v dim 0 is ${rows}`);
  if (v.length !== numel(vShape))
    throw new Error(`vae weights: weight_v data (${v.length}) does not match shape [${vShape}]`);
  const per = v.length / rows;
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = r * per; i < (r + 1) * per; i++) ss += v[i] * v[i];
    const scale = g[r] / Math.sqrt(ss);
    for (let i = r * per; i < (r + 1) * per; i++) out[i] = v[i] * scale;
  }
  return out;
}

/** Snake parameters as the graph uses them: alpha = exp(logAlpha), invBeta = 1/(exp(logBeta) + 1e-9). */
export function snakeParams(
  alpha: Float32Array,
  beta: Float32Array,
  logScale = true,
): { alpha: Float32Array; invBeta: Float32Array } {
  const a = new Float32Array(alpha.length);
  const ib = new Float32Array(beta.length);
  for (let i = 0; i < alpha.length; i++) a[i] = logScale ? Math.exp(alpha[i]) : alpha[i];
  for (let i = 0; i < beta.length; i++) ib[i] = 1 / ((logScale ? Math.exp(beta[i]) : beta[i]) + SNAKE_EPS);
  return { alpha: a, invBeta: ib };
}

/**
 * A tensor whose data is computed each time `data` is read (not kept: GraphCore reads `shape` at build time and
 * `data` once at serialisation, so nothing of a large checkpoint stays resident in the provider).
 */
export function lazyTensor(shape: number[], compute: () => Float32Array): WeightTensor {
  return {
    shape,
    get data(): Float32Array {
      const d = compute();
      if (d.length !== numel(shape)) throw new Error(`vae weights: computed ${d.length} values for shape [${shape}]`);
      return d;
    },
  };
}

/** A Weights provider over a fixed key → (lazy) tensor map. */
export class DerivedWeights implements Weights {
  constructor(private readonly entries: Map<string, () => WeightTensor>) {}
  get(key: string): WeightTensor {
    const f = this.entries.get(key);
    if (!f) throw new Error(`weights: tensor ${key} not found`);
    return f();
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  keys(): Iterable<string> {
    return this.entries.keys();
  }
}

export interface PrepareOptions {
  /** Snake alpha/beta are stored as logarithms (diffusers default). Default true. */
  snakeLogScale?: boolean;
}

/**
 * Map an official-layout VAE provider (any `Weights`, e.g. a safetensors reader adapter) to the prepared
 * layout above. Keys that fit none of the patterns pass through unchanged.
 */
export function prepareOobleckWeights(src: Weights, opts: PrepareOptions = {}): Weights {
  const logScale = opts.snakeLogScale ?? true;
  const out = new Map<string, () => WeightTensor>();
  const srcKeys = new Set(src.keys());
  const shapeOf = (k: string) => src.get(k).shape;
  // The lazy tensor objects (shape + compute) are memoised; their data is not.
  const once = <T>(f: () => T): (() => T) => {
    let t: T | undefined;
    return () => (t ??= f());
  };
  for (const k of srcKeys) {
    let m: RegExpMatchArray | null;
    if ((m = k.match(/^(.*)\.weight_g$/)) || (m = k.match(/^(.*)\.parametrizations\.weight\.original0$/))) {
      const p = m[1];
      const vKey = k.endsWith(".weight_g") ? `${p}.weight_v` : `${p}.parametrizations.weight.original1`;
      if (!srcKeys.has(vKey)) throw new Error(`vae weights: ${k} has no matching ${vKey}`);
      out.set(
        `${p}.weight`,
        once(() => {
          const shape = shapeOf(vKey);
          return lazyTensor([...shape], () => foldWeightNorm(src.get(k).data, src.get(vKey).data, shape));
        }),
      );
    } else if (k.endsWith(".weight_v") || k.endsWith(".parametrizations.weight.original1")) {
      continue; // consumed with its g
    } else if ((m = k.match(/^(.*)\.alpha$/))) {
      const p = m[1];
      const bKey = `${p}.beta`;
      if (!srcKeys.has(bKey)) throw new Error(`vae weights: ${k} has no matching ${bKey}`);
      const sp = once(() => {
        const s = snakeParams(src.get(k).data, src.get(bKey).data, logScale);
        return {
          alpha: { shape: [...shapeOf(k)], data: s.alpha },
          invBeta: { shape: [...shapeOf(bKey)], data: s.invBeta },
        };
      });
      out.set(
        `${p}.${SNAKE_ALPHA}`,
        once(() => lazyTensor([...shapeOf(k)], () => sp().alpha.data)),
      );
      out.set(
        `${p}.${SNAKE_INV_BETA}`,
        once(() => lazyTensor([...shapeOf(bKey)], () => sp().invBeta.data)),
      );
    } else if (k.endsWith(".beta") && srcKeys.has(k.replace(/\.beta$/, ".alpha"))) {
      continue; // consumed with its alpha
    } else {
      out.set(k, () => src.get(k)); // bias, already-plain weight, anything else
    }
  }
  return new DerivedWeights(out);
}

/** Minimal view of server/checkpoints' CheckpointWeights that this adapter needs. */
export interface CheckpointReader {
  keys(): string[];
  has(name: string): boolean;
  info(name: string): { shape: number[] };
  getFloat32(name: string): { shape: number[]; data: Float32Array };
}

/**
 * Adapt a checkpoint reader (`openCheckpointWeights(dir)`) to the `Weights` interface with lazy data: the shape
 * comes from the safetensors header, the tensor is read (and converted to fp32) only when `data` is accessed.
 * Local helper: server/checkpoints exposes no `Weights` adapter yet.
 */
export function checkpointAsWeights(cw: CheckpointReader): Weights {
  return {
    get: (key) => {
      if (!cw.has(key)) throw new Error(`weights: tensor ${key} not found`);
      return lazyTensor([...cw.info(key).shape], () => cw.getFloat32(key).data);
    },
    has: (key) => cw.has(key),
    keys: () => cw.keys(),
  };
}

/** `w` itself if it already holds prepared Snake keys, else `prepareOobleckWeights(w)`. */
export function ensurePrepared(w: Weights): Weights {
  for (const k of w.keys()) {
    if (k.endsWith(`.${SNAKE_ALPHA}`)) return w;
    if (k.endsWith(".alpha") || k.endsWith(".weight_g") || k.endsWith(".original0")) return prepareOobleckWeights(w);
  }
  return w;
}

/** Derived keys of the cosine form of Snake (blocks.ts `snakeCos`, `residualUnit` with form "cos"). */
export const SNAKE_COS = {
  /** 2α [C]: the argument of the cosine */
  scale: "cos_scale",
  /** −1/(2β') [C] and +1/(2β') [C] (β' = exp(β) + 1e-9): y = x + bias + gain·cos(2αx) */
  gain: "cos_gain",
  bias: "cos_bias",
  /** a residual unit's second Snake folded into its convolutions: −α/β' [C] */
  foldedGain: "folded_cos_gain",
  /** prefixes of the residual unit's convolutions with that fold (`<unit>.conv1_cos.weight` …) */
  conv1: "conv1_cos",
  conv2: "conv2_cos",
} as const;

/**
 * `prepared` plus the derived tensors of the cosine form of every Snake (see blocks.ts `snakeCos`):
 * sin²(αx) = (1 − cos(2αx))/2, so Snake(x) = x + h − h·cos(2αx) with h = 1/(2β'). Per Snake `<p>`:
 * `<p>.cos_scale` = 2α, `<p>.cos_gain` = −h, `<p>.cos_bias` = h.
 *
 * In a residual unit (snake1 → conv1 k7 → snake2 → conv2 k1) the second Snake is also folded into the
 * convolutions around it. With u = 2α₂·conv1(…) (conv1's rows scaled by 2α₂):
 *   snake2(conv1) = u/(2α₂) + h₂ − h₂·cos(u) = (u − α₂/β'₂·cos(u))/(2α₂) + h₂, so
 *   conv2(snake2) = W₂'·(u + κ·cos(u)) + b₂'   with κ = −α₂/β'₂, W₂' = W₂·diag(1/(2α₂)), b₂' = b₂ + W₂·h₂.
 * conv2 is a kernel-1 convolution without padding, so moving the constant h₂ into its bias is exact. The unit's
 * second Snake then costs one Cos, one per-channel scale and one Add over the activation instead of Mul, Sin, Mul, Mul, Add.
 */
export function withCosSnakeWeights(prepared: Weights): Weights {
  const entries = new Map<string, () => WeightTensor>();
  for (const k of prepared.keys()) entries.set(k, () => prepared.get(k));
  const data = (k: string) => prepared.get(k).data;
  const channelVector = (n: number, f: () => Float32Array) => () => lazyTensor([n], f);
  for (const k of prepared.keys()) {
    const m = k.match(new RegExp(`^(.*)\\.${SNAKE_ALPHA}$`));
    if (!m) continue;
    const p = m[1];
    const bKey = `${p}.${SNAKE_INV_BETA}`;
    if (!prepared.has(bKey)) continue; // reported as missing by the builder's ledger
    const C = numel(prepared.get(k).shape);
    const map = (f: (alpha: number, invBeta: number) => number) => () => {
      const a = data(k);
      const ib = data(bKey);
      return Float32Array.from(a, (v, i) => f(v, ib[i]));
    };
    entries.set(
      `${p}.${SNAKE_COS.scale}`,
      channelVector(
        C,
        map((a) => 2 * a),
      ),
    );
    entries.set(
      `${p}.${SNAKE_COS.gain}`,
      channelVector(
        C,
        map((_, ib) => -ib / 2),
      ),
    );
    entries.set(
      `${p}.${SNAKE_COS.bias}`,
      channelVector(
        C,
        map((_, ib) => ib / 2),
      ),
    );

    const unit = p.match(/^(.*\.res_unit\d+)\.snake2$/)?.[1];
    if (!unit) continue;
    const keys = [`${unit}.conv1.weight`, `${unit}.conv1.bias`, `${unit}.conv2.weight`, `${unit}.conv2.bias`];
    if (!keys.every((key) => prepared.has(key))) continue;
    const [w1, b1, w2, b2] = keys;
    entries.set(
      `${p}.${SNAKE_COS.foldedGain}`,
      channelVector(
        C,
        map((a, ib) => -a * ib),
      ),
    );
    // conv1 rows × 2α₂
    entries.set(`${unit}.${SNAKE_COS.conv1}.weight`, () => {
      const shape = prepared.get(w1).shape;
      return lazyTensor([...shape], () => {
        const w = data(w1).slice();
        const a = data(k);
        const per = w.length / a.length;
        for (let o = 0; o < a.length; o++) for (let i = o * per; i < (o + 1) * per; i++) w[i] *= 2 * a[o];
        return w;
      });
    });
    entries.set(`${unit}.${SNAKE_COS.conv1}.bias`, () =>
      lazyTensor([C], () => {
        const b = data(b1);
        const a = data(k);
        return Float32Array.from(b, (v, o) => v * 2 * a[o]);
      }),
    );
    // conv2 [out, in, 1]: columns ÷ 2α₂, bias + W₂·h₂ (accumulated in float64)
    entries.set(`${unit}.${SNAKE_COS.conv2}.weight`, () => {
      const shape = prepared.get(w2).shape;
      return lazyTensor([...shape], () => {
        const w = data(w2).slice();
        const a = data(k);
        for (let i = 0; i < w.length; i++) w[i] /= 2 * a[i % a.length];
        return w;
      });
    });
    entries.set(`${unit}.${SNAKE_COS.conv2}.bias`, () =>
      lazyTensor([prepared.get(b2).shape[0]], () => {
        const w = data(w2);
        const ib = data(bKey);
        const b = data(b2);
        const out = new Float32Array(b.length);
        for (let o = 0; o < b.length; o++) {
          let s = b[o];
          for (let i = 0; i < C; i++) s += (w[o * C + i] * ib[i]) / 2;
          out[o] = s;
        }
        return out;
      }),
    );
  }
  return new DerivedWeights(entries);
}

/** Prepared keys a graph built with the given Snake form leaves unused (the other form's keys). */
export function snakeKeysUnused(form: "cos" | "sin"): RegExp[] {
  const cos = Object.values(SNAKE_COS).join("|");
  return form === "cos"
    ? [
        new RegExp(`\\.(${SNAKE_ALPHA}|${SNAKE_INV_BETA})$`),
        /\.res_unit\d+\.conv[12]\.(weight|bias)$/,
        /\.res_unit\d+\.snake2\.cos_(scale|gain|bias)$/,
      ]
    : [new RegExp(`\\.(${cos})(\\.(weight|bias))?$`)];
}
