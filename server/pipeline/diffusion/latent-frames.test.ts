import { describe, expect, it } from "vitest";
import { MAX_BATCH, assertBatchSize, itemView } from "./latent-frames";

describe("latent batch helpers", () => {
  it("limits the batch to 1–8, naming the field", () => {
    expect(() => assertBatchSize(0)).toThrow(/1\.\.8/);
    expect(() => assertBatchSize(MAX_BATCH + 1, "batch_size")).toThrow(/batch_size 9/);
    expect(() => assertBatchSize(2.5)).toThrow(RangeError);
    expect(() => assertBatchSize(8)).not.toThrow();
  });

  it("views item b of a [B, T, C] tensor without copying", () => {
    const x = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i);
    const v = itemView(x, 1, 3, 2);
    expect(Array.from(v)).toEqual([6, 7, 8, 9, 10, 11]);
    v[0] = -1;
    expect(x[6]).toBe(-1);
  });
});
