import { describe, expect, it } from "vitest";
import { coverSteps } from "./cover-strength";

describe("audio_cover_strength", () => {
  it("switches after int(N·strength) steps", () => {
    expect(coverSteps(8, 1)).toBe(8);
    expect(coverSteps(8, 0)).toBe(0);
    expect(coverSteps(8, 0.5)).toBe(4);
    expect(coverSteps(8, 0.2)).toBe(1);
    expect(coverSteps(8, 0.7)).toBe(5); // 5.6 truncated
    expect(coverSteps(30, 0.1)).toBe(3); // 3.0000000000000004
    expect(coverSteps(10, 0.29)).toBe(2); // 2.9 truncated
  });
});
