// Test helpers: seeded random weights, ORT session runner, error metrics.
import * as ort from "onnxruntime-node";
import { MemoryWeights } from "../../server/onnx/weights";
import { uniforms } from "../../server/random/prng";

/** Seeded uniforms in [0, 1) from the project's PRNG (server/random/prng.ts). */
export const rng = uniforms;

export function randArray(r: () => number, n: number, scale = 1, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + scale * (2 * r() - 1);
  return a;
}

/** Weights for the given key → shape map; norm weights (rank 1 keys ending in norm.weight/layernorm.weight) near 1. */
export function randomWeights(spec: Record<string, number[]>, seed: number, scale = 0.2): MemoryWeights {
  const r = rng(seed);
  const w = new MemoryWeights();
  for (const [k, shape] of Object.entries(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = /norm\.weight$/.test(k);
    const fanIn = shape.length >= 2 ? shape[shape.length - 1] : 1;
    const s = isNorm ? 0.2 : shape.length >= 2 ? Math.max(scale, 1 / Math.sqrt(fanIn)) : scale;
    w.set(k, { shape, data: randArray(r, n, s, isNorm ? 1 : 0) });
  }
  return w;
}

export async function session(
  bytes: Uint8Array,
  extra: ort.InferenceSession.SessionOptions = {},
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, ...extra });
}

export function i64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(values.map((v) => BigInt(v))), dims);
}

export function f32(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Measured errors, printed once per file so the report can quote them. */
export const measured: Record<string, number> = {};
export function record(name: string, err: number): number {
  measured[name] = err;
  return err;
}
