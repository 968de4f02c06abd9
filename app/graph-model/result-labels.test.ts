import { describe, expect, it } from "vitest";
import { fieldLabel, fieldText } from "./result-labels";

describe("result labels", () => {
  it("names LM metadata for people", () => {
    expect(fieldLabel("cot_bpm")).toBe("BPM (LM thought)");
    expect(fieldLabel("cot_vocal_language")).toBe("Vocal language (LM thought)");
    expect(fieldLabel("cotMs")).toBe("Thinking time");
    expect(fieldLabel("phase1")).toBe("Thinking pass");
    expect(fieldLabel("someNewKey")).toBe("Some new key");
  });
  it("writes values readably", () => {
    expect(fieldText("cotMs", 1234)).toBe("1.2 s");
    expect(fieldText("phase1", true)).toBe("yes");
    expect(fieldText("cot_duration", 61)).toBe("61 s");
    expect(fieldText("codes", [150, 150])).toBe("150 + 150 (2 items)");
    expect(fieldText("cot_keyscale", "")).toBe("—");
    expect(fieldText("genres", ["lo-fi", "jazz"])).toBe("lo-fi, jazz");
  });
});
