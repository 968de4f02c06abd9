// bf16/fp16 <-> fp32 conversion: edge cases (NaN, inf, subnormals, ties) and exhaustive round trips.
import { describe, expect, it } from "vitest";
import {
  bf16ToF32,
  bf16ToF32Array,
  f16ToF32,
  f16ToF32Array,
  f32ToBf16,
  f32ToBf16Array,
  f32ToF16,
  f32ToF16Array,
} from "./float16";

const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isNaNBf = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

describe("fp16", () => {
  it("converts ordinary values, signed zeros and the largest finite value", () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(-2)).toBe(0xc000);
    expect(f32ToF16(0.5)).toBe(0x3800);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(0)).toBe(0);
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
  });

  it("maps infinities, overflow and NaN", () => {
    expect(f32ToF16(Infinity)).toBe(0x7c00);
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f32ToF16(65519)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00); // tie between 65504 (odd) and inf (even)
    expect(isNaN16(f32ToF16(NaN))).toBe(true);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(f16ToF32(0x7e00)).toBeNaN();
  });

  it("handles subnormals and underflow with round-to-nearest-even", () => {
    expect(f32ToF16(2 ** -24)).toBe(0x0001);
    expect(f32ToF16(2 ** -25)).toBe(0); // exact tie -> even (0)
    expect(f32ToF16(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 -> 2
    expect(f32ToF16(5 * 2 ** -25)).toBe(0x0002); // tie between 2 and 3 -> 2
    expect(f32ToF16(1023 * 2 ** -24)).toBe(0x03ff);
    expect(f32ToF16(2 ** -14)).toBe(0x0400);
    expect(f32ToF16(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the normal range
    expect(f32ToF16(-(2 ** -30))).toBe(0x8000);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24);
  });

  it("rounds ties to even in the normal range", () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  it("round-trips every non-NaN fp16 bit pattern, and the array versions agree", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = f16ToF32Array(all);
    const back = f32ToF16Array(f);
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const ok = isNaN16(h) ? isNaN16(back[h]) : back[h] === h && f[h] === f16ToF32(h);
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
    expect(Array.from(f32ToF16Array([1, 65520]))).toEqual([0x3c00, 0x7c00]);
  });
});

describe("bf16", () => {
  it("converts ordinary values, infinities and NaN", () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(f32ToBf16(Infinity)).toBe(0x7f80);
    expect(f32ToBf16(-Infinity)).toBe(0xff80);
    expect(isNaNBf(f32ToBf16(NaN))).toBe(true);
    expect(bf16ToF32(0x7fc0)).toBeNaN();
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(f32ToBf16(3.4028234663852886e38)).toBe(0x7f80); // fp32 max rounds up to inf
  });

  it("rounds ties to even and keeps subnormals", () => {
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(f32ToBf16(2 ** -133)).toBe(0x0001); // smallest bf16 subnormal
    expect(f32ToBf16(2 ** -134)).toBe(0); // tie -> even
    expect(bf16ToF32(0x0001)).toBe(2 ** -133);
  });

  it("round-trips every non-NaN bf16 bit pattern, and the array versions agree", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = bf16ToF32Array(all);
    const back = f32ToBf16Array(f);
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const ok = isNaNBf(h) ? isNaNBf(back[h]) : back[h] === h && f32ToBf16(bf16ToF32(h)) === h;
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
  });
});
