// Every weight precision of every component runs on ORT and stays within its error bound against the fp32
// graph on the same inputs (tiny seeded weights; the real-width figures are in docs/precision.md, measured by
// bench/precision.ts). Also: the precisions really change the stored weights (MatMulNBits nodes, bf16/fp16
// initializers, smaller files), and components refuse precisions they do not support.
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema, TensorProto_DataType } from "onnx-buf";
import { afterAll, describe, expect, it } from "vitest";
import { buildDitStep } from "../../server/models/dit/dit-step";
import { LYRIC_PREFIX, buildLyricEncoder } from "../../server/models/dit/lyric-encoder";
import { ditLayout } from "../../server/checkpoints/layout/dit";
import { ditConfigFromJson } from "../../server/models/dit/config";
import { int8KernelsFor, mixedInt8Linear } from "../../server/onnx/int8-linear";
import { hostInt8Dot, type Int8Dot } from "../../server/onnx/cpu-int8";
import { LmModel } from "../../server/models/lm/runner";
import { buildOobleckDecoder, type OobleckConfig } from "../../server/models/vae";
import { vaeLayout } from "../../server/checkpoints/layout/vae";
import { klFromLogits, relativeRmse, snrDb, argmax } from "../../server/onnx/error-metrics";
import type { BuiltModel, Int8Linear, Precision } from "../../server/onnx/graph";
import { buildQwen3TextEncoder, type Qwen3Config } from "../../server/onnx/qwen3";
import { toBytes } from "../../server/onnx/serialize";
import { MemoryWeights } from "../../server/onnx/weights";
import { tinyDit, tinyDitJson, tinyDitWeights } from "./dit-fixtures";
import { qwen3Spec, tinyQwen3 } from "./fixtures";
import { f32, i64, measured, randArray, randomWeights, record, rng, session } from "./helpers";

/**
 * Bounds on the relative RMSE against fp32 for these tiny random-weight graphs (about 3× the measured values,
 * which the afterAll hook prints). Quantisation error grows with depth and shrinks with width, so real-size
 * figures differ: see docs/precision.md.
 */
const BOUND: Record<Exclude<Precision, "fp32">, number> = { fp16: 3e-3, bf16: 1.5e-2, int8: 6e-2, int4: 0.6 };
const LOWER: Exclude<Precision, "fp32">[] = ["fp16", "bf16", "int8", "int4"];

function model(m: BuiltModel) {
  return fromBinary(ModelProtoSchema, toBytes(m));
}

/**
 * What a precision must change in the stored model: quantised Linear layers or 16-bit matrices. `int8Ops`: the
 * int8 build's Linear kernels (the DiT step mixes DynamicQuantizeMatMul and MatMulNBits, the rest MatMulNBits).
 */
function expectStoredAs(m: BuiltModel, p: Precision, int8Ops = ["MatMulNBits"]): void {
  const proto = model(m);
  const ops = new Set(proto.graph!.node.map((n) => n.opType));
  const dtypes = new Set(proto.graph!.initializer.map((t) => t.dataType));
  const quantOps = p === "int8" ? int8Ops : ["MatMulNBits"];
  for (const op of quantOps) expect(ops.has(op)).toBe(p === "int8" || p === "int4");
  if (p !== "int8" && p !== "int4") expect(dtypes.has(TensorProto_DataType.BFLOAT16)).toBe(p === "bf16");
  expect(dtypes.has(TensorProto_DataType.FLOAT16)).toBe(p === "fp16");
}

