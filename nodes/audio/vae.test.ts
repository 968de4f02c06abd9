// VAE Encode / Decode refuse a tile that is not longer than its two overlaps, naming the overlap field.
import { describe, expect, it } from "vitest";
import { VaeDecodeNode, VaeEncodeNode } from "./vae";

describe("VAE tile params", () => {
  it("needs chunkFrames > 2 · overlapFrames on both nodes", () => {
    for (const n of [VaeEncodeNode, VaeDecodeNode]) {
      const issues = (chunkFrames: number, overlapFrames: number) =>
        n.validate!({ chunkFrames, overlapFrames } as never, {});
      expect(issues(100, 50).map((i) => i.field)).toEqual(["overlapFrames"]);
      expect(issues(100, 50)[0].message).toMatch(/overlap \(50\) must be less than half the tile \(100\)/);
      expect(issues(101, 50)).toEqual([]);
    }
  });
});
