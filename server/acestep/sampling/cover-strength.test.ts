import { describe, expect, it } from "vitest";
import { NON_COVER_CONDITION, conditionForStep, coverSteps, needsNonCoverCondition } from "./cover-strength";

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

  it("uses cover for steps before the switch and non-cover from it on", () => {
    expect(conditionForStep(3, 4)).toBe("cover");
    expect(conditionForStep(4, 4)).toBe("nonCover");
    expect(conditionForStep(0, 0)).toBe("nonCover");
  });

  it("prepares the second condition only below 1.0", () => {
    expect(needsNonCoverCondition(1)).toBe(false);
    expect(needsNonCoverCondition(0.99)).toBe(true);
    expect(NON_COVER_CONDITION.instruction).toBe("Fill the audio semantic mask based on the given conditions:");
  });
});
