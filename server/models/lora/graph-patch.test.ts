// graph-patch.ts on one Linear per weight precision: the patched graph's output minus the unpatched one equals
// x·(b·a)ᵀ computed in plain TS, for every weight precision of the graph builder: fp32 Gemm, fp16 Gemm (+ Cast
// back), bf16 (Cast-widened weight) and int8 / int4 MatMulNBits.
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { GraphBuilder, MemoryWeights, toBytes, type Precision } from "../../onnx";
import { createRng } from "../../checkpoints/tiny";
import { linearSites, loraInputA, loraInputB, modelBytes, patchLinearsWithLora } from "./graph-patch";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";

const IN = 64,
  OUT = 48,
  N = 5,
  R = 3;
const rng = createRng(4);
const W = rng.fillNormal(new Float32Array(OUT * IN), 0.2);
const bias = rng.fillNormal(new Float32Array(OUT), 0.1);
const x = rng.fillNormal(new Float32Array(N * IN), 1);
const a = rng.fillNormal(new Float32Array(R * IN), 0.3);
const b = rng.fillNormal(new Float32Array(OUT * R), 0.3);

function build(precision: Precision): Uint8Array {
  const weights = new MemoryWeights([
    ["w", { shape: [OUT, IN], data: W }],
    ["bias", { shape: [OUT], data: bias }],
  ]);
  const g = new GraphBuilder({ weights, precision, name: `lin_${precision}` });
  const y = g.linear(g.input("x", "float32", ["n", IN]), "w", "bias", { in: IN, out: OUT });
  g.output("y", g.mul(y, g.scalarF32(1)), ["n", OUT]);
  return toBytes(g.finish());
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return (await s.run(feeds)).y.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe("LoRA branch spliced into a Linear", () => {
  it.each<Precision>(["fp32", "fp16", "bf16", "int8", "int4"])("%s: patched − base = x·(b·a)ᵀ", async (precision) => {
    const bytes = build(precision);
    const model = fromBinary(ModelProtoSchema, bytes);
    expect([...linearSites(model).values()]).toEqual([{ key: "w", out: OUT, in: IN }]);
    const patched = modelBytes(patchLinearsWithLora(model, ["w"]));
    const xs = new ort.Tensor("float32", x, [N, IN]);
    const base = await run(bytes, { x: xs });
    const withLora = await run(patched, {
      x: xs,
      [loraInputA("w")]: new ort.Tensor("float32", a, [R, IN]),
      [loraInputB("w")]: new ort.Tensor("float32", b, [OUT, R]),
    });
    let se = 0,
      scale = 0;
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < OUT; o++) {
        let d = 0;
        for (let k = 0; k < R; k++) {
          let xa = 0;
          for (let i = 0; i < IN; i++) xa += x[n * IN + i] * a[k * IN + i];
          d += xa * b[o * R + k];
        }
        se += (withLora[n * OUT + o] - base[n * OUT + o] - d) ** 2;
        scale += d * d;
      }
    }
    expect(Math.sqrt(scale / (N * OUT))).toBeGreaterThan(0.5);
    expect(Math.sqrt(se / (N * OUT))).toBeLessThanOrEqual(1e-5);
    // zero factors: the base output, bitwise for Gemm weights; MatMulNBits may lose ORT's bias fusion (rounding
    // differs), which is why DitLoras runs the unpatched graphs when every scale is 0
    const zeros = {
      [loraInputA("w")]: new ort.Tensor("float32", new Float32Array(IN), [1, IN]),
      [loraInputB("w")]: new ort.Tensor("float32", new Float32Array(OUT), [OUT, 1]),
    };
    const zero = await run(patched, { x: xs, ...zeros });
    if (precision === "int8" || precision === "int4")
      expect(Math.max(...zero.map((v, i) => Math.abs(v - base[i])))).toBeLessThan(1e-5);
    else expect(Buffer.from(zero.buffer).equals(Buffer.from(base.buffer))).toBe(true);
  });

  it("refuses a key the graph has no Linear for", () => {
    expect(() =>
      patchLinearsWithLora(fromBinary(ModelProtoSchema, build("fp32")), ["decoder.layers.9.self_attn.q_proj.weight"]),
    ).toThrow(/has no Linear weight decoder\.layers\.9\.self_attn\.q_proj\.weight/);
  });
});
