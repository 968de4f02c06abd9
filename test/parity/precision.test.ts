// Every weight precision of every component runs on ORT and stays within its error bound against the fp32
// graph on the same inputs (tiny seeded weights; the real-width figures are in docs/precision.md, measured by
// bench/precision.ts). Also: the precisions really change the stored weights (MatMulNBits nodes, bf16/fp16
// initializers, smaller files), and components refuse precisions they do not support.
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema, TensorProto_DataType } from "onnx-buf";
import { afterAll, describe, expect, it } from "vitest";
import { buildDitStep } from "../../server/models/dit/dit-step";
import { LmModel } from "../../server/models/lm/runner";
import { buildOobleckDecoder, type OobleckConfig } from "../../server/models/vae";
import { vaeLayout } from "../../server/checkpoints/layout/vae";
import { klFromLogits, relativeRmse, snrDb, argmax } from "../../server/onnx/error-metrics";
import type { BuiltModel, Precision } from "../../server/onnx/graph";
import { buildQwen3TextEncoder, type Qwen3Config } from "../../server/onnx/qwen3";
import { toBytes } from "../../server/onnx/serialize";
import { MemoryWeights } from "../../server/onnx/weights";
import { tinyDit, tinyDitWeights } from "./dit-fixtures";
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
    const run = async (p: Precision) => {
      const m = buildQwen3TextEncoder(w, cfg, { precision: p, prefix: "" });
      if (p !== "fp32") expectStoredAs(m, p);
      return (await (await session(toBytes(m))).run(feeds)).last_hidden_state.data as Float32Array;
    };
    const ref = await run("fp32");
    for (const p of LOWER) {
      it(`${p}: last hidden state within ${BOUND[p]} relative RMSE`, async () => {
        const err = record(`text encoder ${p}`, relativeRmse(await run(p), ref));
        expect(err).toBeGreaterThan(0);
        expect(err).toBeLessThanOrEqual(BOUND[p]);
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
