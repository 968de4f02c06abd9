// Parity: DiT step (server/models/dit/dit-step.ts) and cross-K/V (dit-cross-kv.ts) graphs vs the plain-TS
// reference (reference/dit.ts) on the tiny seeded checkpoint in the official key layout.
// Covers: two timestep embeddings (r ≠ t on one item), odd and even T (pad + crop), sliding window 3 over up to
// 12 patch tokens, GQA 4/2, cross-K/V computed once vs recomputed in-graph, and the weight-key report.
import { afterAll, describe, expect, it } from "vitest";
import type * as ort from "onnxruntime-node";
import { buildDitCrossKv } from "../../server/models/dit/dit-cross-kv";
import { buildDitStep, crossKeyName, crossValueName } from "../../server/models/dit/dit-step";
import { WeightKeyError } from "../../server/onnx/graph";
import { MemoryWeights } from "../../server/onnx/weights";
import { toBytes } from "../../server/onnx/serialize";
import { refCrossKv, refDitForward } from "./reference/dit";
import { ditRefConfig, scaleConvWeights, tinyDit, tinyDitJson, tinyDitSpec, tinyDitWeights } from "./dit-fixtures";
import { ditConfigFromJson, ditStackConfig, encoderStackConfig } from "../../server/models/dit/config";
import { layerTypeOf } from "../../server/onnx/encoder-layers";
import { OFFICIAL_DIT_TURBO_CONFIG } from "../../server/checkpoints/layout/official-configs";
import { f32, maxAbsDiff, measured, randArray, randomWeights, record, rng, session } from "./helpers";

const cfg = tinyDit;
const rc = ditRefConfig();
const weights = tinyDitWeights();
const get = (k: string) => weights.get(k);
const L = cfg.num_hidden_layers;
const E = cfg.hidden_size;
const kvDim = cfg.num_key_value_heads * cfg.head_dim;
const latent = cfg.audio_acoustic_hidden_dim;
const ctxCh = cfg.in_channels - latent;
const B = 2;
const Le = 7;

const enc = randArray(rng(7), B * Le * E, 1);
const encItem = (b: number) => enc.subarray(b * Le * E, (b + 1) * Le * E);

let crossSession: ort.InferenceSession;
let stepSession: ort.InferenceSession;
let fusedSession: ort.InferenceSession;
async function sessions() {
  crossSession ??= await session(toBytes(buildDitCrossKv(weights, cfg)));
  stepSession ??= await session(toBytes(buildDitStep(weights, cfg)));
  fusedSession ??= await session(toBytes(buildDitStep(weights, cfg, { crossKv: "fused" })));
}

function inputs(T: number, seed: number, t: number[], r: number[]) {
  const g = rng(seed);
  return {
    hidden_states: f32(randArray(g, B * T * latent, 1), [B, T, latent]),
    context_latents: f32(randArray(g, B * T * ctxCh, 1), [B, T, ctxCh]),
    timestep: f32(Float32Array.from(t), [B]),
    timestep_r: f32(Float32Array.from(r), [B]),
  };
}

function reference(T: number, feeds: ReturnType<typeof inputs>, o: { window?: null } = {}): Float32Array {
  const out = new Float32Array(B * T * latent);
  const x = feeds.hidden_states.data as Float32Array;
  const c = feeds.context_latents.data as Float32Array;
  const t = feeds.timestep.data as Float32Array;
  const r = feeds.timestep_r.data as Float32Array;
  for (let b = 0; b < B; b++) {
    const cross = refCrossKv(get, rc, encItem(b));
    const conf = o.window === null ? { ...rc, window: null } : rc;
    out.set(
      refDitForward(
        get,
        conf,
        x.subarray(b * T * latent, (b + 1) * T * latent),
        c.subarray(b * T * ctxCh, (b + 1) * T * ctxCh),
        t[b],
        r[b],
        cross,
      ),
      b * T * latent,
    );
  }
  return out;
}

async function crossKv(): Promise<Record<string, ort.Tensor>> {
  await sessions();
  return crossSession.run({ encoder_hidden_states: f32(enc, [B, Le, E]) });
}

async function step(feeds: ReturnType<typeof inputs>, kv: Record<string, ort.Tensor>): Promise<Float32Array> {
  const all: Record<string, ort.Tensor> = { ...feeds };
  for (let i = 0; i < L; i++) {
    all[crossKeyName(i)] = kv[crossKeyName(i)];
    all[crossValueName(i)] = kv[crossValueName(i)];
  }
  const out = await stepSession.run(all);
  return out.vt.data as Float32Array;
}

