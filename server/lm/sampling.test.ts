import { describe, expect, it } from "vitest";
import { createRng } from "../random/prng";
import {
  applyCfg,
  applyRepetitionPenalty,
  applyTopK,
  applyTopP,
  processLogits,
  sampleFromLogits,
  sampleToken,
} from "./sampling";

const f32 = (a: number[]) => Float32Array.from(a);
const finite = (l: Float32Array) => [...l].map((v, i) => (v > -Infinity ? i : -1)).filter((i) => i >= 0);

/** Empirical distribution of sampleToken over n draws. */
function histogram(draw: () => number, n: number, size: number): number[] {
  const h = new Array(size).fill(0);
  for (let i = 0; i < n; i++) h[draw()]++;
  return h.map((c) => c / n);
}

describe("sampling pipeline (pt order: CFG → mask → rep. penalty → top-k → top-p → temperature)", () => {
  it("CFG is uncond + s·(cond − uncond) in fp32", () => {
    const out = applyCfg(f32([1, 2, 3]), f32([0.5, 2, 4]), 2);
    expect([...out]).toEqual([1.5, 2, 2]);
  });

  it("CFG scale 1 (or no uncond) is exactly no CFG", () => {
    const cond = f32([0.3, -1.2, 2.5, 0.7]);
    const uncond = f32([9, 9, -9, 1]);
    const a = processLogits({ cond, uncond }, { cfgScale: 1, topP: 1 });
    const b = processLogits({ cond }, { topP: 1 });
    expect([...a]).toEqual([...cond]);
    expect([...b]).toEqual([...cond]);
    const r1 = createRng(7),
      r2 = createRng(7);
    for (let i = 0; i < 50; i++) {
      expect(sampleToken({ cond, uncond }, { cfgScale: 1 }, r1)).toBe(sampleToken({ cond }, {}, r2));
    }
  });

  it("repetition penalty divides positive and multiplies negative logits (HF sign rule), once per id", () => {
    const l = f32([2, -2, 1, 0]);
    applyRepetitionPenalty(l, [0, 1, 1, 3], 2);
    expect([...l]).toEqual([1, -4, 1, 0]);
  });

  it("top-k keeps the k largest (and ties with the k-th)", () => {
    const l = f32([1, 5, 3, 3, 0]);
    applyTopK(l, 2);
    expect(finite(l)).toEqual([1, 2, 3]);
  });

  it("top-p keeps the smallest prefix whose mass exceeds p (first token always kept)", () => {
    // probs ≈ [0.5, 0.3, 0.2] for logits log(0.5), log(0.3), log(0.2)
    const base = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    let l = f32(base);
    applyTopP(l, 0.6);
    expect(finite(l)).toEqual([0, 1]);
    l = f32(base);
    applyTopP(l, 0.4);
    expect(finite(l)).toEqual([0]);
    l = f32(base);
    applyTopP(l, 0.85);
    expect(finite(l)).toEqual([0, 1, 2]);
  });

  it("applies top-k BEFORE top-p (top-p renormalises over the k survivors)", () => {
    const base = [0.5, 0.25, 0.15, 0.1].map(Math.log);
    // top-p 0.6 alone: cum 0.5, 0.75 → keeps {0, 1}
    expect(finite(processLogits({ cond: f32(base) }, { topP: 0.6 }))).toEqual([0, 1]);
    // top-k 2 first → {0.667, 0.333}; top-p 0.6 then keeps only {0} (top-p first would have kept {0, 1})
    expect(finite(processLogits({ cond: f32(base) }, { topK: 2, topP: 0.6 }))).toEqual([0]);
    // top-k 3 → {0.556, 0.278, 0.167}; top-p 0.6 keeps {0, 1}
    expect(finite(processLogits({ cond: f32(base) }, { topK: 3, topP: 0.6 }))).toEqual([0, 1]);
  });

  it("applies temperature AFTER top-p (the nucleus is chosen on untempered logits)", () => {
    const base = f32([0.5, 0.3, 0.2].map(Math.log));
    // With T = 10 first, the distribution would be nearly uniform and top-p 0.6 would keep 2 of 3 anyway;
    // with T = 0.1 first it would keep only token 0. Order pt: nucleus {0,1} regardless of T.
    for (const temperature of [0.1, 10]) {
      const rng = createRng(1);
      const h = histogram(() => sampleToken({ cond: base }, { topP: 0.6, temperature }, rng), 4000, 3);
      expect(h[2]).toBe(0);
      expect(h[1]).toBeGreaterThan(temperature === 10 ? 0.4 : 0.0);
    }
  });

  it("temperature sharpens / flattens the kept distribution; 0 is argmax", () => {
    const l = f32([0, 1]);
    const pHot = histogram(() => sampleFromLogits(l, 100, rngA), 4000, 2);
    const pCold = histogram(() => sampleFromLogits(l, 0.25, rngA), 4000, 2);
    expect(Math.abs(pHot[1] - 0.5)).toBeLessThan(0.05);
    expect(pCold[1]).toBeGreaterThan(0.95); // sigmoid(4) ≈ 0.982
    expect(sampleFromLogits(f32([0.1, 3, 2]), 0, rngA)).toBe(1);
  });
  const rngA = createRng(123);

  it("mask runs after CFG and before the filters", () => {
    const cond = f32([5, 1, 0, 0]),
      uncond = f32([0, 0, 0, 0]);
    const out = processLogits(
      {
        cond,
        uncond,
        constrain: (l) => {
          l[0] = -Infinity;
        },
      },
      { cfgScale: 2, topP: 1 },
    );
    expect([...out]).toEqual([-Infinity, 2, 0, 0]);
  });

  it("samples match the softmax on a hand-made distribution", () => {
    const l = f32([0.6, 0.3, 0.1].map(Math.log));
    const rng = createRng(99);
    const h = histogram(() => sampleToken({ cond: l }, { temperature: 1, topP: 1 }, rng), 20000, 3);
    expect(h[0]).toBeCloseTo(0.6, 1);
    expect(h[1]).toBeCloseTo(0.3, 1);
    expect(h[2]).toBeCloseTo(0.1, 1);
  });

  it("is reproducible for a seed and differs across seeds", () => {
    const l = new Float32Array(1000).map((_, i) => Math.sin(i) * 3);
    const run = (seed: number) => {
      const r = createRng(seed);
      return Array.from({ length: 30 }, () => sampleToken({ cond: l }, {}, r));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it("never mutates the input logits", () => {
    const cond = f32([1, 2, 3]),
      uncond = f32([0, 0, 1]);
    sampleToken({ cond, uncond, constrain: (l) => l.fill(-Infinity, 0, 1) }, { topK: 1 }, createRng(1));
    expect([...cond]).toEqual([1, 2, 3]);
    expect([...uncond]).toEqual([0, 0, 1]);
  });

  it("bucketed top-k / top-p match a full-sort reference on random logits", () => {
    const r = createRng(2024);
    const refTopP = (l: Float32Array, p: number) => {
      const v = [...l].filter((x) => x > -Infinity).sort((a, b) => b - a);
      const m = v[0];
      const z = v.reduce((acc, x) => acc + Math.exp(x - m), 0);
      let cum = 0;
      for (const x of v) {
        cum += Math.exp(x - m) / z;
        if (cum > p) return x;
      }
      return v[v.length - 1];
    };
    for (let t = 0; t < 200; t++) {
      const n = 5 + Math.floor(r.uniform() * 400);
      const l = new Float32Array(n).map(() =>
        r.uniform() < 0.2 ? -Infinity : Math.round((r.uniform() * 10 - 5) * 8) / 8,
      );
      if (!l.some((x) => x > -Infinity)) continue;
      const p = 0.05 + r.uniform() * 0.9;
      const a = l.slice();
      applyTopP(a, p);
      const thr = refTopP(l, p);
      expect(finite(a)).toEqual(finite(l).filter((i) => l[i] >= thr));
      const k = 1 + Math.floor(r.uniform() * 20);
      const b = l.slice();
      applyTopK(b, k);
      const sorted = [...l].filter((x) => x > -Infinity).sort((x, y) => y - x);
      const kth = sorted.length > k ? sorted[k - 1] : -Infinity;
      expect(finite(b)).toEqual(finite(l).filter((i) => l[i] >= kth));
    }
  });

  it("rng yields uniform doubles in [0, 1)", () => {
    const r = createRng(5);
    let s = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r.uniform();
      expect(x >= 0 && x < 1).toBe(true);
      s += x;
    }
    expect(s / 10000).toBeCloseTo(0.5, 1);
  });
});
