import { describe, expect, it } from "vitest";
import {
  DECODE_TILING,
  ENCODE_TILING,
  Stitcher,
  type Tensor3,
  planDecode,
  planEncode,
  planTiles,
  pyRound,
  sliceTime,
  tiledDecode,
  tiledEncode,
  trimFor,
} from "./tiling";

/** A pointwise "decoder" with upsampling factor f: out[c, t·f + j] = in[c, t] + j/1000 (no receptive field). */
function pointwise(f: number) {
  return async (x: Tensor3): Promise<Tensor3> => {
    const [B, C, L] = x.dims;
    const out = new Float32Array(B * C * L * f);
    for (let r = 0; r < B * C; r++)
      for (let t = 0; t < L; t++) for (let j = 0; j < f; j++) out[r * L * f + t * f + j] = x.data[r * L + t] + j / 1000;
    return { data: out, dims: [B, C, L * f] };
  };
}
const ramp = (B: number, C: number, L: number): Tensor3 => ({
  data: Float32Array.from({ length: B * C * L }, (_, i) => i),
  dims: [B, C, L],
});

describe("tile plans", () => {
  it("official decode defaults: 512-frame chunks, 64-frame overlap, stride 384", () => {
    expect(DECODE_TILING).toEqual({ chunk: 512, overlap: 64 });
    const p = planDecode(1000);
    expect(p.stride).toBe(384);
    expect(p.windows.map((w) => [w.coreStart, w.coreEnd, w.winStart, w.winEnd])).toEqual([
      [0, 384, 0, 448],
      [384, 768, 320, 832],
      [768, 1000, 704, 1000],
    ]);
    expect(planDecode(512).windows).toEqual([{ index: 0, coreStart: 0, coreEnd: 512, winStart: 0, winEnd: 512 }]);
    expect(planDecode(513).windows.length).toBe(2);
  });

  it("official encode defaults: 30 s chunks, 2 s overlap at 48 kHz", () => {
    expect(ENCODE_TILING).toEqual({ chunk: 1_440_000, overlap: 96_000 });
    const p = planEncode(240 * 48000);
    expect(p.stride).toBe(1_248_000);
    expect(p.windows.length).toBe(10);
    expect(p.windows[9]).toEqual({
      index: 9,
      coreStart: 11_232_000,
      coreEnd: 11_520_000,
      winStart: 11_136_000,
      winEnd: 11_520_000,
    });
    expect(planEncode(30 * 48000).windows.length).toBe(1);
  });

  it("rejects chunk ≤ 2·overlap (when tiling is needed), bad numbers, and encode sizes off the hop grid", () => {
    expect(() => planTiles(100, 8, 4)).toThrow(/must be > 2 \* overlap/);
    expect(() => planTiles(8, 8, 4)).not.toThrow(); // fits in one chunk
    expect(() => planTiles(10, 0, 0)).toThrow();
    expect(() => planTiles(10.5, 4, 1)).toThrow();
    expect(() => planEncode(5_000_000, { chunk: 1_440_001 })).toThrow(/multiples of the hop/);
  });

  it("Python rounding (half to even) for trims", () => {
    expect([0.5, 1.5, 2.5, 3.49, 3.5].map(pyRound)).toEqual([0, 2, 2, 3, 4]);
    expect(trimFor({ index: 1, coreStart: 384, coreEnd: 768, winStart: 320, winEnd: 832 }, 1920)).toEqual({
      trimStart: 64 * 1920,
      trimEnd: 64 * 1920,
    });
    expect(trimFor({ index: 1, coreStart: 15, coreEnd: 30, winStart: 10, winEnd: 35 }, 0.5)).toEqual({
      trimStart: 2,
      trimEnd: 2,
    });
  });
});

describe("stitching", () => {
  it("sliceTime copies one time range of every row", () => {
    expect(Array.from(sliceTime(ramp(1, 2, 5), 1, 3).data)).toEqual([1, 2, 6, 7]);
  });

  it("Stitcher appends trimmed cores and grows past its estimate", () => {
    const s = new Stitcher(1, 2, 1);
    s.append(ramp(1, 2, 4), 1, 1); // keeps [1,2] and [5,6]
    s.append(ramp(1, 2, 3), 0, 0); // trimEnd 0 keeps to the end
    expect(s.length).toBe(5);
    expect(Array.from(s.result().data)).toEqual([1, 2, 0, 1, 2, 5, 6, 3, 4, 5]);
  });

  it("tiled decode with a pointwise model equals one shot for any chunk/overlap, batch 2", async () => {
    const z = ramp(2, 3, 37);
    const whole = await pointwise(4)(z);
    for (const [chunk, overlap] of [
      [8, 2],
      [5, 0],
      [9, 4],
      [40, 3],
      [3, 1],
    ]) {
      const got = await tiledDecode(z, pointwise(4), { chunk, overlap });
      expect(got.dims).toEqual([2, 3, 148]);
      expect(Array.from(got.data)).toEqual(Array.from(whole.data));
    }
  });

  it("tiled encode with a pointwise downsampler equals one shot; mean by default, seeded sample on request", async () => {
    const down = async (x: Tensor3) => {
      const [B, C, L] = x.dims;
      const m = new Float32Array(B * C * (L / 4));
      for (let r = 0; r < B * C; r++) for (let t = 0; t < L / 4; t++) m[r * (L / 4) + t] = x.data[r * L + 4 * t];
      return {
        mean: { data: m, dims: [B, C, L / 4] as [number, number, number] },
        std: { data: m.map(() => 0.5), dims: [B, C, L / 4] as [number, number, number] },
      };
    };
    const x = ramp(1, 2, 4 * 50);
    const whole = await down(x);
    const got = await tiledEncode(x, down, { chunk: 4 * 12, overlap: 4 * 3, hop: 4 });
    expect(Array.from(got.latents.data)).toEqual(Array.from(whole.mean.data));
    const a = await tiledEncode(x, down, {
      chunk: 4 * 12,
      overlap: 4 * 3,
      hop: 4,
      posterior: { kind: "sample", seed: 1 },
    });
    const b = await tiledEncode(x, down, {
      chunk: 4 * 20,
      overlap: 4 * 2,
      hop: 4,
      posterior: { kind: "sample", seed: 1 },
    });
    expect(Array.from(a.latents.data)).toEqual(Array.from(b.latents.data));
    expect(a.latents.data).not.toEqual(whole.mean.data);
  });

  it("reports progress per window and stops when aborted", async () => {
    const seen: string[] = [];
    await tiledDecode(ramp(1, 1, 20), pointwise(2), {
      chunk: 8,
      overlap: 2,
      onProgress: (p) => seen.push(`${p.done}/${p.total}@${p.window.coreStart}`),
    });
    expect(seen).toEqual(["1/5@0", "2/5@4", "3/5@8", "4/5@12", "5/5@16"]);
    const ac = new AbortController();
    ac.abort();
    await expect(
      tiledDecode(ramp(1, 1, 20), pointwise(2), { chunk: 8, overlap: 2, signal: ac.signal }),
    ).rejects.toThrow();
    await expect(tiledDecode(ramp(1, 1, 0), pointwise(2))).rejects.toThrow(/empty/);
  });
});
