// Plain-TypeScript reference of the Oobleck VAE (diffusers AutoencoderOobleck), written independently of
// server/models/vae: naive loops over Float32Array, float64 accumulation, results stored as float32.
// It reads the OFFICIAL checkpoint layout directly (weight_g / weight_v pairs, Snake alpha/beta as logs) and does
// its own weight-norm and exp, so the parity tests also cover the builder's weight preparation.
// Activations are one batch item at a time, channel-first: { c, l, data[c·l] }.

export type Tensor = { shape: number[]; data: Float32Array };
export type Getter = (key: string) => Tensor;
export type Act = { c: number; l: number; data: Float32Array };

export interface RefOobleckConfig {
  downsamplingRatios: number[];
}

/** torch weight_norm(dim=0): w = g · v / ‖v‖ with the norm over all dims but 0. */
export function weightNorm(g: Float32Array, v: Float32Array, rows: number): Float32Array {
  const per = v.length / rows;
  const w = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) {
    let n2 = 0;
    for (let j = 0; j < per; j++) n2 += v[r * per + j] ** 2;
    const n = Math.sqrt(n2);
    for (let j = 0; j < per; j++) w[r * per + j] = (g[r] * v[r * per + j]) / n;
  }
  return w;
}

function wnWeight(get: Getter, p: string): Tensor {
  const v = get(`${p}.weight_v`);
  return { shape: v.shape, data: weightNorm(get(`${p}.weight_g`).data, v.data, v.shape[0]) };
}

/** Conv1d: y[o, t] = b[o] + Σ_i Σ_k w[o, i, k] · x[i, t·stride − pad + k·dilation] (zero outside). */
export function conv1d(
  x: Act,
  w: Tensor,
  bias: Float32Array | null,
  o: { stride: number; pad: number; dilation: number },
): Act {
  const [O, I, K] = w.shape;
  if (I !== x.c) throw new Error(`ref conv1d: weight in ${I} vs input ${x.c}`);
  const L = Math.floor((x.l + 2 * o.pad - o.dilation * (K - 1) - 1) / o.stride) + 1;
  const y = new Float32Array(O * L);
  for (let oc = 0; oc < O; oc++) {
    for (let t = 0; t < L; t++) {
      let acc = bias ? bias[oc] : 0;
      for (let ic = 0; ic < I; ic++) {
        for (let k = 0; k < K; k++) {
          const src = t * o.stride - o.pad + k * o.dilation;
          if (src < 0 || src >= x.l) continue;
          acc += w.data[(oc * I + ic) * K + k] * x.data[ic * x.l + src];
        }
      }
      y[oc * L + t] = acc;
    }
  }
  return { c: O, l: L, data: y };
}

/** ConvTranspose1d by its definition: every x[i, t] scatters w[i, o, k] to output t·stride − pad + k. */
export function convTranspose1d(x: Act, w: Tensor, bias: Float32Array | null, o: { stride: number; pad: number }): Act {
  const [I, O, K] = w.shape;
  if (I !== x.c) throw new Error(`ref convT: weight in ${I} vs input ${x.c}`);
  const L = (x.l - 1) * o.stride - 2 * o.pad + K;
  const acc = new Float64Array(O * L);
  for (let oc = 0; oc < O; oc++) if (bias) acc.fill(bias[oc], oc * L, (oc + 1) * L);
  for (let ic = 0; ic < I; ic++) {
    for (let t = 0; t < x.l; t++) {
      const xv = x.data[ic * x.l + t];
      for (let oc = 0; oc < O; oc++) {
        for (let k = 0; k < K; k++) {
          const dst = t * o.stride - o.pad + k;
          if (dst < 0 || dst >= L) continue;
          acc[oc * L + dst] += xv * w.data[(ic * O + oc) * K + k];
        }
      }
    }
  }
  return { c: O, l: L, data: Float32Array.from(acc) };
}

/** Snake1d (logscale=True): x + 1/(exp(β) + 1e-9) · sin(exp(α)·x)². */
export function snake(x: Act, logAlpha: Float32Array, logBeta: Float32Array): Act {
  const y = new Float32Array(x.data.length);
  for (let c = 0; c < x.c; c++) {
    const a = Math.fround(Math.exp(logAlpha[c]));
    const b = Math.fround(Math.exp(logBeta[c]));
    for (let t = 0; t < x.l; t++) {
      const v = x.data[c * x.l + t];
      const s = Math.sin(a * v);
      y[c * x.l + t] = v + (1 / (b + 1e-9)) * s * s;
    }
  }
  return { c: x.c, l: x.l, data: y };
}

function snakeAt(get: Getter, p: string, x: Act): Act {
  return snake(x, get(`${p}.alpha`).data, get(`${p}.beta`).data);
}

