import { describe, expect, it } from "vitest";
import { createMetadataFsm } from "./constrained/fsm";
import { applyAllowed } from "./constrained/mask";
import { generateWithLogits, type LogitsFn } from "./generate";
import { realTokenizer } from "./test/real-tokenizer";
import { AUDIO_CODE_BASE, AUDIO_CODE_END, IM_END_ID, ENDOFTEXT_ID, LM_VOCAB_SIZE } from "./tokens";

/** A tiny fake LM over a 5-token vocabulary whose logits depend only on the sequence length. */
const table = (ids: readonly number[]) => {
  const l = new Float32Array(5).fill(-10);
  l[ids.length % 4] = 10; // next token = length mod 4, almost surely
  return l;
};

describe("generateWithLogits", () => {
  it("stops at max_new_tokens or on a stop id (included in the output)", async () => {
    const r = await generateWithLogits(table, { prompt: [0], maxNewTokens: 6, stopIds: [] });
    expect(r).toMatchObject({ tokens: [1, 2, 3, 0, 1, 2], stopReason: "max_tokens", forwardCalls: 6 });
    const s = await generateWithLogits(table, { prompt: [0], maxNewTokens: 6, stopIds: [3] });
    expect(s).toMatchObject({ tokens: [1, 2, 3], stopReason: "stop" });
  });

  it("defaults to stopping on <|im_end|> and <|endoftext|>", async () => {
    const big = (ids: readonly number[]) => {
      const l = new Float32Array(151646).fill(-10);
      l[ids.length === 2 ? ENDOFTEXT_ID : IM_END_ID - 1] = 10;
      return l;
    };
    const r = await generateWithLogits(big, { prompt: [1], maxNewTokens: 10, sampling: { temperature: 0 } });
    expect(r.tokens).toEqual([IM_END_ID - 1, ENDOFTEXT_ID]);
  });

  it("feeds the sampled token to both CFG streams and calls the model twice per step", async () => {
    const seen: { stream: string; ids: number[] }[] = [];
    const fn = (ids: readonly number[], stream: "cond" | "uncond") => {
      seen.push({ stream, ids: [...ids] });
      return table(ids);
    };
    const r = await generateWithLogits(fn, {
      prompt: [0],
      uncondPrompt: [4, 4],
      maxNewTokens: 2,
      stopIds: [],
      sampling: { cfgScale: 2, temperature: 0 },
    });
    expect(r.forwardCalls).toBe(4);
    expect(seen[2]).toEqual({ stream: "cond", ids: [0, r.tokens[0]] });
    expect(seen[3]).toEqual({ stream: "uncond", ids: [4, 4, r.tokens[0]] });
  });

  it("samples over a logits window (the code head) exactly as over the padded full vocabulary", async () => {
    // a code-head-like model: logits for ids [r0, r1) only, seeded per (stream, length); −Infinity elsewhere
    const r0 = IM_END_ID,
      r1 = AUDIO_CODE_END;
    const rows = (ids: readonly number[], stream: string) => {
      let x = ids.length * 7919 + (stream === "cond" ? 1 : 2) + ids[ids.length - 1];
      return new Float32Array(r1 - r0).map(() => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 6);
    };
    const full = (ids: readonly number[], stream: "cond" | "uncond") => {
      const l = new Float32Array(LM_VOCAB_SIZE).fill(-Infinity);
      l.set(rows(ids, stream), r0);
      return l;
    };
    let windowCalls = 0;
    const windowed: LogitsFn = Object.assign(full, {
      windowed: async (ids: readonly number[], stream: "cond" | "uncond") => {
        windowCalls++;
        return { logits: rows(ids, stream), offset: r0 };
      },
    });
    const tok = realTokenizer();
    const run = (fn: LogitsFn, sampling: object) =>
      generateWithLogits(fn, {
        prompt: [1, 2, 3],
        uncondPrompt: [4, 5],
        fsm: createMetadataFsm({ tokenizer: tok, mode: "codes", targetCodes: 12 }),
        maxNewTokens: 20,
        seed: 5,
        sampling,
      });
    for (const sampling of [
      { cfgScale: 2, temperature: 0.85, topP: 0.9 },
      { cfgScale: 1, temperature: 1, topK: 50, repetitionPenalty: 1.3 },
    ]) {
      windowCalls = 0;
      const a = await run(full, sampling);
      const b = await run(windowed, sampling);
      expect(windowCalls).toBeGreaterThan(0);
      expect(b.tokens).toEqual(a.tokens);
      expect(a.tokens.slice(0, 12).every((id) => id >= AUDIO_CODE_BASE && id < AUDIO_CODE_END)).toBe(true);
      expect(new Set(a.tokens.slice(0, 12)).size).toBeGreaterThan(6); // really sampled, not one argmax
    }
  });

  it("applyAllowed on a window equals the full-vocabulary mask cut to that window", () => {
    const off = 1000,
      n = 500;
    const base = new Float32Array(3000).map((_, i) => Math.sin(i));
    const masks = [
      { kind: "forced" as const, id: 1200 },
      { kind: "forced" as const, id: 10 },
      {
        kind: "only" as const,
        ids: Int32Array.of(5, 1001, 1499, 2000),
        ranges: [[1100, 1150] as const, [1450, 1600] as const],
      },
      {
        kind: "except" as const,
        ids: Int32Array.of(999, 1000, 1300),
        ranges: [[900, 1010] as const, [1490, 2000] as const],
      },
    ];
    for (const m of masks) {
      const f = base.slice();
      applyAllowed(f, m);
      const w = base.slice(off, off + n);
      applyAllowed(w, m, off);
      expect(Array.from(w)).toEqual(Array.from(f.subarray(off, off + n)));
    }
  });
});
