// Parity: the in-place-KV LM step graph (server/models/lm/lm-graph.ts) driven by LmModel
// (server/models/lm/runner.ts) against the plain-TS Qwen3 reference, on in-memory tiny weights (fp32):
// prefill logits and cached K/V, 60 decode steps vs full recomputation, chunked vs one-shot prefill,
// batched CFG lanes vs single lanes, the restricted head, MatMulNBits int8/int4 projections.
import { afterAll, describe, expect, it } from "vitest";
import type { Qwen3Config } from "../../server/onnx/qwen3";
import { MemoryWeights } from "../../server/onnx/weights";
import { dequantizeBlockwise, quantizeBlockwise, type QuantBits } from "../../server/onnx/quantize";
import { LmModel, type LmKvCache } from "../../server/models/lm/runner";
import { headLogits, qwen3Forward } from "./reference/transformer";
import { qwen3Dims, qwen3Spec, tinyQwen3 } from "./fixtures";
import { maxAbsDiff, measured, randomWeights, record, rng } from "./helpers";

const cfg: Qwen3Config = { ...tinyQwen3, vocab_size: 97, num_hidden_layers: 3, intermediate_size: 48 }; // 48: a multiple of the int4 block
const H = cfg.hidden_size;
const kvw = cfg.num_key_value_heads * cfg.head_dim;
const w = randomWeights(qwen3Spec(cfg, "model."), 31);

function reference(weights: MemoryWeights, ids: number[]) {
  const r = qwen3Forward((k) => weights.get(k), qwen3Dims(cfg), [ids], [ids.map(() => 1)], { prefix: "model." });
  const logits = headLogits(
    r.hidden[0].subarray((ids.length - 1) * H),
    weights.get("model.embed_tokens.weight"),
    0,
    cfg.vocab_size,
  );
  return { logits, keys: r.keys.map((k) => k[0]), values: r.values.map((v) => v[0]) };
}

function randomTokens(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * cfg.vocab_size));
}

/** lane b of a cache, slots holding real tokens only, as [tokens, Hkv·D] */
function laneKeys(c: LmKvCache, layer: number, b: number): Float32Array {
  const out: number[] = [];
  for (let s = 0; s < c.length; s++) {
    if (c.valid[s * c.lanes + b] === 1n)
      out.push(...c.keys[layer].subarray((s * c.lanes + b) * kvw, (s * c.lanes + b + 1) * kvw));
  }
  return Float32Array.from(out);
}

