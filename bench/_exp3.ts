import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../server/onnx/graph";
import { relativeRmse } from "../server/onnx/error-metrics";
import { toBytes } from "../server/onnx/serialize";
import { MemoryWeights } from "../server/onnx/weights";
import { uniforms } from "../server/random/prng";
import { randArray } from "./random-weights";
type Kind = "fp32" | "nbits" | "s8" | "s7" | "u8";
function quant(w: Float32Array, N: number, K: number, kind: Kind) {
  const lim = kind === "s7" ? 63 : 127;
  const data = kind === "u8" ? new Uint8Array(K * N) : new Int8Array(K * N);
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let a = 0;
    for (let k = 0; k < K; k++) a = Math.max(a, Math.abs(w[n * K + k]));
    const s = a / lim || 1;
    scales[n] = s;
    for (let k = 0; k < K; k++) data[k * N + n] = Math.round(w[n * K + k] / s) + (kind === "u8" ? 128 : 0);
  }
  return { data, scales };
}
for (const [N, K, M] of [[1024, 1024, 200], [3072, 1024, 200], [6144, 2048, 300]]) {
  const r = uniforms(1);
  const w = randArray(r, N * K, 1 / Math.sqrt(K));
  const x = randArray(r, M * K, 1.7);
  const weights = new MemoryWeights([["w", { shape: [N, K], data: w }]]);
  const out: string[] = [];
  let ref: Float32Array | undefined;
  for (const kind of ["fp32", "nbits", "s8", "s7", "u8"] as Kind[]) {
    const g = new GraphBuilder({ weights, precision: kind === "nbits" ? "int8" : "fp32", int8Linear: "nbits" });
    const xi = g.input("x", "float32", [M, K]);
    let y;
    if (kind === "fp32" || kind === "nbits") y = g.linear(xi, "w", undefined, { in: K, out: N });
    else {
      const q = quant(w, N, K, kind);
      const ins = [xi, g.tensor("b", kind === "u8" ? "uint8" : "int8", [K, N], q.data as any), g.constF32(q.scales, [N], "bs")];
      if (kind === "u8") ins.push(g.tensor("bz", "uint8", [N], new Uint8Array(N).fill(128)));
      y = g.node("DynamicQuantizeMatMul", ins as any, "float32", {}, "com.microsoft");
    }
    g.output("y", y);
    const s = await ort.InferenceSession.create(toBytes(g.finish({})), { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: "all" });
    const feeds = { x: new ort.Tensor("float32", x, [M, K]) };
    const yv = (await s.run(feeds)).y.data as Float32Array;
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) { const t0 = performance.now(); await s.run(feeds); ts.push(performance.now() - t0); }
    ts.sort((a, b) => a - b);
    const e = ref ? `${(100 * relativeRmse(yv, ref)).toFixed(3)}%` : "-";
    if (!ref) ref = yv;
    out.push(`${kind} ${e} ${ts[3].toFixed(1)}ms`);
  }
  console.log(`${M}x${K}x${N}:`, out.join(" | "));
}