/** Checkpoint weight key → the op that multiplies it, for every quantised Linear of the built model. */
function int8Kernels(m: BuiltModel): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of m.nodes) {
    if (n.opType === "DynamicQuantizeMatMul" || n.opType === "MatMulNBits")
      out.set(n.input[1].replace(/^.*\//, "").replace(/\.q(8c|8|4)$/, ""), n.opType); // initializer: [scope/]key.qN
  }
  return out;
}

/**
 * The mixed rule (mixedInt8Linear) on a built transformer stack: DynamicQuantizeMatMul for the RMSNorm-fed
 * q/k/v and gate/up of every layer, MatMulNBits for o_proj and down_proj, and `extra` for other keys.
 */
function expectMixedKernels(m: BuiltModel, prefix: string, layers: number, extra: Record<string, string> = {}): void {
  const want = new Map<string, string>(Object.entries(extra));
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}layers.${i}.`;
    for (const k of ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"])
      want.set(`${p}${k}.weight`, "DynamicQuantizeMatMul");
    for (const k of ["self_attn.o_proj", "mlp.down_proj"]) want.set(`${p}${k}.weight`, "MatMulNBits");
  }
  const sorted = (x: Map<string, string>) => Object.fromEntries([...x].sort(([a], [b]) => a.localeCompare(b)));
  expect(sorted(int8Kernels(m))).toEqual(sorted(want));
}

describe("mixedInt8Linear: the int8 kernel per Linear weight key", () => {
  it("takes DynamicQuantizeMatMul after an RMSNorm, MatMulNBits for o_proj, down_proj and embed_tokens", () => {
    for (const k of [
      "layers.3.self_attn.q_proj.weight",
      "layers.3.mlp.up_proj.weight",
      "encoder.lyric_encoder.layers.0.self_attn.v_proj.weight",
      "decoder.layers.1.cross_attn.q_proj.weight",
      "decoder.layers.1.mlp.gate_proj.weight",
    ])
      expect(mixedInt8Linear(k), k).toBe("dynamic");
    for (const k of [
      "layers.3.self_attn.o_proj.weight",
      "layers.3.mlp.down_proj.weight",
      "decoder.layers.1.cross_attn.o_proj.weight",
      "encoder.lyric_encoder.embed_tokens.weight",
      "embed_tokens.weight",
    ])
      expect(mixedInt8Linear(k), k).toBe("nbits");
  });
});

describe("weight precisions vs fp32 (tiny weights)", () => {
  afterAll(() => console.log("relative RMSE vs fp32 (SNR dB for the VAE, KL nats for the LM)", measured));

  describe("DiT step", async () => {
    const w = tinyDitWeights();
    const B = 2;
    const T = 9;
    const latent = tinyDit.audio_acoustic_hidden_dim;
    const ctxCh = tinyDit.in_channels - latent;
    const E = tinyDit.hidden_size;
    const g = rng(5);
    const feeds = {
      hidden_states: f32(randArray(g, B * T * latent, 1), [B, T, latent]),
      context_latents: f32(randArray(g, B * T * ctxCh, 1), [B, T, ctxCh]),
      timestep: f32(Float32Array.from([0.8, 0.3]), [B]),
      timestep_r: f32(Float32Array.from([0.8, 0.3]), [B]),
      encoder_hidden_states: f32(randArray(g, B * 7 * E, 1), [B, 7, E]),
    };
    const run = async (m: BuiltModel) => (await (await session(toBytes(m))).run(feeds)).vt.data as Float32Array;
    const build = (precision: Precision) => buildDitStep(w, tinyDit, { precision, crossKv: "fused" });
    const ref = await run(build("fp32"));
    const bytes32 = toBytes(build("fp32")).byteLength;

    for (const p of LOWER) {
      it(`${p}: runs, stores its weights as ${p}, velocity within ${BOUND[p]} relative RMSE`, async () => {
        const m = build(p);
        expectStoredAs(m, p, ["DynamicQuantizeMatMul", "MatMulNBits"]);
        expect(toBytes(m).byteLength).toBeLessThan(0.75 * bytes32);
        const err = record(`dit_step ${p}`, relativeRmse(await run(m), ref));
        expect(err).toBeGreaterThan(0);
        expect(err).toBeLessThanOrEqual(BOUND[p]);
      });
    }

    it("int8 through MatMulNBits only (int8Linear: nbits, the previous default): within the int8 bound", async () => {
      const m = buildDitStep(w, tinyDit, { precision: "int8", crossKv: "fused", int8Linear: "nbits" });
      expectStoredAs(m, "int8");
      expect(model(m).graph!.node.some((n) => n.opType === "DynamicQuantizeMatMul")).toBe(false);
      const err = record("dit_step int8 nbits", relativeRmse(await run(m), ref));
      expect(err).toBeGreaterThan(0);
      expect(err).toBeLessThanOrEqual(BOUND.int8);
    });

    // the converter's choice per CPU class (int8KernelsFor): what each graph holds, and its error where it runs exactly
    const layers = tinyDit.num_hidden_layers;
    const weightsOf = (m: BuiltModel, op: string) =>
      model(m)
        .graph!.node.filter((n) => n.opType === op)
        .map((n) => n.input[1]);
    const perLayer = (names: string[], key: string) =>
      names.filter((n) => n.includes("decoder.layers.") && n.includes(`.${key}.`)).length;
    const buildFor = (dot: Int8Dot) =>
      buildDitStep(w, tinyDit, { precision: "int8", crossKv: "fused", ...int8KernelsFor(dot) });

    it("int8 for x86 without VNNI: uint8 weights for the normed layers, o_proj/down_proj fp32 Gemm, no MatMulNBits", async () => {
      const m = buildFor("no-vnni");
      const proto = model(m);
      expect(proto.graph!.node.some((n) => n.opType === "MatMulNBits")).toBe(false);
      const gemm = weightsOf(m, "Gemm");
      for (const key of ["self_attn.o_proj", "cross_attn.o_proj", "mlp.down_proj"])
        expect(perLayer(gemm, key)).toBe(layers);
      const dq = weightsOf(m, "DynamicQuantizeMatMul");
      for (const key of ["self_attn.q_proj", "self_attn.k_proj", "cross_attn.q_proj", "mlp.gate_proj", "mlp.up_proj"])
        expect(perLayer(dq, key)).toBe(layers);
      const q8 = proto.graph!.initializer.filter((t) => t.name.endsWith(".q8c"));
      expect(q8.length).toBeGreaterThan(0);
      expect(q8.every((t) => t.dataType === TensorProto_DataType.UINT8)).toBe(true);
      const err = record("dit_step int8 no-vnni", relativeRmse(await run(m), ref));
      expect(err).toBeGreaterThan(0);
      expect(err).toBeLessThanOrEqual(BOUND.int8);
    });

    it("int8 for VNNI CPUs: int8 weights without zero point for the normed layers, MatMulNBits for o_proj/down_proj", async () => {
      const m = buildFor("vnni");
      const proto = model(m);
      const nbits = proto.graph!.node.filter((n) => n.opType === "MatMulNBits").map((n) => n.input[2]);
      for (const key of ["self_attn.o_proj", "cross_attn.o_proj", "mlp.down_proj"])
        expect(perLayer(nbits, key)).toBe(layers);
      const dqNodes = proto.graph!.node.filter((n) => n.opType === "DynamicQuantizeMatMul");
      expect(dqNodes.length).toBeGreaterThan(0);
      expect(dqNodes.every((n) => n.input.length === 3)).toBe(true); // no zero point: U8S8
      const q8 = proto.graph!.initializer.filter((t) => t.name.endsWith(".q8c"));
      expect(q8.every((t) => t.dataType === TensorProto_DataType.INT8)).toBe(true);
      // U8S8 is exact only with VNNI: the numbers are checked on such a CPU
      if (hostInt8Dot() === "vnni") {
        const err = record("dit_step int8 vnni", relativeRmse(await run(m), ref));
        expect(err).toBeLessThanOrEqual(BOUND.int8);
      }
    });
  });

  describe("text encoder (Qwen3)", async () => {
    const cfg: Qwen3Config = { ...tinyQwen3, intermediate_size: 64 };
    const w = randomWeights(qwen3Spec(cfg, ""), 11);
    const ids = Array.from({ length: 10 }, (_, i) => (i * 7) % cfg.vocab_size);
    const feeds = {
      input_ids: i64(ids, [1, ids.length]),
      attention_mask: i64(
        ids.map(() => 1),
        [1, ids.length],
      ),
    };
    const build = (p: Precision, int8Linear?: Int8Linear) =>
      buildQwen3TextEncoder(w, cfg, { precision: p, prefix: "", int8Linear });
    const run = async (m: BuiltModel) =>
      (await (await session(toBytes(m))).run(feeds)).last_hidden_state.data as Float32Array;
    const ref = await run(build("fp32"));
    for (const p of LOWER) {
      it(`${p}: last hidden state within ${BOUND[p]} relative RMSE`, async () => {
        const m = build(p);
        expectStoredAs(m, p, ["DynamicQuantizeMatMul", "MatMulNBits"]);
        if (p === "int8") expectMixedKernels(m, "", cfg.num_hidden_layers);
        const err = record(`text encoder ${p}`, relativeRmse(await run(m), ref));
        expect(err).toBeGreaterThan(0);
        expect(err).toBeLessThanOrEqual(BOUND[p]);
      });
    }
    for (const kernel of ["nbits", "dynamic"] as const) {
      it(`int8 with one kernel throughout (int8Linear: ${kernel}): within the int8 bound`, async () => {
        const m = build("int8", kernel);
        const ops = new Set(int8Kernels(m).values());
        expect([...ops]).toEqual([kernel === "nbits" ? "MatMulNBits" : "DynamicQuantizeMatMul"]);
        const err = record(`text encoder int8 ${kernel}`, relativeRmse(await run(m), ref));
        expect(err).toBeGreaterThan(0);
        expect(err).toBeLessThanOrEqual(BOUND.int8);
      });
    }
  });

  describe("lyric encoder", async () => {
    // text_hidden_dim 32 (one MatMulNBits block) so embed_tokens is quantised too
    const json = { ...tinyDitJson, text_hidden_dim: 32 };
    const cfg = ditConfigFromJson(json);
    const spec = Object.fromEntries([...ditLayout(json).required].filter(([k]) => k.startsWith(LYRIC_PREFIX)));
    const w = randomWeights(spec, 17);
    const S = 12;
    const Dt = cfg.text_hidden_dim;
    const feeds = {
      inputs_embeds: f32(randArray(rng(6), 2 * S * Dt, 1), [2, S, Dt]),
      attention_mask: i64([...new Array<number>(S).fill(1), ...new Array<number>(8).fill(1), 0, 0, 0, 0], [2, S]),
    };
    const build = (p: Precision, int8Linear?: Int8Linear) => buildLyricEncoder(w, cfg, { precision: p, int8Linear });
    const run = async (m: BuiltModel) =>
      (await (await session(toBytes(m))).run(feeds)).hidden_states.data as Float32Array;
    const ref = await run(build("fp32"));
    for (const kernel of [undefined, "nbits", "dynamic"] as const) {
      it(`int8 ${kernel ?? "mixed (default)"}: hidden states within ${BOUND.int8} relative RMSE`, async () => {
        const m = build("int8", kernel);
        const layers = cfg.num_lyric_encoder_hidden_layers;
        if (kernel === undefined)
          expectMixedKernels(m, LYRIC_PREFIX, layers, { [`${LYRIC_PREFIX}embed_tokens.weight`]: "MatMulNBits" });
        else
          expect([...new Set(int8Kernels(m).values())]).toEqual([
            kernel === "nbits" ? "MatMulNBits" : "DynamicQuantizeMatMul",
          ]);
        const err = record(`lyric encoder int8 ${kernel ?? "mixed"}`, relativeRmse(await run(m), ref));
        expect(err).toBeGreaterThan(0);
        expect(err).toBeLessThanOrEqual(BOUND.int8);
      });
    }
  });

  describe("5 Hz LM step graph", async () => {
    const cfg: Qwen3Config = { ...tinyQwen3, vocab_size: 97, num_hidden_layers: 3, intermediate_size: 64 };
    const w = randomWeights(qwen3Spec(cfg, "model."), 31);
    const r = rng(3);
    const ids = Array.from({ length: 24 }, () => Math.floor(r() * cfg.vocab_size));
    /** logits of the prefill of 8 tokens, then of 16 teacher-forced decode steps */
    const logitsOf = async (p: Precision) => {
      const lm = await LmModel.fromWeights(w, cfg, { precision: p });
      const c = lm.newCache(1, 32);
      const out = [(await lm.step(c, [ids.slice(0, 8)]))![0]];
      for (let t = 8; t < ids.length; t++) out.push((await lm.step(c, [[ids[t]]]))![0]);
      await lm.dispose();
      return out;
    };
    const ref = await logitsOf("fp32");
    for (const p of LOWER) {
      it(`${p}: logits within ${BOUND[p]} relative RMSE per step; KL and top-1 recorded`, async () => {
        const got = await logitsOf(p);
        let worst = 0;
        let kl = 0;
        let agree = 0;
        for (let s = 0; s < ref.length; s++) {
          worst = Math.max(worst, relativeRmse(got[s], ref[s]));
          kl += klFromLogits(ref[s], got[s]) / ref.length;
          agree += argmax(got[s]) === argmax(ref[s]) ? 1 / ref.length : 0;
        }
        record(`lm ${p} mean KL`, kl);
        record(`lm ${p} top-1 agreement`, agree);
        expect(record(`lm ${p} logits`, worst)).toBeGreaterThan(0);
        expect(worst).toBeLessThanOrEqual(BOUND[p]);
      });
    }
  });

  describe("VAE decoder", async () => {
    const c: OobleckConfig = {
      audioChannels: 2,
      encoderHiddenSize: 8,
      decoderChannels: 16,
      latentChannels: 4,
      channelMultiples: [2, 4],
      downsamplingRatios: [2, 4],
      samplingRate: 48000,
    };
    const layout = vaeLayout({
      audio_channels: c.audioChannels,
      encoder_hidden_size: c.encoderHiddenSize,
      decoder_channels: c.decoderChannels,
      decoder_input_channels: c.latentChannels,
      channel_multiples: c.channelMultiples,
      downsampling_ratios: c.downsamplingRatios,
      sampling_rate: c.samplingRate,
    });
    const gw = rng(9);
    const w = new MemoryWeights();
    for (const [k, shape] of layout.required) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = k.endsWith(".weight_v")
        ? randArray(gw, n, 1 / Math.sqrt(n / shape[0]))
        : k.endsWith(".weight_g")
          ? randArray(gw, n, 0.25, 0.65)
          : randArray(gw, n, 0.5);
      w.set(k, { shape: [...shape], data });
    }
    const T = 12;
    const z = f32(randArray(rng(4), c.latentChannels * T, 1), [1, c.latentChannels, T]);
    const run = async (p: Precision) =>
      (await (await session(toBytes(buildOobleckDecoder(w, c, { precision: p })))).run({ latents: z })).audio
        .data as Float32Array;
    const ref = await run("fp32");
    for (const p of ["fp16", "bf16"] as const) {
      it(`${p} weight storage: audio ≥ 40 dB SNR against fp32`, async () => {
        const m = buildOobleckDecoder(w, c, { precision: p });
        const dtypes = new Set(model(m).graph!.initializer.map((t) => t.dataType));
        expect(dtypes.has(p === "fp16" ? TensorProto_DataType.FLOAT16 : TensorProto_DataType.BFLOAT16)).toBe(true);
        const snr = record(`vae ${p} SNR dB`, snrDb(await run(p), ref));
        expect(snr).toBeLessThan(Infinity);
        expect(snr).toBeGreaterThanOrEqual(40);
      });
    }
    it("refuses int8 and int4 with a message naming the supported precisions", () => {
      for (const p of ["int8", "int4"] as const) {
        expect(() => buildOobleckDecoder(w, c, { precision: p })).toThrow(
          /vae: precision int\d is not supported \(fp32, fp16 or bf16\)/,
        );
      }
    });
  });
});
