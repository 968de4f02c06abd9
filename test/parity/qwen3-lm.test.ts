// Parity: Qwen3 LM graph (server/onnx/qwen3.ts buildQwen3Lm) — prefill logits, tied/untied heads, head row
// range, and KV-cache decode with a JS-owned sequence-major fp32 cache equal to full recomputation.
import type * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { buildQwen3Lm, type Qwen3Config } from "../../server/onnx/qwen3";
import { toBytes } from "../../server/onnx/serialize";
import type { MemoryWeights } from "../../server/onnx/weights";
import { headLogits, qwen3Forward } from "./reference/transformer";
import { qwen3Dims, qwen3Spec, tinyQwen3 } from "./fixtures";
import { f32, i64, maxAbsDiff, measured, randomWeights, record, session } from "./helpers";

const tied: Qwen3Config = { ...tinyQwen3, num_hidden_layers: 3 };
const kvw = tied.num_key_value_heads * tied.head_dim;
const tokens = [5, 33, 2, 48, 17, 60, 9, 21, 40];

/** One LM call for batch 1; `cache[l]` holds P positions of keys/values (sequence-major). */
async function step(
  s: ort.InferenceSession,
  cfg: Qwen3Config,
  ids: number[],
  p: number,
  cache: { k: Float32Array; v: Float32Array }[],
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids, [1, ids.length]),
    position_ids: i64(
      ids.map((_, i) => p + i),
      [1, ids.length],
    ),
    attention_mask: i64(new Array(p + ids.length).fill(1), [1, p + ids.length]),
  };
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    // zero-copy views of positions 0..P-1 of the JS-owned cache
    feeds[`past_key.${l}`] = f32(cache[l].k.subarray(0, p * kvw), [1, p, kvw]);
    feeds[`past_value.${l}`] = f32(cache[l].v.subarray(0, p * kvw), [1, p, kvw]);
  }
  const out = await s.run(feeds);
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    cache[l].k.set(out[`new_key.${l}`].data as Float32Array, p * kvw);
    cache[l].v.set(out[`new_value.${l}`].data as Float32Array, p * kvw);
  }
  return out;
}

function newCache(cfg: Qwen3Config, lmax: number) {
  return Array.from({ length: cfg.num_hidden_layers }, () => ({
    k: new Float32Array(lmax * kvw),
    v: new Float32Array(lmax * kvw),
  }));
}

function refLastLogits(
  w: MemoryWeights,
  cfg: Qwen3Config,
  ids: number[],
  headKey: string,
  rows: [number, number],
  half = false,
): Float32Array {
  const r = qwen3Forward((k) => w.get(k), qwen3Dims(cfg), [ids], [ids.map(() => 1)], { prefix: "model.", half });
  const H = cfg.hidden_size;
  return headLogits(r.hidden[0].subarray((ids.length - 1) * H), w.get(headKey), rows[0], rows[1], half);
}

