// ORT's optimized-model cache through the real worker (ort-worker.mjs createWithCache): the first session writes
// the optimized graph (with its initializers in an external file), a fresh worker — a second cold process —
// creates its session from it with the same numbers as without the cache; a cache entry that cannot be read is
// rebuilt; the key carries the model's hash, so another model never reuses it. A graph without MatMulNBits keeps
// ORT's pre-packed weights in the cache; one with MatMulNBits does not (with ORT 1.30 two MatMulNBits on distinct
// weights computed zeros from saved pre-packed weights).
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessionHost, type SessionHost } from "./session-host";
import { matmulChainModel, nbitsChainModel, writeModels } from "./test-models";

const files = writeModels({
  chain: matmulChainModel(48, 4),
  other: matmulChainModel(40, 3),
  nbits: nbitsChainModel(256, 3),
  nbits2: nbitsChainModel(128, 2, true),
});
const dir = mkdtempSync(join(tmpdir(), "acestep-ortcache-"));
const hosts: SessionHost[] = [];
afterAll(async () => {
  for (const h of hosts) await h.close();
  rmSync(files.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh worker (what a new process gets), loading `name` through the cache under `key`. */
type Name = "chain" | "other" | "nbits" | "nbits2";
async function loadFresh(name: Name, key: string, cache = true) {
  const host = createSessionHost({ threads: name.startsWith("nbits") ? 2 : 1 });
  hosts.push(host);
  const s = await host.load(name, files.paths[name], cache ? { optimizedCache: { dir, key } } : {});
  const n = { chain: 48, other: 40, nbits: 256, nbits2: 128 }[name];
  const m = name.startsWith("nbits") ? 300 : n;
  const x = new Float32Array(m * n).map((_, i) => Math.sin(i) * 0.1);
  const out = await host.run(name, { x: { type: "float32", dims: [m, n], data: x } });
  await host.close();
  return { s, y: Array.from(Object.values(out)[0].data as Float32Array) };
}

describe("optimized-model cache", () => {
  it("saves the optimized graph once; a fresh worker loads it with the same numbers", async () => {
    const plain = await loadFresh("chain", "k1", false);
    expect(plain.s.optimizedCache).toBe("off");
    const first = await loadFresh("chain", "k1");
    expect(first.s.optimizedCache).toBe("saved");
    const names = readdirSync(dir);
    expect(names.filter((f) => f.endsWith(".onnx"))).toHaveLength(1);
    expect(names.filter((f) => f.endsWith(".data"))).toHaveLength(1);
    expect(names.filter((f) => f.includes(".tmp-"))).toEqual([]);
    const second = await loadFresh("chain", "k1");
    expect(second.s.optimizedCache).toBe("hit");
    expect(second.y).toEqual(plain.y);
    expect(first.y).toEqual(plain.y);
    // the fp32 MatMul weights are kept pre-packed (external data entries "prepacked_N", beside their unpacked copy)
    expect(
      readFileSync(
        join(
          dir,
          names.find((f) => f.endsWith(".onnx"))!,
        ),
      ).includes("prepacked_"),
    ).toBe(true);
  });

  it("an int8 MatMulNBits graph from the cache runs in a fresh worker with the same numbers", async () => {
    // the int8 kernels (accuracy level 4) over 2 threads; the full converted models: test/ort-cache-int8.full.test.ts
    const plain = await loadFresh("nbits", "k3", false);
    expect((await loadFresh("nbits", "k3")).s.optimizedCache).toBe("saved");
    const hit = await loadFresh("nbits", "k3");
    expect(hit.s.optimizedCache).toBe("hit");
    expect(hit.y).toEqual(plain.y);
    expect(plain.y.some((v) => v !== 0)).toBe(true);
  });

  it("keeps no pre-packed MatMulNBits weights: two int8 layers on distinct weights give the same numbers", async () => {
    const plain = await loadFresh("nbits2", "k4", false);
    expect((await loadFresh("nbits2", "k4")).s.optimizedCache).toBe("saved");
    const hit = await loadFresh("nbits2", "k4");
    expect(hit.s.optimizedCache).toBe("hit");
    expect(hit.y).toEqual(plain.y);
    expect(plain.y.some((v) => v !== 0)).toBe(true);
    for (const f of readdirSync(dir).filter((f) => f.startsWith("k4") && f.endsWith(".onnx")))
      expect(readFileSync(join(dir, f)).includes("prepacked_")).toBe(false);
  });

  it("rebuilds an entry whose data file went away, and keys entries by the caller's key", async () => {
    for (const f of readdirSync(dir)) if (f.endsWith(".data")) rmSync(join(dir, f));
    const rebuilt = await loadFresh("chain", "k1");
    expect(rebuilt.s.optimizedCache).toBe("saved");
    expect((await loadFresh("chain", "k1")).s.optimizedCache).toBe("hit");
    const other = await loadFresh("other", "k2");
    expect(other.s.optimizedCache).toBe("saved");
    expect(other.y).toEqual((await loadFresh("other", "k2", false)).y);
  });
});
