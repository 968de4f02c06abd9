// Model registry: lazy loads, shared concurrent loads, LRU unload under a byte budget, the
// keep-one-big-model-resident policy, load errors naming the file, and recovery after a crash.
import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createSessionHost } from "./session-host";
import { createModelRegistry } from "./registry";
import { ModelLoadError } from "./errors";
import { affineModel, paddedModel, writeModels } from "./test-models";

const host = createSessionHost({ threads: 1, testHooks: true, logger: () => {} });
afterAll(async () => {
  await host.close();
  rmSync(files.dir, { recursive: true, force: true });
});

// Three ~40 KB models (10k floats) and one ~400 KB "big" one.
const files = writeModels({
  a: paddedModel(10_000),
  b: paddedModel(10_000),
  c: paddedModel(10_000),
  big: paddedModel(100_000),
  affine: affineModel(),
});
const KB = 1024;
const x = (n: number) => ({ x: { type: "float32" as const, dims: [n], data: new Float32Array(n) } });

describe("model registry", () => {
  it("loads lazily and shares one load between concurrent get() calls", async () => {
    let loads = 0;
    const counting = {
      ...host,
      load: (...args: Parameters<typeof host.load>) => {
        loads++;
        return host.load(...args);
      },
    };
    const reg = createModelRegistry({
      host: counting,
      logger: () => {},
      models: { affine: { path: files.paths.affine } },
    });
    expect(reg.status().loaded).toEqual([]);
    const [m1, m2, m3] = await Promise.all([reg.get("affine"), reg.get("affine"), reg.get("affine")]);
    expect(loads).toBe(1);
    expect(m1).toEqual(m2);
    expect(m3.outputNames).toEqual(["y"]);
    const out = await reg.run("affine", { x: { type: "float32", dims: [1], data: new Float32Array([5]) } });
    expect(Array.from(out.y.data as Float32Array)).toEqual([11]);
    expect(loads).toBe(1);
    await reg.unloadAll();
  });

  it("unloads the least recently used model to stay under the budget", async () => {
    const logs: string[] = [];
    const reg = createModelRegistry({
      host,
      budgetBytes: 100 * KB,
      logger: (m) => logs.push(m),
      models: { a: { path: files.paths.a }, b: { path: files.paths.b }, c: { path: files.paths.c } },
    });
    await reg.get("a");
    await reg.get("b");
    await reg.run("a", x(10_000)); // a is now more recent than b
    await reg.get("c"); // 3 × 40 KB > 100 KB → b goes
    expect(
      reg
        .status()
        .loaded.map((e) => e.id)
        .sort(),
    ).toEqual(["a", "c"]);
    expect(reg.status().usedBytes).toBeLessThanOrEqual(100 * KB);
    expect(host.loadedIds()).not.toContain("b");
    expect(logs.some((l) => l.includes("unloaded 'b'"))).toBe(true);
    const out = await reg.run("b", x(10_000)); // reloads b, evicting a (LRU)
    expect((out.y.data as Float32Array)[0]).toBe(1);
    expect(
      reg
        .status()
        .loaded.map((e) => e.id)
        .sort(),
    ).toEqual(["b", "c"]);
    await reg.unloadAll();
    expect(reg.status().usedBytes).toBe(0);
  });

  it("keeps the most recently used big model resident while small ones cycle", async () => {
    const reg = createModelRegistry({
      host,
      budgetBytes: 500 * KB,
      keepBigResident: { minBytes: 200 * KB },
      logger: () => {},
      models: {
        a: { path: files.paths.a },
        b: { path: files.paths.b },
        c: { path: files.paths.c },
        big: { path: files.paths.big },
      },
    });
    await reg.get("big");
    await reg.get("a");
    await reg.get("b");
    await reg.get("c"); // 390 + 3 × 40 > 500 → big is the LRU but protected; a goes
    const ids = reg
      .status()
      .loaded.map((e) => e.id)
      .sort();
    expect(ids).toEqual(["b", "big", "c"]);
    expect(reg.status().loaded.find((e) => e.id === "big")?.big).toBe(true);
    await reg.unloadAll();
  });

  it("never unloads a pinned model", async () => {
    const reg = createModelRegistry({
      host,
      budgetBytes: 60 * KB,
      logger: () => {},
      models: { a: { path: files.paths.a, pinned: true }, b: { path: files.paths.b } },
    });
    await reg.get("a");
    await reg.get("b"); // over budget, but a is pinned: loads anyway
    expect(
      reg
        .status()
        .loaded.map((e) => e.id)
        .sort(),
    ).toEqual(["a", "b"]);
    await reg.unloadAll();
  });

  it("fails a missing or unknown model with a clear error and can retry", async () => {
    const missing = join(files.dir, "gone.onnx");
    const reg = createModelRegistry({ host, logger: () => {}, models: { gone: { path: missing } } });
    const err = await reg.get("gone").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).file).toBe(missing);
    expect((err as Error).message).toContain(missing);
    expect(reg.status().loaded).toEqual([]);
    await expect(reg.get("nope")).rejects.toThrow(/unknown model 'nope' \(registered: gone\)/);
  });

  it("reloads models after the worker crashed", async () => {
    const reg = createModelRegistry({ host, logger: () => {}, models: { affine: { path: files.paths.affine } } });
    await reg.get("affine");
    await host.testCrash().catch(() => {});
    expect(reg.status().loaded).toEqual([]);
    const out = await reg.run("affine", { x: { type: "float32", dims: [1], data: new Float32Array([1]) } });
    expect(Array.from(out.y.data as Float32Array)).toEqual([3]);
  });
});
