// Seeded random weights at real size for the benchmarks (bench/precision.ts, bench/encoders-int8.ts): every tensor
// of a checkpoint layout, generated on first use and kept. Norm weights 1 ± 0.1, matrices uniform ±1/√fan-in
// (no outliers: errors measured on them are lower bounds for trained weights), other vectors ±0.05.
import { uniforms } from "../server/random/prng";
import type { WeightTensor, Weights } from "../server/onnx/weights";

export function randArray(r: () => number, n: number, scale: number, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + scale * (2 * r() - 1);
  return a;
}

/** `values` may give a tensor its own distribution (return undefined for the default). */
export function lazyRandomWeights(
  spec: Map<string, number[]>,
  seed: number,
  values?: (key: string, shape: number[], r: () => number) => Float32Array | undefined,
): Weights {
  const made = new Map<string, WeightTensor>();
  let i = 0;
  const seeds = new Map([...spec.keys()].map((k) => [k, seed * 7919 + i++]));
  return {
    has: (k) => spec.has(k),
    keys: () => spec.keys(),
    get(k) {
      let t = made.get(k);
      if (t) return t;
      const shape = spec.get(k);
      if (!shape) throw new Error(`bench weights: no ${k}`);
      const r = uniforms(seeds.get(k)!);
      const n = shape.reduce((a, b) => a * b, 1);
      const fanIn = shape.length >= 2 ? n / shape[0] : 1;
      const data =
        values?.(k, shape, r) ??
        (/norm\.weight$/.test(k)
          ? randArray(r, n, 0.1, 1)
          : shape.length >= 2
            ? randArray(r, n, 1 / Math.sqrt(fanIn))
            : randArray(r, n, 0.05));
      made.set(k, (t = { shape, data }));
      return t;
    },
  };
}
