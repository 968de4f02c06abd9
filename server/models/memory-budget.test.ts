// The session memory budget: parsing ACESTEP_MEMORY_BUDGET, the default share of the machine's memory, and the
// manager under a fake budget unloading the least recently used session and reloading it on demand.
import { afterAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config";
import { ModelManager } from "./manager";
import { DEFAULT_BUDGET_FRACTION, memoryBudgetBytes, parseByteSize } from "./memory-budget";

describe("ACESTEP_MEMORY_BUDGET", () => {
  it("reads sizes with decimal and binary units", () => {
    expect(parseByteSize("8G", "x")).toBe(8e9);
    expect(parseByteSize("6.5GiB", "x")).toBe(6.5 * 2 ** 30);
    expect(parseByteSize(" 800 MB ", "x")).toBe(800e6);
    expect(parseByteSize("123456", "x")).toBe(123456);
  });

  it("names the setting and the bad value", () => {
    for (const bad of ["8 bananas", "-1G", "0", "G", ""])
      expect(() => parseByteSize(bad, "environment variable ACESTEP_MEMORY_BUDGET")).toThrow(
        /ACESTEP_MEMORY_BUDGET must be a positive size .* got "/,
      );
    expect(() => loadConfig({ ACESTEP_MEMORY_BUDGET: "lots" } as unknown as NodeJS.ProcessEnv)).toThrow(
      /ACESTEP_MEMORY_BUDGET .* got "lots"/,
    );
  });

  it("defaults to a share of the machine's memory; the variable overrides it", () => {
    expect(memoryBudgetBytes({}, 16 * 2 ** 30)).toBe(Math.floor(16 * 2 ** 30 * DEFAULT_BUDGET_FRACTION));
    expect(memoryBudgetBytes({ ACESTEP_MEMORY_BUDGET: "6G" }, 16 * 2 ** 30)).toBe(6e9);
    expect(loadConfig({ ACESTEP_MEMORY_BUDGET: "7G" } as unknown as NodeJS.ProcessEnv).memoryBudgetBytes).toBe(7e9);
  });
});

describe("model manager under a fake budget", () => {
  const dir = mkdtempSync(join(tmpdir(), "acestep-budget-"));
  const managers: ModelManager[] = [];
  afterAll(async () => {
    for (const m of managers) await m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("unloads the least recently used session to fit the next one and reloads it when needed again", async () => {
    const probe = new ModelManager({ modelsDir: null, dataDir: dir, demoModelsDir: loadConfig().demoModelsDir });
    managers.push(probe);
    const te = await probe.find("text-encoder");
    const dit = await probe.find("dit", "acestep-v15-turbo");
    const teBytes = probe.file(te, "text_encoder").bytes;
    const tpBytes = probe.file(dit, "text_projector").bytes;
    // room for either session, not both
    const mm = new ModelManager({
      modelsDir: null,
      dataDir: dir,
      threads: 1,
      demoModelsDir: loadConfig().demoModelsDir,
      budgetBytes: Math.max(teBytes, tpBytes) + 1,
      logger: () => {},
    });
    managers.push(mm);
    const load = vi.spyOn(mm.host(), "load");
    const unload = vi.spyOn(mm.host(), "unload");
    const ids = BigInt64Array.from([1n, 2n, 3n]);
    const encode = () =>
      mm.run(te, "text_encoder", {
        input_ids: { type: "int64", dims: [1, 3], data: ids },
        attention_mask: { type: "int64", dims: [1, 3], data: BigInt64Array.from([1n, 1n, 1n]) },
      });
    const D = (dit.config as { text_hidden_dim: number }).text_hidden_dim;
    const project = () =>
      mm.run(dit, "text_projector", {
        text_hidden_states: { type: "float32", dims: [1, 2, D], data: new Float32Array(2 * D).fill(0.5) },
      });

    const first = await encode();
    await project();
    expect(unload.mock.calls.map((c) => c[0])).toEqual(["Qwen3-Embedding-0.6B/text_encoder"]);
    expect(mm.registry().status().usedBytes).toBeLessThanOrEqual(Math.max(teBytes, tpBytes) + 1);
    const again = await encode();
    expect(load.mock.calls.map((c) => c[0])).toEqual([
      "Qwen3-Embedding-0.6B/text_encoder",
      "acestep-v15-turbo/text_projector",
      "Qwen3-Embedding-0.6B/text_encoder",
    ]);
    expect(Array.from(again.last_hidden_state.data as Float32Array)).toEqual(
      Array.from(first.last_hidden_state.data as Float32Array),
    );
  });
});
