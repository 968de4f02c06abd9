import { describe, expect, it } from "vitest";
import fx from "./fixtures/torch-cpu-randn.json";
import {
  Mt19937,
  TorchCpuGenerator,
  TorchCudaGenerator,
  cudaExecutionPolicy,
  philox4x32_10,
  philoxNormal4,
  seededRandn,
} from "./noise";

const hex = (xs: number[]) => xs.map((x) => x.toString(16).padStart(8, "0"));

describe("Philox4x32-10 (CUDA torch.randn generator)", () => {
  it("matches the Random123 known-answer vectors", () => {
    expect(hex(philox4x32_10([0, 0, 0, 0], [0, 0]))).toEqual(["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]);
    expect(hex(philox4x32_10([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toEqual([
      "408f276d",
      "41c83b0e",
      "a20bc7c6",
      "6d5451fd",
    ]);
    expect(hex(philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toEqual([
      "d16cfe09",
      "94fdcceb",
      "5001e420",
      "24126ea1",
    ]);
  });

  it("gives element k the first value of subsequence k when the grid covers n", () => {
    const noise = seededRandn(1234, 64, { dtype: "fp32" });
    for (const k of [0, 1, 17, 63]) expect(noise[k]).toBe(Math.fround(philoxNormal4(1234, k, 0)[0]));
  });

  it("wraps onto lanes 1..3 and later offsets when the device caps the grid", () => {
    const device = { multiProcessorCount: 1, maxThreadsPerMultiProcessor: 256 }; // stride 256
    expect(cudaExecutionPolicy(2000, device)).toEqual({ stride: 256, counterOffset: 8 });
    const g = new TorchCudaGenerator(7, device);
    const x = g.randn(2000, "fp32");
    expect(x[256]).toBe(Math.fround(philoxNormal4(7, 0, 0)[1]));
    expect(x[3 * 256 + 5]).toBe(Math.fround(philoxNormal4(7, 5, 0)[3]));
    expect(x[1024 + 3]).toBe(Math.fround(philoxNormal4(7, 3, 1)[0]));
    // the next call continues at philox offset 8 (= 2 normal4 draws per thread)
    expect(g.randn(1, "fp32")[0]).toBe(Math.fround(philoxNormal4(7, 0, 2)[0]));
  });

  it("is deterministic, standard normal and rounded to bf16 by default", () => {
    const a = seededRandn(42, 48000);
    const b = seededRandn(42, 48000);
    expect(a).toEqual(b);
    expect(seededRandn(43, 16)).not.toEqual(a.subarray(0, 16));
    let mean = 0;
    let sq = 0;
    for (const v of a) {
      mean += v;
      sq += v * v;
    }
    mean /= a.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sq / a.length - 1)).toBeLessThan(0.03);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (const v of a.subarray(0, 100)) {
      f32[0] = v;
      expect(u32[0] & 0xffff).toBe(0);
    }
  });

  it("uses the full 64-bit seed as the key", () => {
    expect(seededRandn(2n ** 32n + 5n, 4, { dtype: "fp32" })).not.toEqual(seededRandn(5, 4, { dtype: "fp32" }));
  });
});

describe("MT19937 + torch CPU normal", () => {
  it("produces the reference MT19937 stream", () => {
    const mt = new Mt19937(5489);
    expect(mt.nextU32()).toBe(3499211612);
    const zero = new Mt19937(0);
    expect([zero.nextU32(), zero.nextU32()]).toEqual([2357136044, 2546248239]);
    const m = new Mt19937(5489);
    let last = 0;
    for (let i = 0; i < 10000; i++) last = m.nextU32();
    expect(last).toBe(4123659995);
  });

  it("reproduces torch.randn(6) after manual_seed(0) exactly", () => {
    expect(Array.from(new TorchCpuGenerator(0).randn(6))).toEqual(fx.seed0_n6.map(Math.fround));
    expect(Array.from(seededRandn(0, 6, { backend: "cpu" }), (v) => Math.round(v * 1e4) / 1e4)).toEqual([
      1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986,
    ]);
  });

  it("keeps the serial path's cached value across calls", () => {
    const g = new TorchCpuGenerator(1);
    expect(Array.from(g.randn(5))).toEqual(fx.seed1_n5_then_n3[0].map(Math.fround));
    expect(Array.from(g.randn(3))).toEqual(fx.seed1_n5_then_n3[1].map(Math.fround));
  });

  it("follows normal_fill for n ≥ 16 within Sleef rounding", () => {
    const check = (got: Float32Array, want: number[]) => {
      let exact = 0;
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6);
        if (got[i] === Math.fround(want[i])) exact++;
      }
      expect(exact / want.length).toBeGreaterThan(0.7);
    };
    check(new TorchCpuGenerator(42).randn(200), fx.seed42_n200);
    const g = new TorchCpuGenerator(3);
    check(g.randn(16), fx.seed3_n16_then_n20[0]);
    check(g.randn(20), fx.seed3_n16_then_n20[1]);
    const big = new TorchCpuGenerator(7).randn(3000);
    check(big.subarray(0, 8), fx.seed7_n3000_first8);
    check(big.subarray(2992), fx.seed7_n3000_last8);
    let sum = 0;
    for (const v of big) sum += v;
    expect(Math.abs(sum - fx.seed7_n3000_sum)).toBeLessThan(1e-4);
  });
});
