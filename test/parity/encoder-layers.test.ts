// Parity: ACE-Step encoder-layer stack (server/onnx/encoder-layers.ts) vs the plain-TS reference.
// Sequence 9 with sliding_window 2 so sliding layers really drop keys; key padding mask; fp32 and fp16.
import { afterAll, describe, expect, it } from "vitest";
import { buildAceEncoderStack, layerTypeOf, type AceStepEncoderConfig } from "../../server/onnx/encoder-layers";
import { toBytes } from "../../server/onnx/serialize";
import { WeightKeyError } from "../../server/onnx/graph";
import { rmsnorm } from "./reference/math";
import { encoderForward } from "./reference/transformer";
import { encoderDims, encoderSpec, tinyEncoder } from "./fixtures";
import { f32, i64, maxAbsDiff, measured, randArray, randomWeights, record, rng, session } from "./helpers";

const prefix = "encoder.lyric_encoder.";
const cfg = tinyEncoder;
const L = 4;
const B = 2;
const S = 9;
const H = cfg.hidden_size;
const weights = randomWeights(encoderSpec(cfg, prefix, L), 31);
const get = (k: string) => weights.get(k);
const x = randArray(rng(32), B * S * H, 1);
const xs = [x.subarray(0, S * H), x.subarray(S * H)];
const keyMask = [new Array(S).fill(1), [1, 1, 1, 1, 1, 1, 0, 0, 0]];
const types = Array.from({ length: L }, (_, i) => layerTypeOf(cfg, i));

async function run(
  c: AceStepEncoderConfig,
  o: { paddingMask?: boolean; precision?: "fp32" | "fp16"; finalNorm?: boolean },
): Promise<Float32Array> {
  const s = await session(toBytes(buildAceEncoderStack(weights, c, { prefix, numLayers: L, ...o })));
  const feeds: Record<string, ReturnType<typeof f32>> = { hidden_states: f32(x, [B, S, H]) };
  if (o.paddingMask) feeds.attention_mask = i64(keyMask.flat(), [B, S]);
  const out = await s.run(feeds);
  expect(out.last_hidden_state.dims).toEqual([B, S, H]);
  return out.last_hidden_state.data as Float32Array;
}

const cat = (a: Float32Array[]) => {
  const o = new Float32Array(a[0].length * a.length);
  a.forEach((p, i) => o.set(p, i * p.length));
  return o;
};

describe("ace-step encoder-layer stack", () => {
  afterAll(() => console.log("encoder stack max abs errors", measured));

  it("alternates sliding and full layers as layer_types says", () => {
    expect(types).toEqual(["sliding_attention", "full_attention", "sliding_attention", "full_attention"]);
    expect(layerTypeOf({ ...cfg, layer_types: undefined }, 2)).toBe("sliding_attention");
    expect(layerTypeOf({ ...cfg, sliding_window: null }, 0)).toBe("full_attention");
  });

  it("matches the reference with sliding window 2 over 9 tokens (fp32)", async () => {
    const got = await run(cfg, {});
    const ref = cat(encoderForward(get, encoderDims(cfg), prefix, types, 2, xs));
    expect(record("encoder sliding fp32", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
    // the window must matter: an all-full reference differs clearly
    const full = cat(encoderForward(get, encoderDims(cfg), prefix, types, null, xs));
    expect(maxAbsDiff(got, full)).toBeGreaterThan(1e-2);
  });

  it("matches the reference with all-full attention when sliding_window is null", async () => {
    const got = await run({ ...cfg, sliding_window: null }, {});
    const ref = cat(encoderForward(get, encoderDims(cfg), prefix, types, null, xs));
    expect(record("encoder full fp32", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
  });

  it("applies the key padding mask (including rows whose window holds only padding)", async () => {
    const got = await run(cfg, { paddingMask: true, finalNorm: true });
    const ref = encoderForward(get, encoderDims(cfg), prefix, types, 2, xs, keyMask).map((h) =>
      rmsnorm(h, H, get(`${prefix}norm.weight`).data, cfg.rms_norm_eps),
    );
    expect(record("encoder padded+norm fp32", maxAbsDiff(got, cat(ref)))).toBeLessThanOrEqual(1e-5);
    expect(got.every(Number.isFinite)).toBe(true);
  });

  it("matches the fp16-weight reference in fp16", async () => {
    const got = await run(cfg, { paddingMask: true, precision: "fp16" });
    const ref16 = cat(encoderForward(get, encoderDims(cfg), prefix, types, 2, xs, keyMask, true));
    const ref32 = cat(encoderForward(get, encoderDims(cfg), prefix, types, 2, xs, keyMask));
    expect(record("encoder fp16 vs fp16-ref", maxAbsDiff(got, ref16))).toBeLessThanOrEqual(2e-3);
    record("encoder fp16 vs fp32-ref (info)", maxAbsDiff(got, ref32));
  });

  it("reports layers present in the checkpoint but beyond numLayers as unused", () => {
    expect(() => buildAceEncoderStack(weights, cfg, { prefix, numLayers: 3 })).toThrow(WeightKeyError);
    try {
      buildAceEncoderStack(weights, cfg, { prefix, numLayers: 3 });
    } catch (e) {
      expect((e as WeightKeyError).unused).toHaveLength(11);
      expect((e as WeightKeyError).unused.every((k) => k.startsWith(`${prefix}layers.3.`))).toBe(true);
    }
  });
});
