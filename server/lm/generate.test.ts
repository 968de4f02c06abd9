import { describe, expect, it } from "vitest";
import { generateWithLogits } from "./generate";
import { IM_END_ID, ENDOFTEXT_ID } from "./tokens";

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
});