describe("LM step graph with an in-place KV cache", async () => {
  afterAll(() => console.log("lm step graph max abs errors", measured));
  const lm = await LmModel.fromWeights(w, cfg, { codeRows: [40, 80] });

  it("prefill: last-position logits and the cached K/V equal the reference", async () => {
    const ids = randomTokens(11, 1);
    const c = lm.newCache(1, 4); // also grows the cache
    const [logits] = (await lm.step(c, [ids]))!;
    const ref = reference(w, ids);
    expect(logits.length).toBe(cfg.vocab_size);
    expect(record("prefill logits", maxAbsDiff(logits, ref.logits))).toBeLessThanOrEqual(1e-5);
    let kv = 0;
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      kv = Math.max(
        kv,
        maxAbsDiff(c.keys[l].subarray(0, ids.length * kvw), ref.keys[l]),
        maxAbsDiff(c.values[l].subarray(0, ids.length * kvw), ref.values[l]),
      );
    }
    expect(record("prefill cached K/V", kv)).toBeLessThanOrEqual(1e-5);
  });

  it("60 decode steps with the KV cache equal full recomputation (reference and a fresh graph prefill)", async () => {
    const ids = randomTokens(66, 2);
    const c = lm.newCache(1, 8);
    await lm.step(c, [ids.slice(0, 6)]);
    let vsRef = 0;
    let vsGraph = 0;
    for (let t = 6; t < ids.length; t++) {
      const [logits] = (await lm.step(c, [[ids[t]]]))!;
      vsRef = Math.max(vsRef, maxAbsDiff(logits, reference(w, ids.slice(0, t + 1)).logits));
      if (t % 10 === 5)
        vsGraph = Math.max(vsGraph, maxAbsDiff(logits, (await lm.step(lm.newCache(1, 1), [ids.slice(0, t + 1)]))![0]));
    }
    expect(c.length).toBe(66);
    expect(record("decode 60 steps vs reference", vsRef)).toBeLessThanOrEqual(1e-5);
    expect(record("decode vs graph recompute", vsGraph)).toBeLessThanOrEqual(1e-5);
  });

  it("chunked prefill on top of an existing cache equals one-shot prefill", async () => {
    const ids = randomTokens(40, 3);
    const one = lm.newCache(1, 64);
    const [a] = (await lm.step(one, [ids]))!;
    for (const chunk of [1, 3, 16]) {
      const c = lm.newCache(1, 64);
      await lm.step(c, [ids.slice(0, 5)], { chunk });
      const [b] = (await lm.step(c, [ids.slice(5)], { chunk }))!;
      expect(record(`chunked prefill (chunk ${chunk}) logits`, maxAbsDiff(a, b))).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(c.keys[2].subarray(0, 40 * kvw), one.keys[2].subarray(0, 40 * kvw))).toBeLessThanOrEqual(1e-5);
    }
  });

  it("two lanes (CFG pair) of different lengths in one call equal two single-lane runs", async () => {
    const cond = randomTokens(13, 4);
    const uncond = randomTokens(5, 5);
    const pair = lm.newCache(2, 4);
    const sc = lm.newCache(1, 4);
    const su = lm.newCache(1, 4);
    let [pc, pu] = (await lm.step(pair, [cond, uncond], { chunk: 4 }))!;
    let worst = Math.max(
      maxAbsDiff(pc, (await lm.step(sc, [cond]))![0]),
      maxAbsDiff(pu, (await lm.step(su, [uncond]))![0]),
    );
    const next = randomTokens(20, 6);
    for (let t = 0; t < next.length; t++) {
      // mostly one token per lane; sometimes a forced run of 3, or only one lane advancing
      const add = t % 7 === 3 ? next.slice(t, t + 3) : [next[t]];
      const u = t % 9 === 8 ? [] : add;
      [pc, pu] = (await lm.step(pair, [add, u]))!;
      worst = Math.max(worst, maxAbsDiff(pc, (await lm.step(sc, [add]))![0]));
      if (u.length) worst = Math.max(worst, maxAbsDiff(pu, (await lm.step(su, [u]))![0]));
    }
    expect(pair.tokens[0]).toEqual(sc.tokens[0]);
    expect(pair.tokens[1]).toEqual(su.tokens[0]);
    expect(record("CFG pair lanes vs single lanes", worst)).toBeLessThanOrEqual(1e-5);
    // the cache of each lane holds exactly that stream's K/V
    expect(maxAbsDiff(laneKeys(pair, 1, 1), su.keys[1].subarray(0, su.length * kvw))).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(laneKeys(pair, 2, 0), sc.keys[2].subarray(0, sc.length * kvw))).toBeLessThanOrEqual(1e-5);
    expect(lm.stats.pairCalls).toBeGreaterThan(0);
  });

  it("the restricted head equals the full head on its rows", async () => {
    const ids = randomTokens(9, 7);
    const c1 = lm.newCache(2, 16);
    const c2 = lm.newCache(2, 16);
    const full = (await lm.step(c1, [ids, ids.slice(0, 4)], { head: "full" }))!;
    const rows = (await lm.step(c2, [ids, ids.slice(0, 4)], { head: "codes" }))!;
    expect(rows[0].length).toBe(40);
    const err = Math.max(maxAbsDiff(rows[0], full[0].subarray(40, 80)), maxAbsDiff(rows[1], full[1].subarray(40, 80)));
    expect(record("restricted head vs full head rows", err)).toBeLessThanOrEqual(1e-6);
  });

  it("an untied head reads lm_head.weight (full and restricted rows)", async () => {
    const ucfg: Qwen3Config = { ...cfg, tie_word_embeddings: false };
    const wu = randomWeights(qwen3Spec(ucfg, "model.", true), 22);
    const um = await LmModel.fromWeights(wu, ucfg, { codeRows: [10, 40] });
    try {
      const ids = randomTokens(5, 8);
      const [full] = (await um.step(um.newCache(1, 8), [ids], { head: "full" }))!;
      const [rows] = (await um.step(um.newCache(1, 8), [ids], { head: "codes" }))!;
      const r = qwen3Forward((k) => wu.get(k), qwen3Dims(ucfg), [ids], [ids.map(() => 1)], { prefix: "model." });
      const ref = headLogits(r.hidden[0].subarray((ids.length - 1) * H), wu.get("lm_head.weight"), 0, cfg.vocab_size);
      expect(record("untied head logits", maxAbsDiff(full, ref))).toBeLessThanOrEqual(1e-5);
      expect(rows.length).toBe(30);
      expect(maxAbsDiff(rows, ref.subarray(10, 40))).toBeLessThanOrEqual(1e-5);
    } finally {
      await um.dispose();
    }
  });

  it("fp16 weights: decode equals the fp16-rounded reference", async () => {
    const h = await LmModel.fromWeights(w, cfg, { precision: "fp16" });
    const ids = randomTokens(14, 9);
    const c = h.newCache(1, 16);
    await h.step(c, [ids.slice(0, 10)]);
    let worst = 0;
    for (let t = 10; t < ids.length; t++) {
      const [l] = (await h.step(c, [[ids[t]]]))!;
      const r = qwen3Forward(
        (k) => w.get(k),
        qwen3Dims(cfg),
        [ids.slice(0, t + 1)],
        [ids.slice(0, t + 1).map(() => 1)],
        { prefix: "model.", half: true },
      );
      worst = Math.max(
        worst,
        maxAbsDiff(
          l,
          headLogits(r.hidden[0].subarray(t * H), w.get("model.embed_tokens.weight"), 0, cfg.vocab_size, true),
        ),
      );
    }
    expect(record("fp16 decode vs fp16 reference", worst)).toBeLessThanOrEqual(2e-3);
    await h.dispose();
  });

  for (const [bits, level] of [
    [8, 0],
    [4, 0],
    [8, 4],
    [4, 4],
  ] as [QuantBits, 0 | 4][]) {
    it(`MatMulNBits int${bits} projections (accuracy level ${level}) equal the reference on dequantized weights`, async () => {
      const q = await LmModel.fromWeights(w, cfg, { quantize: { bits, blockSize: 16, accuracyLevel: level } });
      const wd = new MemoryWeights([...w.keys()].map((k) => [k, w.get(k)]));
      for (const k of w.keys()) {
        const t = w.get(k);
        if (!/_proj\.weight$/.test(k)) continue;
        const [n, kk] = t.shape;
        wd.set(k, {
          shape: t.shape,
          data: dequantizeBlockwise(quantizeBlockwise(t.data, n, kk, bits, 16), n, kk, bits, 16),
        });
      }
      const ids = randomTokens(12, 8);
      const c = q.newCache(1, 16);
      await q.step(c, [ids.slice(0, 8)]);
      let worst = 0;
      for (let t = 8; t < ids.length; t++) {
        const [l] = (await q.step(c, [[ids[t]]]))!;
        worst = Math.max(worst, maxAbsDiff(l, reference(wd, ids.slice(0, t + 1)).logits));
      }
      // level 0 computes in fp32 (exact up to rounding); level 4 also quantises the activations to int8
      expect(record(`int${bits} level ${level} graph vs dequantized reference`, worst)).toBeLessThanOrEqual(
        level === 0 ? 2e-5 : 5e-2,
      );
      await q.dispose();
    });
  }
});
