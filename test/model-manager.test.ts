import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelManager } from "../server/models/manager";
import { createCaller } from "../server/trpc/app-router";
import type { AppContext } from "../server/app-context";

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
    await expect(mm.find("text-encoder", "nope")).rejects.toThrow(
      /no text-encoder model named "nope".*Qwen3-Embedding-0\.6B/,
    );
  });

  it("explains how to convert when a configured models folder is empty", async () => {
    const empty = new ModelManager({ modelsDir: mkdtempSync(join(tmpdir(), "acestep-none-")), dataDir: dir });
    await expect(empty.ready()).rejects.toThrow(/acestep models convert/);
  });
});

describe("demo model variants", () => {
  it("lists sft, LM 1.7B and 4B as installed demo models before their first use", async () => {
    const caller = createCaller({ app: { models: mm } as unknown as AppContext });
    const list = await caller.models.list();
    const byName = new Map(list.installed.map((m) => [m.name, m]));
    expect(byName.get("acestep-v15-sft")).toMatchObject({ component: "dit", variant: "sft", demo: true });
    expect(byName.get("acestep-5Hz-lm-4B")).toMatchObject({ component: "lm", variant: "4B", demo: true });
    expect(byName.get("Qwen3-Embedding-0.6B")).toMatchObject({ component: "textEncoder", demo: true });
    expect(list.missing.map((m) => m.name)).toContain("acestep-v15-turbo-shift3");
    // converted on first use (test/model-variants.full.test.ts runs each)
    expect((await mm.entries("lm")).map((e) => e.name)).toEqual(["acestep-5Hz-lm-0.6B"]);
  });
});
