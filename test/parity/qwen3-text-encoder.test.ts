// Parity: Qwen3 text-encoder graph (server/onnx/qwen3.ts) vs the plain-TS reference, fp32 and fp16.
// Covers GQA (4 q / 2 kv heads), q/k norms, RoPE, causal + padding masks (right and left padding).
import { afterAll, describe, expect, it } from "vitest";
import { buildQwen3TextEncoder } from "../../server/onnx/qwen3";
import { toBytes } from "../../server/onnx/serialize";
import { qwen3Forward } from "./reference/transformer";
import { qwen3Dims, qwen3Spec, tinyQwen3 } from "./fixtures";
import { i64, maxAbsDiff, measured, randomWeights, record, session } from "./helpers";

const cfg = tinyQwen3;
const weights = randomWeights(qwen3Spec(cfg, ""), 11);
const get = (k: string) => weights.get(k);
const S = 7;
// item 0 full, item 1 right-padded, item 2 left-padded
const ids = [
  [3, 17, 42, 5, 60, 9, 1],
  [8, 8, 30, 2, 11, 0, 0],
  [0, 0, 0, 44, 12, 7, 59],
];
const mask = [
  [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 0, 0],
  [0, 0, 0, 1, 1, 1, 1],
];

async function run(precision: "fp32" | "fp16"): Promise<Float32Array> {
  const s = await session(toBytes(buildQwen3TextEncoder(weights, cfg, { precision })));
  const out = await s.run({ input_ids: i64(ids.flat(), [3, S]), attention_mask: i64(mask.flat(), [3, S]) });
  expect(out.last_hidden_state.dims).toEqual([3, S, cfg.hidden_size]);
  return out.last_hidden_state.data as Float32Array;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe("qwen3 text encoder", () => {
  afterAll(() => console.log("qwen3 text encoder max abs errors", measured));

  it("matches the reference in fp32 for unpadded, right-padded and left-padded items", async () => {
    const got = await run("fp32");
    const ref = concat(qwen3Forward(get, qwen3Dims(cfg), ids, mask, { prefix: "" }).hidden);
    expect(record("text-encoder fp32", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
  });

  it("padding tokens do not change the hidden states of real tokens", async () => {
    const got = await run("fp32");
    const H = cfg.hidden_size;
    // item 1 without its padding, as a batch of one through the reference
    const ref = qwen3Forward(get, qwen3Dims(cfg), [ids[1].slice(0, 5)], [[1, 1, 1, 1, 1]], { prefix: "" }).hidden[0];
    expect(maxAbsDiff(got.subarray(S * H, S * H + 5 * H), ref)).toBeLessThanOrEqual(1e-5);
  });

  it("matches the fp16-emulating reference in fp16 and stays close to fp32", async () => {
    const got = await run("fp16");
    const ref16 = concat(qwen3Forward(get, qwen3Dims(cfg), ids, mask, { prefix: "", half: true }).hidden);
    const ref32 = concat(qwen3Forward(get, qwen3Dims(cfg), ids, mask, { prefix: "" }).hidden);
    expect(record("text-encoder fp16 vs fp16-ref", maxAbsDiff(got, ref16))).toBeLessThanOrEqual(2e-3);
    record("text-encoder fp16 vs fp32-ref (info)", maxAbsDiff(got, ref32));
  });
});