describe("DiT step graph", () => {
  afterAll(() => console.log("dit max abs errors", measured));

  it("reads the official turbo config: 24 layers alternating sliding (128) / full, encoders at the DiT width", () => {
    const c = ditConfigFromJson(OFFICIAL_DIT_TURBO_CONFIG);
    expect(encoderStackConfig(c)).toMatchObject({
      hidden_size: 2048,
      intermediate_size: 6144,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      sliding_window: 128,
    });
    const types = Array.from({ length: 24 }, (_, i) => layerTypeOf(ditStackConfig(c), i));
    expect(types.filter((t, i) => t === (i % 2 === 0 ? "sliding_attention" : "full_attention"))).toHaveLength(24);
    expect(layerTypeOf(ditStackConfig({ ...c, use_sliding_window: false }), 0)).toBe("full_attention");
  });

  it("computes the cross-attention K/V of every layer like the reference", async () => {
    const kv = await crossKv();
    let err = 0;
    for (let b = 0; b < B; b++) {
      const ref = refCrossKv(get, rc, encItem(b));
      for (let i = 0; i < L; i++) {
        const k = kv[crossKeyName(i)];
        expect(k.dims).toEqual([B, Le, kvDim]);
        const slice = (t: ort.Tensor) => (t.data as Float32Array).subarray(b * Le * kvDim, (b + 1) * Le * kvDim);
        err = Math.max(err, maxAbsDiff(slice(k), ref.key[i]), maxAbsDiff(slice(kv[crossValueName(i)]), ref.value[i]));
      }
    }
    expect(record("cross_kv", err)).toBeLessThanOrEqual(1e-5);
  });

  it("matches the reference for odd T = 23 with r ≠ t on one item (fp32)", async () => {
    const T = 23;
    const feeds = inputs(T, 11, [0.75, 0.3], [0.75, 0.1]);
    const got = await step(feeds, await crossKv());
    expect(got.length).toBe(B * T * latent);
    const ref = reference(T, feeds);
    expect(record("dit_step odd T=23", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
    record("max |vt| (info)", maxAbsDiff(ref, new Float32Array(ref.length)));
    // the sliding window (3 patch tokens over 12) must matter
    expect(maxAbsDiff(got, reference(T, feeds, { window: null }))).toBeGreaterThan(1e-3);
  });

  it("matches the reference for even T = 16 and t = 1 (fp32)", async () => {
    const T = 16;
    const feeds = inputs(T, 12, [1, 0.5], [1, 0.5]);
    const got = await step(feeds, await crossKv());
    expect(record("dit_step even T=16", maxAbsDiff(got, reference(T, feeds)))).toBeLessThanOrEqual(1e-5);
  });

  it("computes sliding layers the same way blocked (block 3 or 5) and with a full-score band mask", async () => {
    const T = 23;
    const feeds = inputs(T, 13, [0.9, 0.2], [0.9, 0.2]);
    const kv = await crossKv();
    const ref = reference(T, feeds);
    const blocked = await step(feeds, kv);
    for (const o of [{ slidingAttention: "mask" as const }, { slidingBlock: 5 }]) {
      const s = await session(toBytes(buildDitStep(weights, cfg, o)));
      const all: Record<string, ort.Tensor> = { ...feeds };
      for (let i = 0; i < L; i++) {
        all[crossKeyName(i)] = kv[crossKeyName(i)];
        all[crossValueName(i)] = kv[crossValueName(i)];
      }
      const got = (await s.run(all)).vt.data as Float32Array;
      expect(record(`dit_step ${JSON.stringify(o)}`, maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(got, blocked)).toBeLessThanOrEqual(1e-5); // summation order only
    }
  });

  it("gives the same velocity with K/V computed once as with K/V recomputed in-graph every step", async () => {
    const kv = await crossKv(); // once per generation
    let err = 0;
    for (const [T, seed, t] of [
      [9, 21, 1],
      [9, 22, 0.875],
      [14, 23, 0.5],
    ] as const) {
      const feeds = inputs(T, seed, [t, t], [t, t]);
      const once = await step(feeds, kv);
      const fused = (await fusedSession.run({ ...feeds, encoder_hidden_states: f32(enc, [B, Le, E]) })).vt
        .data as Float32Array;
      err = Math.max(err, maxAbsDiff(once, fused));
    }
    expect(record("cross-K/V once vs recomputed", err)).toBeLessThanOrEqual(1e-6);
  });

  it("handles the XL geometry (DiT width 80 ≠ heads·head_dim 64, condition width 64 ≠ 80)", async () => {
    const xlJson = {
      ...tinyDitJson,
      hidden_size: 80,
      encoder_hidden_size: 64,
      encoder_intermediate_size: 72,
      encoder_num_attention_heads: 4,
      encoder_num_key_value_heads: 2,
      fsq_dim: 64,
    };
    const xl = ditConfigFromJson(xlJson);
    const w = scaleConvWeights(randomWeights(tinyDitSpec(xlJson), 99));
    const xrc = ditRefConfig(xl);
    const T = 11;
    const Lx = 3;
    const e = randArray(rng(98), Lx * 64, 1);
    const kv = await (
      await session(toBytes(buildDitCrossKv(w, xl)))
    ).run({ encoder_hidden_states: f32(e, [1, Lx, 64]) });
    const g = rng(97);
    const feeds: Record<string, ort.Tensor> = {
      hidden_states: f32(randArray(g, T * latent, 1), [1, T, latent]),
      context_latents: f32(randArray(g, T * ctxCh, 1), [1, T, ctxCh]),
      timestep: f32(Float32Array.from([0.4]), [1]),
      timestep_r: f32(Float32Array.from([0.4]), [1]),
    };
    for (let i = 0; i < L; i++) {
      feeds[crossKeyName(i)] = kv[crossKeyName(i)];
      feeds[crossValueName(i)] = kv[crossValueName(i)];
    }
    const got = (await (await session(toBytes(buildDitStep(w, xl)))).run(feeds)).vt.data as Float32Array;
    const ref = refDitForward(
      (k) => w.get(k),
      xrc,
      feeds.hidden_states.data as Float32Array,
      feeds.context_latents.data as Float32Array,
      0.4,
      0.4,
      refCrossKv((k) => w.get(k), xrc, e),
    );
    expect(record("dit_step XL geometry", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
  });

  it("builds and runs in fp16 (matrices fp16, timestep/AdaLN/norms fp32) close to the fp32 reference", async () => {
    const T = 12;
    const feeds = inputs(T, 14, [0.8, 0.8], [0.8, 0.8]);
    const s16 = await session(toBytes(buildDitStep(weights, cfg, { precision: "fp16" })));
    const kv = await (
      await session(toBytes(buildDitCrossKv(weights, cfg, { precision: "fp16" })))
    ).run({ encoder_hidden_states: f32(enc, [B, Le, E]) });
    const all: Record<string, ort.Tensor> = { ...feeds };
    for (let i = 0; i < L; i++) {
      all[crossKeyName(i)] = kv[crossKeyName(i)];
      all[crossValueName(i)] = kv[crossValueName(i)];
    }
    const got = (await s16.run(all)).vt.data as Float32Array;
    const ref = reference(T, feeds);
    const scale = maxAbsDiff(ref, new Float32Array(ref.length));
    expect(
      record("dit_step fp16 vs fp32 ref (info, relative to max |vt|)", maxAbsDiff(got, ref) / scale),
    ).toBeLessThanOrEqual(2e-2);
  });

  it("fails the build listing missing and unused decoder keys", () => {
    const broken = new MemoryWeights(
      [...weights.keys()].filter((k) => k !== "decoder.layers.1.mlp.up_proj.weight").map((k) => [k, weights.get(k)]),
    );
    broken.set("decoder.layers.4.mlp_norm.weight", { shape: [E], data: new Float32Array(E) });
    let err: unknown;
    try {
      buildDitStep(broken, cfg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeightKeyError);
    expect((err as WeightKeyError).missing).toEqual(["decoder.layers.1.mlp.up_proj.weight"]);
    expect((err as WeightKeyError).unused).toEqual(["decoder.layers.4.mlp_norm.weight"]);
    expect((err as Error).message).toContain("decoder.layers.1.mlp.up_proj.weight");
    const bad = new MemoryWeights([...weights.keys()].map((k) => [k, weights.get(k)]));
    bad.set("decoder.proj_in.1.weight", { shape: [E, 3, 2], data: new Float32Array(E * 6) });
    expect(() => buildDitStep(bad, cfg)).toThrow(
      /decoder\.proj_in\.1\.weight: checkpoint \[64,3,2\] vs expected \[64,24,2\]/,
    );
  });

  it("cross-K/V build reports a missing k_norm", () => {
    const broken = new MemoryWeights(
      [...weights.keys()]
        .filter((k) => k !== "decoder.layers.2.cross_attn.k_norm.weight")
        .map((k) => [k, weights.get(k)]),
    );
    expect(() => buildDitCrossKv(broken, cfg)).toThrow(
      /missing 1 key\(s\):\n {2}decoder\.layers\.2\.cross_attn\.k_norm\.weight/,
    );
  });
});
