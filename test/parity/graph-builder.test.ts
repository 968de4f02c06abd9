// Builder unit tests: initializer naming/layout/dtypes, the weight-key ledger errors, IR/opset stamping,
// external data, fp16 conversion, and op-level checks of RoPE and com.microsoft domain handling.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { ModelProtoSchema, TensorProto_DataLocation, TensorProto_DataType } from "onnx-buf";
import { afterAll, describe, expect, it } from "vitest";
import { ropeTables } from "../../server/onnx/blocks";
import { f16BitsToF32, f32ToF16, f32ToF16Bits } from "../../server/onnx/float16";
import { GraphBuilder, WeightKeyError, attr } from "../../server/onnx/graph";
import { buildQwen3TextEncoder } from "../../server/onnx/qwen3";
import { toBytes, toBytesWithExternalData, writeModel } from "../../server/onnx/serialize";
import { MemoryWeights, withPrefix } from "../../server/onnx/weights";
import { rope, roundHalf } from "./reference/math";
import { qwen3Spec, tinyQwen3 } from "./fixtures";
import { f32, i64, maxAbsDiff, measured, randArray, randomWeights, record, rng, session } from "./helpers";

const cfg = { ...tinyQwen3, num_hidden_layers: 1 };
const spec = qwen3Spec(cfg, "");
const feeds = () => ({ input_ids: i64([1, 2, 3, 4], [1, 4]), attention_mask: i64([1, 1, 1, 1], [1, 4]) });

