import { describe, expect, it } from "vitest";
import { parseNumberInput, rangeText } from "./number-input";

describe("number input", () => {
  const dur = { integer: false, min: 10, max: 600 };
  it("accepts plain numbers in range", () => {
    expect(parseNumberInput("30", dur)).toEqual({ ok: true, value: 30 });
    expect(parseNumberInput(" 12.5 ", dur)).toEqual({ ok: true, value: 12.5 });
    expect(parseNumberInput("1e2", dur)).toEqual({ ok: true, value: 100 });
  });
  it("refuses empty text, words and out-of-range values with the range", () => {
    expect(parseNumberInput("", dur)).toEqual({ ok: false, problem: "enter a number" });
    expect(parseNumberInput("abc", dur)).toEqual({ ok: false, problem: '"abc" is not a number' });
    expect(parseNumberInput("0x10", dur)).toMatchObject({ ok: false });
    expect(parseNumberInput("5", dur)).toEqual({ ok: false, problem: "5 is outside 10 … 600" });
    expect(parseNumberInput("601", dur)).toEqual({ ok: false, problem: "601 is outside 10 … 600" });
  });
  it("refuses fractions for integers and honours exclusive bounds", () => {
    expect(parseNumberInput("2.5", { integer: true })).toEqual({ ok: false, problem: "whole numbers only" });
    expect(parseNumberInput("0", { integer: false, min: 0, exclusiveMin: true })).toEqual({
      ok: false,
      problem: "0 is outside > 0",
    });
    expect(rangeText({ integer: true, min: 0 })).toBe("≥ 0");
    expect(rangeText({ integer: true })).toBe("");
  });
});