function add(a: Act, b: Act): Act {
  // OobleckResidualUnit crops the skip path if lengths differ; with "same" padding they never do.
  if (a.c !== b.c || a.l !== b.l) throw new Error(`ref add: [${a.c},${a.l}] vs [${b.c},${b.l}]`);
  const y = new Float32Array(a.data.length);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i] + b.data[i];
  return { c: a.c, l: a.l, data: y };
}

export function residualUnit(get: Getter, p: string, x: Act, dilation: number): Act {
  let y = snakeAt(get, `${p}.snake1`, x);
  y = conv1d(y, wnWeight(get, `${p}.conv1`), get(`${p}.conv1.bias`).data, { stride: 1, pad: 3 * dilation, dilation });
  y = snakeAt(get, `${p}.snake2`, y);
  y = conv1d(y, wnWeight(get, `${p}.conv2`), get(`${p}.conv2.bias`).data, { stride: 1, pad: 0, dilation: 1 });
  return add(x, y);
}

export function encoderBlock(get: Getter, p: string, x: Act, stride: number): Act {
  let y = residualUnit(get, `${p}.res_unit1`, x, 1);
  y = residualUnit(get, `${p}.res_unit2`, y, 3);
  y = residualUnit(get, `${p}.res_unit3`, y, 9);
  y = snakeAt(get, `${p}.snake1`, y);
  return conv1d(y, wnWeight(get, `${p}.conv1`), get(`${p}.conv1.bias`).data, {
    stride,
    pad: Math.ceil(stride / 2),
    dilation: 1,
  });
}

export function decoderBlock(get: Getter, p: string, x: Act, stride: number): Act {
  let y = snakeAt(get, `${p}.snake1`, x);
  y = convTranspose1d(y, wnWeight(get, `${p}.conv_t1`), get(`${p}.conv_t1.bias`).data, {
    stride,
    pad: Math.ceil(stride / 2),
  });
  y = residualUnit(get, `${p}.res_unit1`, y, 1);
  y = residualUnit(get, `${p}.res_unit2`, y, 3);
  return residualUnit(get, `${p}.res_unit3`, y, 9);
}

/** Whole encoder for one item: audio [C_audio, N] → { mean, std } [latent, T] (std = softplus(scale) + 1e-4). */
export function encode(get: Getter, cfg: RefOobleckConfig, audio: Act): { mean: Act; std: Act } {
  let x = conv1d(audio, wnWeight(get, "encoder.conv1"), get("encoder.conv1.bias").data, {
    stride: 1,
    pad: 3,
    dilation: 1,
  });
  cfg.downsamplingRatios.forEach((s, i) => (x = encoderBlock(get, `encoder.block.${i}`, x, s)));
  x = snakeAt(get, "encoder.snake1", x);
  x = conv1d(x, wnWeight(get, "encoder.conv2"), get("encoder.conv2.bias").data, { stride: 1, pad: 1, dilation: 1 });
  const half = x.c / 2;
  const mean = new Float32Array(half * x.l);
  const std = new Float32Array(half * x.l);
  for (let i = 0; i < half * x.l; i++) {
    mean[i] = x.data[i];
    const s = x.data[half * x.l + i];
    // torch softplus (beta 1, threshold 20): x for x > 20, else log(1 + e^x)
    std[i] = (s > 20 ? s : Math.log1p(Math.exp(s))) + 1e-4;
  }
  return { mean: { c: half, l: x.l, data: mean }, std: { c: half, l: x.l, data: std } };
}

/** Whole decoder for one item: latents [latent, T] → audio [C_audio, T·hop]; final conv without bias, no tanh. */
export function decode(get: Getter, cfg: RefOobleckConfig, z: Act): Act {
  let x = conv1d(z, wnWeight(get, "decoder.conv1"), get("decoder.conv1.bias").data, { stride: 1, pad: 3, dilation: 1 });
  [...cfg.downsamplingRatios].reverse().forEach((s, i) => (x = decoderBlock(get, `decoder.block.${i}`, x, s)));
  x = snakeAt(get, "decoder.snake1", x);
  return conv1d(x, wnWeight(get, "decoder.conv2"), null, { stride: 1, pad: 3, dilation: 1 });
}

/** Batched helpers over [B, C, L] row-major arrays. */
export function splitBatch(data: Float32Array, B: number, C: number, L: number): Act[] {
  return Array.from({ length: B }, (_, b) => ({ c: C, l: L, data: data.slice(b * C * L, (b + 1) * C * L) }));
}
export function joinBatch(items: Act[]): Float32Array {
  const n = items.reduce((s, a) => s + a.data.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const a of items) {
    out.set(a.data, o);
    o += a.data.length;
  }
  return out;
}
