import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelManager } from "../server/models/manager";

const dir = mkdtempSync(join(tmpdir(), "acestep-mm-"));
const mm = new ModelManager({ modelsDir: null, dataDir: dir, threads: 1 });
afterAll(async () => {
  await mm.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("model manager", () => {
  it("fabricates and converts demo models on first use, once", async () => {
    expect(mm.demo).toBe(true);
    const [a, b] = await Promise.all([mm.ready(), mm.ready()]);
    expect(a).toBe(b);
    expect(a.demo).toBe(true);
    expect((await mm.entries("text-encoder")).map((e) => e.name)).toEqual(["Qwen3-Embedding-0.6B"]);
  });

  it("runs a model file through the worker-thread runtime", async () => {
    const te = await mm.find("text-encoder");
    const out = await mm.run(te, "text_encoder", {
      input_ids: { type: "int64", dims: [1, 3], data: BigInt64Array.from([1n, 2n, 3n]) },
      attention_mask: { type: "int64", dims: [1, 3], data: BigInt64Array.from([1n, 1n, 1n]) },
    });
    expect(out.last_hidden_state.dims).toEqual([1, 3, (te.config as { hidden_size: number }).hidden_size]);
    expect((await mm.info())!.provider).toBe("cpu");
  });

  it("names the missing model and what exists", async () => {
    await expect(mm.find("text-encoder", "nope")).rejects.toThrow(/no text-encoder model named "nope".*Qwen3-Embedding-0\.6B/);
  });

  it("explains how to convert when a configured models folder is empty", async () => {
    const empty = new ModelManager({ modelsDir: mkdtempSync(join(tmpdir(), "acestep-none-")), dataDir: dir });
    await expect(empty.ready()).rejects.toThrow(/acestep models convert/);
  });
});
