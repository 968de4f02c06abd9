// Plain-TypeScript reference math, written independently of server/onnx (naive loops, float64
// accumulation, results stored as float32). Layouts: row-major; Linear weights [out, in] as in
// PyTorch; per-sequence tensors [S, heads, D].
// `half` mode emulates the fp16 build as ORT CPU runs it: matrix weights are rounded to binary16, activations
// stay fp32 (ORT CPU has no fp16 Gemm/MatMul kernel: it inserts Cast→fp32 around the node and then removes the
// graph's own fp32→fp16→fp32 activation cast pair, so only the weight rounding survives; a CUDA run also rounds
// activations and products).

export type Tensor = { shape: number[]; data: Float32Array };
export type Getter = (key: string) => Tensor;

/** Round a number to the nearest binary16 value (ties to even), independent of server/onnx/float16.ts. */
export function roundHalf(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const q = a / ulp;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 === 1) r -= 1;
  return Math.sign(x) * r * ulp;
}

export function roundAll(a: Float32Array): Float32Array {
  return a.map(roundHalf);
}

/** y[n, out] = x[n, in] · W[out, in]ᵀ (+ b). */
export function linear(x: Float32Array, n: number, w: Tensor, b?: Tensor, half = false): Float32Array {
  const [out, inF] = w.shape;
  if (x.length !== n * inF) throw new Error(`ref linear: x has ${x.length} values, expected ${n}×${inF}`);
  const xs = x;
  const ws = half ? roundAll(w.data) : w.data;
  const y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < inF; i++) s += xs[r * inF + i] * ws[o * inF + i];
      y[r * out + o] = s;
    }
  }
  if (b) for (let r = 0; r < n; r++) for (let o = 0; o < out; o++) y[r * out + o] += b.data[o];
  return y;
}

/** RMSNorm over the last dim of size `dim`: x · 1/sqrt(mean(x²) + eps) · w. */
export function rmsnorm(x: Float32Array, dim: number, w: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * w[i];
  }
  return y;
}

/**
 * HF rotary embedding (rotate_half / neox layout) on x [S, heads, D] with per-row positions.
 * angle_k = fp32(pos · fp32(theta^(−2k/D))); out = x·cos + rotate_half(x)·sin.
 */
export function rope(
  x: Float32Array,
  s: number,
  heads: number,
  d: number,
  positions: number[],
  theta: number,
): Float32Array {
  const y = new Float32Array(x.length);
  const half = d / 2;
  for (let t = 0; t < s; t++) {
    for (let k = 0; k < half; k++) {
      const invFreq = Math.fround(1 / Math.fround(theta ** Math.fround((2 * k) / d))); // torch fp32 steps
      const ang = Math.fround(positions[t] * invFreq);
      const c = Math.fround(Math.cos(ang));
      const sn = Math.fround(Math.sin(ang));
      for (let h = 0; h < heads; h++) {
        const o = (t * heads + h) * d;
        const a = x[o + k];
        const b = x[o + k + half];
        y[o + k] = a * c - b * sn;
        y[o + k + half] = b * c + a * sn;
      }
    }
  }
  return y;
}

/**
 * Scaled dot-product attention with GQA: q [S, Hq, D], k/v [T, Hkv, D]; query head h uses KV head
 * floor(h / (Hq/Hkv)). `keep(i, j)` selects visible keys; a row with no visible key averages all keys
 * uniformly (what an additive "very negative" mask yields).
 */
export function attention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  s: number,
  t: number,
  hq: number,
  hkv: number,
  d: number,
  keep: (i: number, j: number) => boolean,
): Float32Array {
  const y = new Float32Array(s * hq * d);
  const group = hq / hkv;
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(t);
  for (let h = 0; h < hq; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < s; i++) {
      let max = -Infinity;
      let any = false;
      for (let j = 0; j < t; j++) {
        if (!keep(i, j)) {
          scores[j] = NaN;
          continue;
        }
        any = true;
        let dot = 0;
        for (let e = 0; e < d; e++) dot += q[(i * hq + h) * d + e] * k[(j * hkv + kh) * d + e];
        scores[j] = dot * scale;
        if (scores[j] > max) max = scores[j];
      }
      let sum = 0;
      for (let j = 0; j < t; j++) {
        const p = !any ? 1 : Number.isNaN(scores[j]) ? 0 : Math.exp(scores[j] - max);
        scores[j] = p;
        sum += p;
      }
      for (let e = 0; e < d; e++) {
        let acc = 0;
        for (let j = 0; j < t; j++) acc += scores[j] * v[(j * hkv + kh) * d + e];
        y[(i * hq + h) * d + e] = acc / sum;
      }
    }
  }
  return y;
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** Qwen3MLP: down(silu(gate(x)) ⊙ up(x)). x [n, H]. */
export function swiglu(x: Float32Array, n: number, gate: Tensor, up: Tensor, down: Tensor, half = false): Float32Array {
  const g = linear(x, n, gate, undefined, half);
  const u = linear(x, n, up, undefined, half);
  const a = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) a[i] = silu(g[i]) * u[i];
  return linear(a, n, down, undefined, half);
}

export function addInPlace(a: Float32Array, b: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}
