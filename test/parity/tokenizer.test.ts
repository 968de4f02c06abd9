// Parity: audio tokenizer (25 Hz latents → FSQ codes) and detokenizer (codes → 25 Hz hints) graphs of
// server/models/dit vs the plain-TS reference (reference/dit-tokenizer.ts, FSQ from server/acestep/codes/fsq.ts),
// on the tiny seeded checkpoint in the official key layout. Sliding window 3 over the 6-token pooler sequences.
import { afterAll, describe, expect, it } from "vitest";
import { buildAudioDetokenizer } from "../../server/models/dit/audio-detokenizer";
import { buildAudioTokenizer } from "../../server/models/dit/audio-tokenizer";
import { WeightKeyError } from "../../server/onnx/graph";
import { MemoryWeights } from "../../server/onnx/weights";
import { toBytes } from "../../server/onnx/serialize";
import { refDetokenize, refDetokenizeQuantized, refTokenize } from "./reference/dit-tokenizer";
import { encoderRefDims, stackLayerTypes, tinyDit, tinyDitWeights } from "./dit-fixtures";
import { i64, f32, maxAbsDiff, measured, randArray, record, rng, session } from "./helpers";

const cfg = tinyDit;
const weights = tinyDitWeights();
const get = (k: string) => weights.get(k);
const d = encoderRefDims();
const types = stackLayerTypes(cfg.num_attention_pooler_hidden_layers);
const W = cfg.sliding_window;
const C = cfg.audio_acoustic_hidden_dim;
const P = cfg.pool_window_size;
const E = cfg.fsq_dim;
const B = 2;
const T = 20;
const T5 = T / P;
const latents = randArray(rng(5), B * T * C, 1.5);

afterAll(() => console.log("tokenizer max abs errors", measured));

async function tokenize() {
  const s = await session(toBytes(buildAudioTokenizer(weights, cfg)));
  return s.run({ latents: f32(latents, [B, T, C]) });
}

describe("audio tokenizer", () => {
  it("produces the reference FSQ codes and quantized vectors (2 items × 4 codes)", async () => {
    const out = await tokenize();
    expect(out.indices.dims).toEqual([B, T5]);
    expect(out.quantized.dims).toEqual([B, T5, E]);
    const got = Array.from(out.indices.data as BigInt64Array, Number);
    const refQ = new Float32Array(B * T5 * E);
    const refIdx: number[] = [];
    for (let b = 0; b < B; b++) {
      const r = refTokenize(get, d, types, W, latents.subarray(b * T * C, (b + 1) * T * C), C, P);
      refIdx.push(...r.indices);
      refQ.set(r.quantized, b * T5 * E);
    }
    expect(got).toEqual(refIdx);
    expect(new Set(got).size).toBeGreaterThan(4); // the codes really vary
    expect(got.every((i) => i >= 0 && i < 64000)).toBe(true);
    expect(record("tokenizer quantized", maxAbsDiff(out.quantized.data as Float32Array, refQ))).toBeLessThanOrEqual(
      1e-5,
    );
  });

  it("reports a missing quantizer projection", () => {
    const broken = new MemoryWeights(
      [...weights.keys()].filter((k) => k !== "tokenizer.quantizer.project_in.bias").map((k) => [k, weights.get(k)]),
    );
    expect(() => buildAudioTokenizer(broken, cfg)).toThrow(WeightKeyError);
    expect(() => buildAudioTokenizer(broken, cfg)).toThrow(/tokenizer\.quantizer\.project_in\.bias/);
  });
});

describe("audio detokenizer", () => {
  it("turns codes (incl. 0, 63999 and 35847) into the reference 25 Hz hints", async () => {
    const codes = [0, 63999, 35847, 12345, 777, 40000, 5, 63000];
    const s = await session(toBytes(buildAudioDetokenizer(weights, cfg)));
    const out = await s.run({ indices: i64(codes, [B, 4]) });
    expect(out.lm_hints_25hz.dims).toEqual([B, 4 * P, C]);
    const ref = new Float32Array(B * 4 * P * C);
    for (let b = 0; b < B; b++)
      ref.set(refDetokenize(get, d, types, W, codes.slice(b * 4, (b + 1) * 4), P), b * 4 * P * C);
    expect(record("detokenizer", maxAbsDiff(out.lm_hints_25hz.data as Float32Array, ref))).toBeLessThanOrEqual(1e-5);
  });

  it("gives the same hints from the tokenizer's codes as the upstream detokenize(quantized) cover path", async () => {
    const tok = await tokenize();
    const s = await session(toBytes(buildAudioDetokenizer(weights, cfg)));
    const hints = (await s.run({ indices: tok.indices })).lm_hints_25hz.data as Float32Array;
    const q = tok.quantized.data as Float32Array;
    const ref = new Float32Array(B * T * C);
    for (let b = 0; b < B; b++)
      ref.set(refDetokenizeQuantized(get, d, types, W, q.subarray(b * T5 * E, (b + 1) * T5 * E), T5, P), b * T * C);
    expect(record("tokenize→detokenize vs detokenize(quantized)", maxAbsDiff(hints, ref))).toBeLessThanOrEqual(1e-5);
  });

  it("reports unused detokenizer layers", () => {
    const extra = new MemoryWeights([...weights.keys()].map((k) => [k, weights.get(k)]));
    extra.set("detokenizer.layers.2.mlp.up_proj.weight", { shape: [1, 1], data: new Float32Array(1) });
    expect(() => buildAudioDetokenizer(extra, cfg)).toThrow(
      /unused 1 key\(s\):\n {2}detokenizer\.layers\.2\.mlp\.up_proj\.weight/,
    );
  });
});
