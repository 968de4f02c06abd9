// Host-side work of the DiT sampler at a large batch, against the DiT step it runs beside:
//   - guidance (APG with its momentum buffer, as base/sft models run it every step; ADG; plain CFG),
//   - the initial seeded noise (one torch-CUDA-parity Philox generator per item: server/acestep/sampling/seeds.ts
//     batchNoise) and the SDE solver's per-step re-noise (sdeStepNoise),
// at batch B × S seconds (T = 25·S latent frames, 64 channels), and a lower bound of one DiT step at that size:
// the step's Linear FLOPs (24 layers, hidden 2048, MLP 6144, patch 2; attention and everything else left out)
// over the fastest matmul measured here (fp32 Gemm and int8 MatMulNBits at a DiT MLP shape, same threads).
// Each host share printed is therefore an upper bound.
//
//   npx tsx bench/host-sampling.ts [--batch 8] [--seconds 240] [--threads 2] [--reps 3]
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { MomentumBuffer, adg, apg, cfg } from "../server/acestep/sampling/guidance";
import { batchNoise, sdeStepNoise } from "../server/acestep/sampling/seeds";
import { GraphBuilder } from "../server/onnx/graph";
import { toBytes } from "../server/onnx/serialize";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "8" },
    seconds: { type: "string", default: "240" },
    threads: { type: "string", default: "2" },
    reps: { type: "string", default: "3" },
  },
});
const B = Number(values.batch);
const T = Math.round(Number(values.seconds) * 25);
const C = 64;
const threads = Number(values.threads);
const reps = Number(values.reps);
const n = B * T * C;

const best = async (f: () => unknown | Promise<unknown>): Promise<number> => {
  let m = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await f();
    m = Math.min(m, performance.now() - t0);
  }
  return m;
};

let s = 1;
const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const vc = Float32Array.from({ length: n }, rnd);
const vu = Float32Array.from({ length: n }, rnd);
const shape = { B, T, C };
const buf = new MomentumBuffer();
const host = {
  apg: await best(() => apg(vc, vu, 7, shape, { buffer: buf })),
  adg: await best(() => adg(vu, vc, vu, 0.5, 7, shape)),
  cfg: await best(() => cfg(vc, vu, 7)),
  initialNoise: await best(() => batchNoise([...Array(B).keys()], T, C)),
  sdeNoise: await best(() => {
    for (let b = 0; b < B; b++) sdeStepNoise(42 + b, 3, T * C);
  }),
};

// the fastest matmul path at a DiT MLP shape: M = 2048 tokens, K = 2048, N = 6144
const M = 2048,
  K = 2048,
  N = 6144;
async function matmulGflops(kind: "fp32" | "int8"): Promise<number> {
  const w = new Map([["w", { shape: [N, K], data: Float32Array.from({ length: N * K }, rnd) }]]);
  const g = new GraphBuilder({
    weights: { get: (k) => w.get(k)!, has: (k) => w.has(k), keys: () => w.keys() },
    precision: kind === "int8" ? "int8" : "fp32",
  });
  const x = g.input("x", "float32", [M, K]);
  g.output("y", g.linear(x, "w", undefined, { in: K, out: N }), [M, N]);
  const sess = await ort.InferenceSession.create(toBytes(g.finish()), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const feed = { x: new ort.Tensor("float32", Float32Array.from({ length: M * K }, rnd), [M, K]) };
  await sess.run(feed);
  const ms = await best(() => sess.run(feed));
  await sess.release();
  return (2 * M * K * N) / (ms / 1000) / 1e9;
}
const peak = { fp32: await matmulGflops("fp32"), int8: await matmulGflops("int8") };
const fastest = Math.max(peak.fp32, peak.int8);

// Linear FLOPs of one DiT step (turbo config): per token and layer, self-attention q,o 2048² + k,v 2048·1024,
// cross-attention q,o 2048², MLP 3 · 2048·6144 (cross K/V run once per generation over the condition tokens)
const H = 2048;
const perTokenLayer = 2 * H * H + 2 * H * 1024 + 2 * H * H + 3 * H * 6144;
const tokens = B * Math.ceil(T / 2);
const ditFlops = 2 * perTokenLayer * 24 * tokens;
const ditMs = (ditFlops / (fastest * 1e9)) * 1000;

const pct = (ms: number) => `${((100 * ms) / ditMs).toFixed(2)} %`;
console.log(
  `batch ${B} × ${values.seconds} s (T = ${T}, ${n.toLocaleString()} latent values), ${threads} threads, best of ${reps}`,
);
console.log(
  `matmul ${M}×${K}×${N}: fp32 ${peak.fp32.toFixed(0)} GFLOP/s, int8 MatMulNBits ${peak.int8.toFixed(0)} GFLOP/s → ` +
    `DiT step ≥ ${(ditFlops / 1e12).toFixed(1)} TFLOP / ${fastest.toFixed(0)} GFLOP/s = ${(ditMs / 1000).toFixed(1)} s`,
);
console.log(
  `per step:   APG ${host.apg.toFixed(0)} ms (${pct(host.apg)} of that step at most), ` +
    `ADG ${host.adg.toFixed(0)} ms (${pct(host.adg)}), CFG ${host.cfg.toFixed(0)} ms (${pct(host.cfg)}), ` +
    `SDE re-noise ${host.sdeNoise.toFixed(0)} ms (${pct(host.sdeNoise)})`,
);
console.log(`per song:   initial noise ${host.initialNoise.toFixed(0)} ms (${pct(host.initialNoise)} of one step)`);
