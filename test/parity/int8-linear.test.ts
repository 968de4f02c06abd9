// Int8 Linear layers through com.microsoft DynamicQuantizeMatMul and per-token MatMulInteger (GraphBuilder
// int8Linear "dynamic" / "dynamic-row", the DiT step's int8 kernels): the per-output-channel weight quantisation,
// and each graph's product against an independent float64 reference with a worst-case bound derived from the
// activation quantisation step.
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../server/onnx/graph";
import { dequantizePerChannelInt8, quantizePerChannelInt8 } from "../../server/onnx/int8-linear";
import { toBytes } from "../../server/onnx/serialize";
import { relativeRmse } from "../../server/onnx/error-metrics";
import { MemoryWeights } from "../../server/onnx/weights";
import { f32, randArray, rng, session } from "./helpers";

describe("int8 Linear, weights per output channel, activations per tensor", () => {
  const N = 48,
    K = 80,
    M = 7;
  const r = rng(3);
  const w = randArray(r, N * K, 0.3);
  for (let n = 0; n < N; n++) w[n * K + ((n * 7) % K)] *= 6; // one large weight per row: scales differ per row

  it("quantises each output row symmetrically to [-127, 127] within half a step, stored [in, out]", () => {
    const q = quantizePerChannelInt8(w, N, K);
    expect(q.data.length).toBe(K * N);
    const d = dequantizePerChannelInt8(q, N, K);
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
      expect(q.scales[n]).toBeCloseTo(amax / 127, 6);
      for (let k = 0; k < K; k++) {
        expect(Math.abs(q.data[k * N + n])).toBeLessThanOrEqual(127);
        expect(Math.abs(d[n * K + k] - w[n * K + k])).toBeLessThanOrEqual(q.scales[n] / 2 + 1e-7);
      }
    }
  });

  for (const kernel of ["dynamic", "dynamic-row"] as const) {
    it(`GraphBuilder.linear (int8, ${kernel}) equals x·dequant(W)ᵀ + b within the activation rounding bound`, async () => {
      const b = randArray(r, N, 0.5);
      const weights = new MemoryWeights([
        ["w", { shape: [N, K], data: w }],
        ["b", { shape: [N], data: b }],
      ]);
      const g = new GraphBuilder({ weights, precision: "int8", int8Linear: kernel });
      g.output("y", g.linear(g.input("x", "float32", [M, K]), "w", "b", { in: K, out: N }));
      const m = g.finish({ requireAllUsed: [""] });
      const ops = m.nodes.map((n) => n.opType);
      expect(ops).toContain(kernel === "dynamic" ? "DynamicQuantizeMatMul" : "MatMulInteger");
      expect(ops).not.toContain("MatMulNBits");
      // weights stored as uint8 (int8 + 128): MLAS multiplies U8U8, which cannot saturate
      const q = m.initializers.find((t) => t.name.endsWith("w.q8c"));
      expect(q?.dtype).toBe("uint8");

      const x = randArray(r, M * K, 2, 0.4);
      for (let k = 0; k < K; k++) x[2 * K + k] *= 10; // one loud token
      const y = (await (await session(toBytes(m))).run({ x: f32(x, [M, K]) })).y.data as Float32Array;
      const d = dequantizePerChannelInt8(quantizePerChannelInt8(w, N, K), N, K);
      // dynamic: uint8 over [min(x, 0), max(x, 0)] of the whole tensor; dynamic-row: symmetric int8 per row (max|x|/127).
      // Each activation is off by at most half its step.
      const all = (Math.max(0, ...x) - Math.min(0, ...x)) / 255;
      let worstRatio = 0;
      for (let i = 0; i < M; i++) {
        const row = x.subarray(i * K, (i + 1) * K);
        const step = kernel === "dynamic" ? all : Math.max(...row.map(Math.abs)) / 127;
        for (let n = 0; n < N; n++) {
          let ref = b[n];
          let l1 = 0;
          for (let k = 0; k < K; k++) {
            ref += row[k] * d[n * K + k];
            l1 += Math.abs(d[n * K + k]);
          }
          const bound = (step / 2) * l1 + 1e-4 * (1 + Math.abs(ref));
          const err = Math.abs(y[i * N + n] - ref);
          expect(err).toBeLessThanOrEqual(bound);
          worstRatio = Math.max(worstRatio, err / bound);
        }
      }
      expect(worstRatio).toBeGreaterThan(0); // the activations really were quantised
    });

    it(`${kernel}: activations spread over the whole uint8 range do not saturate MLAS (AVX2 U8S8 int16 sums)`, async () => {
      // RMSNorm-like input, every token at unit RMS: uint8 codes near 0 and 255, where int8 weights overflowed
      // vpmaddubsw's int16 pair sums on AVX2-only CPUs (18–21 % error, docs/precision.md); stored as uint8 they cannot.
      const Kb = 256;
      const Nb = 64;
      const wb = randArray(rng(8), Nb * Kb, 1 / Math.sqrt(Kb));
      const weights = new MemoryWeights([["w", { shape: [Nb, Kb], data: wb }]]);
      const g = new GraphBuilder({ weights, precision: "int8", int8Linear: kernel });
      g.output("y", g.linear(g.input("x", "float32", [M, Kb]), "w", undefined, { in: Kb, out: Nb }));
      const x = randArray(rng(9), M * Kb, 1.7);
      const y = (await (await session(toBytes(g.finish({})))).run({ x: f32(x, [M, Kb]) })).y.data as Float32Array;
      const d = dequantizePerChannelInt8(quantizePerChannelInt8(wb, Nb, Kb), Nb, Kb);
      const ref = new Float32Array(M * Nb);
      for (let i = 0; i < M; i++)
        for (let n = 0; n < Nb; n++) {
          let acc = 0;
          for (let k = 0; k < Kb; k++) acc += x[i * Kb + k] * d[n * Kb + k];
          ref[i * Nb + n] = acc;
        }
      // activation rounding alone: about 0.4 % (uniform codes, step 3.4 / 255)
      expect(relativeRmse(y, ref)).toBeLessThan(0.01);
    });
  }
});
