// Int8 Linear paths of the DiT step on the CPU (issue 12): `npx tsx bench/dit-matmul.ts [--threads 2] [--rounds 7]
// [--m 375] [--only a,b]`. At the step's Linear shapes (M = 375 patch tokens of a 30 s song; K×N of the
// attention, MLP and output projections) it times, alternating in one process (the VM is noisy), each way ORT's
// CPU provider can multiply fp32 activations by int8 weights, and prints ms per call (median) and the relative
// RMSE against the fp32 product on the same inputs:
//   fp32           Gemm (reference)
//   nbits8-bB-aL   com.microsoft MatMulNBits, 8-bit blocks of B input features, accuracy level L
//                  (L = 4: activations quantised to int8 per block, MLAS SQNBitGemm CompInt8)
//   dqmm           com.microsoft DynamicQuantizeMatMul, weights int8 per output channel, activations uint8 per
//                  tensor (MLAS QGEMM U8S8)
//   mmi-row        per-row (per-token) symmetric activation quantisation in the graph (ReduceMax, Div, Round,
//                  Cast) + ai.onnx MatMulInteger (uint8 with zero point 128 × int8, MLAS QGEMM U8S8) + scales
// Activations are random with a few outlier channels (×8) so per-tensor / per-row scales pay for them.
import * as ort from "onnxruntime-node";
import { uniforms } from "../server/random/prng";
import { relativeRmse } from "../server/onnx/error-metrics";
import { GraphBuilder, type F32 } from "../server/onnx/graph";
import { toBytes } from "../server/onnx/serialize";
import { int8Const, int8LinearPerRow, quantizePerChannelInt8 } from "../server/onnx/int8-linear";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const THREADS = Number(opt("--threads", "2"));
const ROUNDS = Number(opt("--rounds", "7"));
const M = Number(opt("--m", "375"));
const ONLY = opt("--only", "")
  .split(",")
  .filter((s) => s);

const so: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  enableMemPattern: false,
  logSeverityLevel: 3,
};

type Build = (g: GraphBuilder, x: F32, w: Float32Array, N: number, K: number) => F32;

const nbits =
  (block: number, level: 0 | 1 | 2 | 4): Build =>
  (g, x, w, N, K) =>
    g.matMulNBits(x, g.nbitsConst("w", w, N, K, 8, block), level);

const VARIANTS: Record<string, Build> = {
  fp32: (g, x, w, N, K) => g.gemm(x, g.constF32(w, [N, K], "w"), null, { transB: true }),
  "nbits8-b32-a4": nbits(32, 4),
  "nbits8-b64-a4": nbits(64, 4),
  "nbits8-b128-a4": nbits(128, 4),
  "nbits8-b256-a4": nbits(256, 4),
  "nbits8-b32-a2": nbits(32, 2),
  dqmm: (g, x, w, N, K) => {
    const q = quantizePerChannelInt8(w, N, K);
    return g.node(
      "DynamicQuantizeMatMul",
      [x, g.tensor("wq", "int8", [K, N], q.data), g.constF32(q.scales, [N], "ws")],
      "float32",
      {},
      "com.microsoft",
    );
  },
  "mmi-row": (g, x, w, N, K) => int8LinearPerRow(g, x, int8Const(g, "w", quantizePerChannelInt8(w, N, K), N, K)),
};

function rand(r: () => number, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (2 * r() - 1);
  return a;
}

async function main(): Promise<void> {
  const shapes: [number, number, string][] = [
    [2048, 2048, "q/o proj"],
    [2048, 1024, "k/v proj"],
    [2048, 6144, "MLP gate/up"],
    [6144, 2048, "MLP down"],
  ];
  const names = Object.keys(VARIANTS).filter((n) => ONLY.length === 0 || ONLY.includes(n) || n === "fp32");
  console.log(
    `M = ${M}, ${THREADS} threads, ${ROUNDS} alternating rounds; ms per call (median) and rel. RMSE vs fp32\n`,
  );
  console.log(`| K×N | ${names.join(" | ")} |\n|---|${names.map(() => "---|").join("")}`);
  for (const [K, N, label] of shapes) {
    const r = uniforms(K * 31 + N);
    const w = rand(r, N * K, 1 / Math.sqrt(K));
    const xd = rand(r, M * K, 1.7);
    for (let c = 0; c < K; c += 97) for (let m = 0; m < M; m++) xd[m * K + c] *= 8; // outlier channels
    const x = new ort.Tensor("float32", xd, [M, K]);
    const sessions: ort.InferenceSession[] = [];
    for (const n of names) {
      const g = new GraphBuilder({});
      const xi = g.input("x", "float32", [M, K]);
      g.output("y", VARIANTS[n](g, xi, w, N, K));
      sessions.push(await ort.InferenceSession.create(toBytes(g.finish({})), so));
    }
    const outs: Float32Array[] = [];
    for (const s of sessions) outs.push((await s.run({ x })).y.data as Float32Array);
    const times: number[][] = names.map(() => []);
    for (let round = 0; round < ROUNDS; round++)
      for (let i = 0; i < sessions.length; i++) {
        const t0 = performance.now();
        await sessions[i].run({ x });
        times[i].push(performance.now() - t0);
      }
    const cells = names.map((_, i) => {
      const t = times[i].sort((a, b) => a - b)[Math.floor(times[i].length / 2)];
      const e = i === 0 ? "" : ` (${(100 * relativeRmse(outs[i], outs[0])).toFixed(3)} %)`;
      return `${t.toFixed(1)}${e}`;
    });
    console.log(`| ${K}×${N} ${label} | ${cells.join(" | ")} |`);
    for (const s of sessions) await s.release();
  }
}

await main();
