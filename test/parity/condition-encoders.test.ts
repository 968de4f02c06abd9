// Parity: condition encoder graphs (text projector, lyric encoder, timbre encoder) and the host packing /
// null condition (server/models/dit/condition-pack.ts) vs the plain-TS reference (reference/condition.ts),
// on the tiny seeded checkpoint in the official key layout. Sliding window 3 so the windows matter.
import { afterAll, describe, expect, it } from "vitest";
import { buildLyricEncoder } from "../../server/models/dit/lyric-encoder";
import { buildTextProjector } from "../../server/models/dit/text-projector";
import { buildTimbreEncoder } from "../../server/models/dit/timbre-encoder";
import { buildDitCrossKv } from "../../server/models/dit/dit-cross-kv";
import { buildDitStep, crossKeyName, crossValueName } from "../../server/models/dit/dit-step";
import {
  NULL_CONDITION_KEY,
  nullCondition,
  packConditions,
  packSequences,
  unpackTimbre,
} from "../../server/models/dit/condition-pack";
import { WeightKeyError } from "../../server/onnx/graph";
import { MemoryWeights } from "../../server/onnx/weights";
import { toBytes } from "../../server/onnx/serialize";
import { refLyricEncoder, refPack, refTextProjector, refTimbreEncoder, refUnpackTimbre } from "./reference/condition";
import { encoderRefDims, stackLayerTypes, tinyDit, tinyDitWeights } from "./dit-fixtures";
import { f32, i64, maxAbsDiff, measured, randArray, record, rng, session } from "./helpers";

const cfg = tinyDit;
const weights = tinyDitWeights();
const get = (k: string) => weights.get(k);
const E = cfg.hidden_size;
const Dt = cfg.text_hidden_dim;
const d = encoderRefDims();
const W = cfg.sliding_window;

afterAll(() => console.log("condition max abs errors", measured));

