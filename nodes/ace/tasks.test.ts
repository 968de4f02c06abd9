// Task nodes refuse a DiT variant that cannot run their task at validation time (TASKS_BY_VARIANT), from the
// Load DiT node's folder name.
import { describe, expect, it } from "vitest";
import { CompleteNode, ExtractNode, LegoNode, RepaintNode } from "./tasks";

const dit = (name: string) => ({ dit: { nodeId: "d", type: "models.dit", output: "dit", params: { name } } });

describe("task nodes and DiT variants", () => {
  it("lego, extract and complete need base: turbo, sft and the default are refused on the dit field", () => {
    for (const name of ["", "acestep-v15-turbo", "acestep-v15-sft"]) {
      expect(LegoNode.validate!({ track: "guitar", start: 0, end: -1 }, dit(name)).map((i) => i.field)).toEqual([
        "dit",
      ]);
      expect(ExtractNode.validate!({ track: "vocals" }, dit(name)).map((i) => i.field)).toEqual(["dit"]);
    }
    expect(LegoNode.validate!({ track: "guitar", start: 0, end: -1 }, dit("acestep-v15-base"))).toEqual([]);
    expect(ExtractNode.validate!({ track: "vocals" }, dit("acestep-v15-base"))).toEqual([]);
  });

  it("repaint runs on every variant; complete is refused on sft", () => {
    expect(RepaintNode.validate?.({ start: 0, end: -1 }, dit("acestep-v15-sft")) ?? []).toEqual([]);
    const issues = CompleteNode.validate!({ tracks: "drums" } as never, dit("acestep-v15-sft"));
    expect(issues.some((i) => i.field === "dit" && /complete needs a base DiT/.test(i.message))).toBe(true);
  });
});