describe("qwen3 LM graph", () => {
  afterAll(() => console.log("qwen3 LM max abs errors", measured));
  const w = randomWeights(qwen3Spec(tied, "model."), 21);

  it("prefill returns last-position logits (tied head) and this call's K/V", async () => {
    const s = await session(toBytes(buildQwen3Lm(w, tied)));
    const prompt = tokens.slice(0, 6);
    const out = await step(s, tied, prompt, 0, newCache(tied, 16));
    expect(out.logits.dims).toEqual([1, tied.vocab_size]);
    const ref = refLastLogits(w, tied, prompt, "model.embed_tokens.weight", [0, tied.vocab_size]);
    expect(record("lm prefill logits fp32", maxAbsDiff(out.logits.data as Float32Array, ref))).toBeLessThanOrEqual(
      1e-5,
    );
    const r = qwen3Forward((k) => w.get(k), qwen3Dims(tied), [prompt], [prompt.map(() => 1)], { prefix: "model." });
    for (let l = 0; l < tied.num_hidden_layers; l++) {
      expect(out[`new_key.${l}`].dims).toEqual([1, 6, kvw]);
      expect(maxAbsDiff(out[`new_key.${l}`].data as Float32Array, r.keys[l][0])).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(out[`new_value.${l}`].data as Float32Array, r.values[l][0])).toBeLessThanOrEqual(1e-5);
    }
  });

  for (const precision of ["fp32", "fp16"] as const) {
    it(`KV-cache decode (1-token steps and a 2-token chunk) equals full recomputation in ${precision}`, async () => {
      const s = await session(toBytes(buildQwen3Lm(w, tied, { precision })));
      const cache = newCache(tied, 16);
      await step(s, tied, tokens.slice(0, 4), 0, cache);
      let worst = 0;
      let worstGraph = 0;
      const schedule: [number, number][] = [
        [4, 5],
        [5, 6],
        [6, 8],
        [8, 9],
      ];
      for (const [a, b] of schedule) {
        const out = await step(s, tied, tokens.slice(a, b), a, cache);
        const ref = refLastLogits(
          w,
          tied,
          tokens.slice(0, b),
          "model.embed_tokens.weight",
          [0, tied.vocab_size],
          precision === "fp16",
        );
        worst = Math.max(worst, maxAbsDiff(out.logits.data as Float32Array, ref));
        // the same graph without a cache, over the whole prefix
        const full = await step(s, tied, tokens.slice(0, b), 0, newCache(tied, 16));
        worstGraph = Math.max(
          worstGraph,
          maxAbsDiff(out.logits.data as Float32Array, full.logits.data as Float32Array),
        );
      }
      expect(record(`lm decode vs reference ${precision}`, worst)).toBeLessThanOrEqual(
        precision === "fp32" ? 1e-5 : 2e-3,
      );
      expect(record(`lm decode vs graph recompute ${precision}`, worstGraph)).toBeLessThanOrEqual(
        precision === "fp32" ? 1e-5 : 2e-3,
      );
    });
  }

  it("untied head reads lm_head.weight and headRows restricts the logits to a row range", async () => {
    const cfg: Qwen3Config = { ...tied, tie_word_embeddings: false };
    const wu = randomWeights(qwen3Spec(cfg, "model.", true), 22);
    const s = await session(toBytes(buildQwen3Lm(wu, cfg, { headRows: [10, 40] })));
    const prompt = tokens.slice(0, 5);
    const out = await step(s, cfg, prompt, 0, newCache(cfg, 8));
    expect(out.logits.dims).toEqual([1, 30]);
    const ref = refLastLogits(wu, cfg, prompt, "lm_head.weight", [10, 40]);
    expect(record("lm untied head rows fp32", maxAbsDiff(out.logits.data as Float32Array, ref))).toBeLessThanOrEqual(
      1e-5,
    );
  });

  it("batch of two prompts gives each item its own logits", async () => {
    const s = await session(toBytes(buildQwen3Lm(w, tied)));
    const a = tokens.slice(0, 5);
    const b = tokens.slice(4, 9);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64([...a, ...b], [2, 5]),
      position_ids: i64([0, 1, 2, 3, 4, 0, 1, 2, 3, 4], [2, 5]),
      attention_mask: i64(new Array(10).fill(1), [2, 5]),
    };
    for (let l = 0; l < tied.num_hidden_layers; l++) {
      feeds[`past_key.${l}`] = f32(new Float32Array(0), [2, 0, kvw]);
      feeds[`past_value.${l}`] = f32(new Float32Array(0), [2, 0, kvw]);
    }
    const out = await s.run(feeds);
    const V = tied.vocab_size;
    const logits = out.logits.data as Float32Array;
    const ra = refLastLogits(w, tied, a, "model.embed_tokens.weight", [0, V]);
    const rb = refLastLogits(w, tied, b, "model.embed_tokens.weight", [0, V]);
    expect(Math.max(maxAbsDiff(logits.subarray(0, V), ra), maxAbsDiff(logits.subarray(V), rb))).toBeLessThanOrEqual(
      1e-5,
    );
  });
});