describe("GraphBuilder", () => {
  afterAll(() => console.log("builder max abs errors", measured));

  it("names initializers after checkpoint keys, keeps checkpoint shapes, stores matrices fp16 in fp16 mode", () => {
    const w = randomWeights(spec, 1);
    for (const precision of ["fp32", "fp16"] as const) {
      const model = fromBinary(ModelProtoSchema, toBytes(buildQwen3TextEncoder(w, cfg, { precision })));
      const byName = new Map(model.graph!.initializer.map((t) => [t.name, t]));
      for (const [key, shape] of Object.entries(spec)) {
        const t = byName.get(key);
        expect(t, key).toBeDefined();
        expect(t!.dims.map(Number)).toEqual(shape);
        const want =
          precision === "fp16" && shape.length === 2 ? TensorProto_DataType.FLOAT16 : TensorProto_DataType.FLOAT;
        expect(t!.dataType, key).toBe(want);
      }
      expect(Number(model.irVersion)).toBe(11);
      expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 23]]);
      expect(model.graph!.input.map((v) => v.name)).toEqual(["input_ids", "attention_mask"]);
      expect(model.graph!.output.map((v) => v.name)).toEqual(["last_hidden_state"]);
    }
  });

  it("fails listing every missing, unused and mis-shaped key at once", () => {
    const w = randomWeights(spec, 2);
    const broken = new MemoryWeights();
    for (const k of w.keys()) if (k !== "layers.0.mlp.up_proj.weight" && k !== "norm.weight") broken.set(k, w.get(k));
    broken.set("layers.0.self_attn.q_norm.weight", { shape: [3], data: new Float32Array(3) });
    broken.set("layers.7.mlp.extra.weight", { shape: [1], data: new Float32Array(1) });
    broken.set("lm_head.weight", { shape: [1], data: new Float32Array(1) }); // ignored by the text encoder
    let err: WeightKeyError | undefined;
    try {
      buildQwen3TextEncoder(broken, cfg);
    } catch (e) {
      err = e as WeightKeyError;
    }
    expect(err).toBeInstanceOf(WeightKeyError);
    expect(err!.missing.sort()).toEqual(["layers.0.mlp.up_proj.weight", "norm.weight"]);
    expect(err!.unused).toEqual(["layers.7.mlp.extra.weight"]);
    expect(err!.mismatched).toEqual(["layers.0.self_attn.q_norm.weight: checkpoint [3] vs expected [16]"]);
    expect(err!.message).toContain("layers.0.mlp.up_proj.weight");
    expect(err!.message).toContain("layers.7.mlp.extra.weight");
  });

  it("writes external data on request and ORT loads it by path and from buffers", async () => {
    const w = randomWeights(spec, 3);
    const built = buildQwen3TextEncoder(w, cfg);
    const want = (await (await session(toBytes(built))).run(feeds())).last_hidden_state.data as Float32Array;
    const dir = mkdtempSync(join(tmpdir(), "onnx-ext-"));
    try {
      const files = writeModel(built, join(dir, "enc.onnx"), { externalData: "always" });
      expect(files.data).toBe(join(dir, "enc.onnx.data"));
      const proto = fromBinary(ModelProtoSchema, readFileSync(files.model));
      const ext = proto.graph!.initializer.filter((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL);
      expect(ext.map((t) => t.name)).toContain("embed_tokens.weight");
      expect(statSync(files.model).size).toBeLessThan(statSync(files.data!).size);
      const byPath = await ort.InferenceSession.create(files.model, { intraOpNumThreads: 1 });
      expect(maxAbsDiff((await byPath.run(feeds())).last_hidden_state.data as Float32Array, want)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { model, data } = toBytesWithExternalData(built, "enc.onnx.data");
    const fromBuf = await session(model, { externalData: [{ path: "enc.onnx.data", data }] });
    expect(maxAbsDiff((await fromBuf.run(feeds())).last_hidden_state.data as Float32Array, want)).toBe(0);
  });

  it("stamps the com.microsoft opset only when such an op is used, and ORT runs it", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", ["n", 4]);
    g.output("y", g.node("Gelu", [x], "float32", {}, "com.microsoft"));
    const built = g.finish();
    expect(built.opsets).toEqual({ "": 23, "com.microsoft": 1 });
    const xs = Float32Array.from([-2, -0.5, 0.5, 2]);
    const y = (await (await session(toBytes(built))).run({ x: f32(xs, [1, 4]) })).y.data as Float32Array;
    const erf = (z: number) => {
      const t = 1 / (1 + 0.3275911 * Math.abs(z));
      const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
      return Math.sign(z) * (1 - p * Math.exp(-z * z));
    };
    expect(
      maxAbsDiff(
        y,
        xs.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
      ),
    ).toBeLessThan(1e-6);
  });

  it("RotaryEmbedding with in-graph tables matches the reference at long positions (theta 1e6, D 128)", async () => {
    const D = 128,
      heads = 2,
      S = 5;
    const positions = [0, 1, 127, 2999, 40959];
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [1, S, heads * D]);
    const pos = g.input("pos", "int64", [1, S]);
    const { cos, sin } = ropeTables(g, pos, D, 1e6);
    g.output("y", g.rotaryEmbedding(x, cos, sin, { numHeads: heads }));
    const xs = randArray(rng(4), S * heads * D, 1);
    const y = (
      await (await session(toBytes(g.finish()))).run({ x: f32(xs, [1, S, heads * D]), pos: i64(positions, [1, S]) })
    ).y.data as Float32Array;
    expect(record("rope D128 pos≤40959", maxAbsDiff(y, rope(xs, S, heads, D, positions, 1e6)))).toBeLessThanOrEqual(
      1e-5,
    );
  });

  it("converts f32 to f16 with round-to-nearest-even, subnormals, Inf and NaN", () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(2049)).toBe(f32ToF16Bits(2048)); // tie → even
    expect(f32ToF16Bits(2 ** -24)).toBe(1);
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
    const xs = randArray(rng(5), 20000, 70000).map((v, i) => (i % 3 === 0 ? v * 1e-7 : v));
    const back = f32ToF16(xs);
    for (let i = 0; i < xs.length; i++) expect(f16BitsToF32(back[i])).toBe(roundHalf(Math.fround(xs[i])));
  });

  it("serves a prefixed view of a provider and stores derived tensors under their exact name", async () => {
    const w = randomWeights(spec, 6);
    const plain = (await (await session(toBytes(buildQwen3TextEncoder(w, cfg)))).run(feeds())).last_hidden_state
      .data as Float32Array;
    const pre = withPrefix(w, "model.");
    expect(pre.has("model.norm.weight") && !pre.has("norm.weight")).toBe(true);
    const viaPrefix = (
      await (await session(toBytes(buildQwen3TextEncoder(pre, cfg, { prefix: "model." })))).run(feeds())
    ).last_hidden_state.data as Float32Array;
    expect(maxAbsDiff(plain, viaPrefix)).toBe(0);
    const g = new GraphBuilder({ precision: "fp16" });
    const t = g.floatInitializer("decoder.proj_in.1.weight", [2, 2], Float32Array.from([1, 2, 3, 4]), { half: true });
    expect(t).toEqual({ name: "decoder.proj_in.1.weight", dtype: "float16" });
    g.output("y", g.toF32(t));
    const y = (await (await session(toBytes(g.finish()))).run({})).y.data as Float32Array;
    expect(Array.from(y)).toEqual([1, 2, 3, 4]);
  });

  it("rejects names already taken and reports attribute types in the node", () => {
    const g = new GraphBuilder();
    g.input("x", "float32", [2]);
    expect(() => g.input("x", "float32", [2])).toThrow(/already taken/);
    const x2 = g.input("x2", "float32", [2, 3]);
    g.output("y", g.node("Flatten", [x2], "float32", { axis: attr.int(1) }));
    const n = g.finish().nodes.find((nd) => nd.opType === "Flatten")!;
    expect(n.attribute[0].i).toBe(1n);
  });
});
