// Weight formats of DynamicQuantizeMatMul on this CPU (docs/precision.md, "uint8 weights"): `npx tsx
// bench/int8-weights.ts [--threads 2]`. One Linear at three shapes, uniform random weights ±1/√K and activations
// ±1.7 (spread over the whole uint8 range, like an RMSNorm output): fp32 Gemm, MatMulNBits int8, and
// DynamicQuantizeMatMul with per-channel weights int8 ±127, int8 ±63 (7 bits) and uint8 with zero point 128 (what
// the graphs store, server/onnx/int8-linear.ts). Prints each output's relative RMSE against fp32 and ms per call (median of 7 after a warm-up, one format
// after the other). ±127 saturates MLAS's AVX2 U8S8 kernel on CPUs without VNNI. Run under `flock /work/heavy.lock`.
import * as ort from "onnxruntime-node";
import { relativeRmse } from "../server/onnx/error-metrics";
import { GraphBuilder, type F32 } from "../server/onnx/graph";
import { toBytes } from "../server/onnx/serialize";
import { MemoryWeights } from "../server/onnx/weights";
import { uniforms } from "../server/random/prng";
import { randArray } from "./random-weights";

const args = process.argv.slice(2);
const i = args.indexOf("--threads");
const THREADS = i >= 0 ? Number(args[i + 1]) : 2;

type Format = "fp32" | "nbits" | "s8" | "s7" | "u8";
const LABEL: Record<Format, string> = {
  fp32: "fp32",
  nbits: "MatMulNBits int8",
  s8: "DQMM int8 ±127",
  s7: "DQMM int8 ±63",
  u8: "DQMM uint8, zp 128",
};

/** W [N, K] per output channel → B [K, N] (int8 ±qmax, or uint8 = int8 ±127 + 128) and scales [N]. */
function perChannel(w: Float32Array, N: number, K: number, f: "s8" | "s7" | "u8") {
  const qmax = f === "s7" ? 63 : 127;
  const data = f === "u8" ? new Uint8Array(K * N) : new Int8Array(K * N);
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
    scales[n] = amax / qmax || 1;
    for (let k = 0; k < K; k++) data[k * N + n] = Math.round(w[n * K + k] / scales[n]) + (f === "u8" ? 128 : 0);
  }
  return { data, scales };
}

console.log(`| M×K×N | ${Object.values(LABEL).join(" | ")} |\n|---|---|---|---|---|---|`);
for (const [M, K, N] of [
  [200, 1024, 1024],
  [200, 1024, 3072],
  [300, 2048, 6144],
]) {
  const r = uniforms(1);
  const w = randArray(r, N * K, 1 / Math.sqrt(K));
  const x = new ort.Tensor("float32", randArray(r, M * K, 1.7), [M, K]);
  const weights = new MemoryWeights([["w", { shape: [N, K], data: w }]]);
  const cells: string[] = [];
  let ref: Float32Array | undefined;
  for (const f of Object.keys(LABEL) as Format[]) {
    const g = new GraphBuilder({ weights, precision: f === "nbits" ? "int8" : "fp32", int8Linear: "nbits" });
    const xi = g.input("x", "float32", [M, K]);
    let y: F32;
    if (f === "fp32" || f === "nbits") y = g.linear(xi, "w", undefined, { in: K, out: N });
    else {
      const q = perChannel(w, N, K, f);
      const b =
        q.data instanceof Uint8Array ? g.tensor("b", "uint8", [K, N], q.data) : g.tensor("b", "int8", [K, N], q.data);
      const zp = f === "u8" ? [g.tensor("bz", "uint8", [N], new Uint8Array(N).fill(128))] : [];
      y = g.node(
        "DynamicQuantizeMatMul",
        [xi, b, g.constF32(q.scales, [N], "bs"), ...zp],
        "float32",
        {},
        "com.microsoft",
      );
    }
    g.output("y", y);
    const s = await ort.InferenceSession.create(toBytes(g.finish({})), {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    const out = (await s.run({ x })).y.data as Float32Array;
    const ts: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t0 = performance.now();
      await s.run({ x });
      ts.push(performance.now() - t0);
    }
    await s.release();
    const ms = ts.sort((a, b) => a - b)[3].toFixed(1);
    cells.push(ref ? `${(100 * relativeRmse(out, ref)).toFixed(3)} %, ${ms} ms` : `${ms} ms`);
    ref ??= out;
  }
  console.log(`| ${M}×${K}×${N} | ${cells.join(" | ")} |`);
}