describe("condition encoders", () => {
  it("text projector maps [B,S,text] to [B,S,E] like the reference", async () => {
    const S = 5;
    const x = randArray(rng(1), 2 * S * Dt, 1);
    const out = await (
      await session(toBytes(buildTextProjector(weights, cfg)))
    ).run({ text_hidden_states: f32(x, [2, S, Dt]) });
    expect(out.hidden_states.dims).toEqual([2, S, E]);
    expect(
      record("text_projector", maxAbsDiff(out.hidden_states.data as Float32Array, refTextProjector(get, x, 2 * S))),
    ).toBeLessThanOrEqual(1e-5);
  });

  it("lyric encoder matches the reference with a key padding mask (3 layers, window 3, 10 tokens)", async () => {
    const S = 10;
    const x = randArray(rng(2), 2 * S * Dt, 1);
    const mask = [new Array(S).fill(1), [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]];
    const out = await (
      await session(toBytes(buildLyricEncoder(weights, cfg)))
    ).run({ inputs_embeds: f32(x, [2, S, Dt]), attention_mask: i64(mask.flat(), [2, S]) });
    const types = stackLayerTypes(cfg.num_lyric_encoder_hidden_layers);
    const ref = new Float32Array(2 * S * E);
    for (let b = 0; b < 2; b++)
      ref.set(refLyricEncoder(get, d, types, W, x.subarray(b * S * Dt, (b + 1) * S * Dt), mask[b]), b * S * E);
    const got = out.hidden_states.data as Float32Array;
    expect(record("lyric_encoder", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
    // real tokens of the padded item differ from an unmasked run (the mask really applies)
    const unmasked = refLyricEncoder(get, d, types, W, x.subarray(S * Dt), new Array(S).fill(1));
    expect(maxAbsDiff(got.subarray(S * E, S * E + 6 * E), unmasked.subarray(0, 6 * E))).toBeGreaterThan(1e-3);
  });

  it("timbre encoder returns the normed frame-0 output per reference (3 refs × 12 frames)", async () => {
    const R = 3;
    const F = 12;
    const C = cfg.timbre_hidden_dim;
    const x = randArray(rng(3), R * F * C, 1);
    const out = await (
      await session(toBytes(buildTimbreEncoder(weights, cfg)))
    ).run({ refer_latents: f32(x, [R, F, C]) });
    expect(out.timbre_embeds.dims).toEqual([R, E]);
    const types = stackLayerTypes(cfg.num_timbre_encoder_hidden_layers);
    const ref = new Float32Array(R * E);
    for (let r = 0; r < R; r++)
      ref.set(refTimbreEncoder(get, d, types, W, x.subarray(r * F * C, (r + 1) * F * C), F), r * E);
    expect(record("timbre_encoder", maxAbsDiff(out.timbre_embeds.data as Float32Array, ref))).toBeLessThanOrEqual(1e-5);
  });

  it("timbre build ignores the unused special_token but reports other unused keys", () => {
    const extra = new MemoryWeights([...weights.keys()].map((k) => [k, weights.get(k)]));
    extra.set("encoder.timbre_encoder.layers.2.input_layernorm.weight", { shape: [E], data: new Float32Array(E) });
    expect(() => buildTimbreEncoder(weights, cfg)).not.toThrow();
    expect(() => buildTimbreEncoder(extra, cfg)).toThrow(WeightKeyError);
    expect(() => buildTimbreEncoder(extra, cfg)).toThrow(
      /unused 1 key\(s\):\n {2}encoder\.timbre_encoder\.layers\.2\.input_layernorm\.weight/,
    );
  });
});

describe("condition packing and null condition", () => {
  const w = 3;
  const seq = (seed: number, batch: number, length: number, mask: number[]) => ({
    data: randArray(rng(seed), batch * length * w, 1),
    batch,
    length,
    width: w,
    mask,
  });

  it("packs lyric → timbre → text with valid tokens first, padding kept at the end, per item", () => {
    const lyric = seq(10, 2, 4, [1, 1, 1, 1, 1, 1, 0, 0]);
    const timbre = unpackTimbre(randArray(rng(11), 3 * w, 1), w, [0, 1, 1]);
    const text = seq(12, 2, 3, [1, 1, 0, 1, 1, 1]);
    const got = packConditions(lyric, timbre, text);
    expect([got.batch, got.length]).toEqual([2, 4 + 2 + 3]);
    for (let b = 0; b < 2; b++) {
      const item = (s: { data: Float32Array; length: number; mask: ArrayLike<number> }) => ({
        h: s.data.subarray(b * s.length * w, (b + 1) * s.length * w),
        mask: Array.from(s.mask).slice(b * s.length, (b + 1) * s.length),
      });
      const a = refPack(item(lyric).h, item(lyric).mask, item(timbre).h, item(timbre).mask, w);
      const ref = refPack(a.h, a.mask, item(text).h, item(text).mask, w);
      expect(Array.from(got.data.subarray(b * 9 * w, (b + 1) * 9 * w))).toEqual(Array.from(ref.h));
      expect(Array.from(got.mask).slice(b * 9, (b + 1) * 9)).toEqual(ref.mask);
    }
    // item 0: 4 lyric + 1 timbre + 2 text valid; item 1: 2 lyric + 2 timbre + 3 text
    expect(Array.from(got.mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, /**/ 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    // item 1 starts with its two lyric tokens, then its two timbre rows in packed order (rows 1 and 2)
    expect(Array.from(got.data.subarray(9 * w + 2 * w, 9 * w + 3 * w))).toEqual(
      Array.from(timbre.data.subarray(2 * w, 3 * w)),
    );
  });

  it("unpacks timbre rows by refer_audio_order_mask like the one-hot scatter upstream", () => {
    const packed = randArray(rng(13), 5 * w, 1);
    const order = [1, 0, 1, 2, 1];
    const got = unpackTimbre(packed, w, order);
    const ref = refUnpackTimbre(packed, w, order);
    expect([got.batch, got.length]).toEqual([ref.batch, ref.count]);
    expect(Array.from(got.data)).toEqual(Array.from(ref.h));
    expect(Array.from(got.mask)).toEqual(ref.mask);
    expect(() => unpackTimbre(packed, w, order, 2)).toThrow(/refer_audio_order_mask\[3\] = 2 is outside batch 2/);
  });

  it("rejects sequences of different widths", () => {
    expect(() =>
      packSequences(seq(1, 1, 2, [1, 1]), { data: new Float32Array(4), batch: 1, length: 1, width: 4, mask: [1] }),
    ).toThrow(/cannot pack/);
  });

  it("broadcasts null_condition_emb to [B,Le,E]; the null branch equals a 1-token condition through the DiT", async () => {
    const emb = weights.get(NULL_CONDITION_KEY);
    expect(emb.shape).toEqual([1, 1, E]);
    const B = 2;
    const Le = 6;
    const full = nullCondition(emb.data, B, Le);
    expect(full.length).toBe(B * Le * E);
    expect(Array.from(full.subarray((B * Le - 1) * E))).toEqual(Array.from(emb.data));
    // identical keys/values: attention over Le copies = attention over one (exact up to rounding)
    const cross = await session(toBytes(buildDitCrossKv(weights, cfg)));
    const step = await session(toBytes(buildDitStep(weights, cfg)));
    const T = 10;
    const latent = cfg.audio_acoustic_hidden_dim;
    const feeds = {
      hidden_states: f32(randArray(rng(20), B * T * latent, 1), [B, T, latent]),
      context_latents: f32(randArray(rng(21), B * T * 2 * latent, 1), [B, T, 2 * latent]),
      timestep: f32(Float32Array.from([0.6, 0.6]), [B]),
      timestep_r: f32(Float32Array.from([0.6, 0.6]), [B]),
    };
    const run = async (len: number) => {
      const kv = await cross.run({ encoder_hidden_states: f32(nullCondition(emb.data, B, len), [B, len, E]) });
      const all: Record<string, unknown> = { ...feeds };
      for (let i = 0; i < cfg.num_hidden_layers; i++) {
        all[crossKeyName(i)] = kv[crossKeyName(i)];
        all[crossValueName(i)] = kv[crossValueName(i)];
      }
      return (await step.run(all as never)).vt.data as Float32Array;
    };
    expect(record("null branch Le=6 vs Le=1", maxAbsDiff(await run(Le), await run(1)))).toBeLessThanOrEqual(1e-5);
  });
});
