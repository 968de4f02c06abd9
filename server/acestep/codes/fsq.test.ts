import { describe, expect, it } from "vitest";
import {
  COMFY_PAD_CODE,
  FSQ_BASIS,
  digitToValue,
  digitsToIndex,
  indexToDigits,
  indexToValues,
  indicesToValues,
  quantizeProjected,
  softClamp,
  valuesToIndex,
} from "./fsq";

describe("FSQ levels [8,8,8,5,5,5]", () => {
  it("uses basis [1, 8, 64, 512, 2560, 12800]", () => {
    expect(FSQ_BASIS).toEqual([1, 8, 64, 512, 2560, 12800]);
  });

  it("decodes digits with dimension 0 fastest", () => {
    expect(indexToDigits(0)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(indexToDigits(63999)).toEqual([7, 7, 7, 4, 4, 4]);
    expect(indexToDigits(COMFY_PAD_CODE)).toEqual([7, 0, 0, 0, 4, 2]);
    expect(indexToDigits(9)).toEqual([1, 1, 0, 0, 0, 0]);
    expect(() => indexToDigits(64000)).toThrow(RangeError);
  });

  it("maps digits to the symmetric values 2k/(L−1) − 1", () => {
    const level8 = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => digitToValue(k, 0));
    const expected8 = [-1, -5 / 7, -3 / 7, -1 / 7, 1 / 7, 3 / 7, 5 / 7, 1];
    level8.forEach((v, i) => expect(v).toBeCloseTo(expected8[i], 6));
    expect([0, 1, 2, 3, 4].map((k) => digitToValue(k, 5))).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(Array.from(indexToValues(0))).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(Array.from(indexToValues(63999))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("round-trips all 64000 indices through digits and values", () => {
    for (let i = 0; i < 64000; i++) {
      const digits = indexToDigits(i);
      if (digitsToIndex(digits) !== i) throw new Error(`digits round trip failed at ${i}`);
      if (valuesToIndex(indexToValues(i)) !== i) throw new Error(`values round trip failed at ${i}`);
    }
    const all = indicesToValues([0, 63999]);
    expect(all.length).toBe(12);
  });

  it("rounds arbitrary values to the nearest level and hard-clamps", () => {
    expect(valuesToIndex([0.1, -0.2, 5, -5, 0.24, 0.26])).toBe(digitsToIndex([4, 3, 7, 0, 2, 3]));
    // exact midpoint 0 between −1/7 and 1/7 on a level-8 dim → floor(3.5 + 0.5) = 4
    expect(valuesToIndex([0, 0, 0, 0, 0, 0])).toBe(digitsToIndex([4, 4, 4, 2, 2, 2]));
  });

  it("soft-clamps the projected input before quantising", () => {
    const c8 = 1 + 1 / 7;
    const c5 = 1.25;
    const z = [100, -100, 0, 100, -100, 0];
    const s = softClamp(z);
    expect(s[0]).toBeCloseTo(c8, 5);
    expect(s[3]).toBeCloseTo(c5, 5);
    expect(quantizeProjected(z).index).toBe(digitsToIndex([7, 0, 4, 4, 0, 2]));
    // tanh shrinks 1.0 on a level-8 dim to ≈0.804 → level 6, not 7
    expect(indexToDigits(quantizeProjected([1, 0, 0, 0, 0, 0]).index)[0]).toBe(6);
  });
});
