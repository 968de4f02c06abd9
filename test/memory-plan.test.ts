// The memory budget follows the graph (server/models/memory-plan.ts): the release decisions on their own, then
// text2music on the demo models under a fake budget — on an offload tier only the sessions of the node that just
// ran stay resident (the text encoder after conditioning, the DiT's encoders once the conditions are packed), and
// a stage that cannot fit is refused before any session loads. With the LM, warm runs and the KV cache:
// memory-plan.full.test.ts.
import { afterAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelManager } from "../server/models/manager";
import { cachedFilesOf, prefetchFiles } from "../server/runtime/ort-cache.mjs";
import { fitBatch, peakBytes, planRelease, stageRefusal, type LoadedSessionInfo } from "../server/models/memory-plan";
import type { NodeStage } from "../server/engine/stages";
import { budgetApps } from "./helpers/budget-runs";
import { kvCacheBytes, passCapacity } from "../server/runtime/lm/lm-worker-protocol";

const s = (id: string, sizeBytes: number, lastUsed: number, busy = 0): LoadedSessionInfo => ({
  id,
  sizeBytes,
  lastUsed,
  busy,
});

describe("release decisions", () => {
  const loaded = [
    s("lm/lm", 300, 1),
    s("te/text_encoder", 100, 2),
    s("dit/dit_step", 500, 3),
    s("vae/vae_decoder", 50, 4),
  ];
  const used = 950;

  it("offload: everything the rest of the run does not need goes, what it needs later stays", () => {
    const d = planRelease({
      budgetBytes: 10_000,
      usedBytes: used,
      loaded,
      now: [{ model: "dit", role: "dit_step", bytes: 500 }],
      later: [[{ model: "vae", role: "vae_decoder" }]],
      offload: true,
    });
    expect(d.release.map((r) => r.id)).toEqual(["lm/lm", "te/text_encoder"]);
    expect(d.projectedBytes).toBe(550);
  });

  it("no offload: nothing goes while the stage fits; when short, unneeded ones first (oldest first), then the one needed last", () => {
    const base = {
      usedBytes: used,
      loaded,
      now: [{ model: "x", role: "big", bytes: 400 }],
      later: [[{ model: "vae", role: "vae_decoder" }], [{ model: "te", role: "text_encoder" }]],
      offload: false,
    };
    expect(planRelease({ ...base, budgetBytes: 1350 }).release).toEqual([]);
    // 1350 needed, budget 1000: the LM (unneeded, oldest) then the DiT (unneeded) — 350 would do, but order is by preference
    expect(planRelease({ ...base, budgetBytes: 1000 }).release.map((r) => r.id)).toEqual(["lm/lm", "dit/dit_step"]);
    // budget 500: all unneeded gone (550 left + 400) still short → the text encoder (needed last) before the VAE
    expect(planRelease({ ...base, budgetBytes: 500 }).release.map((r) => r.id)).toEqual([
      "lm/lm",
      "dit/dit_step",
      "te/text_encoder",
    ]);
  });

  it("never releases a busy session or one the stage itself runs (LoRA variants count as their role)", () => {
    const d = planRelease({
      budgetBytes: 1,
      usedBytes: 900,
      loaded: [s("lm/lm", 300, 1, 1), s("dit/dit_step#lora-ab", 500, 2), s("te/text_encoder", 100, 3)],
      now: [{ model: "dit", role: "dit_step", bytes: 500 }],
      later: [],
      offload: true,
    });
    expect(d.release.map((r) => r.id)).toEqual(["te/text_encoder"]);
  });

  it("names the node, its sessions and the budget when a stage cannot fit", () => {
    const msg = stageRefusal(
      {
        nodeId: "sampler",
        nodeType: "ace.ditSampler",
        sessions: [
          { model: "acestep-v15-turbo", role: "dit_step", bytes: 9.1e9 },
          { model: "acestep-v15-turbo", role: "lyric_encoder", bytes: 0.9e9 },
        ],
      },
      8e9,
    );
    expect(msg).toBe(
      'node "sampler" (ace.ditSampler) needs 10.00 GB of model sessions (acestep-v15-turbo/dit_step 9.10 GB, ' +
        "acestep-v15-turbo/lyric_encoder 0.90 GB) but the memory budget is 8.00 GB: raise ACESTEP_MEMORY_BUDGET or use " +
        "smaller (lower-precision) models; refused before loading it",
    );
    expect(stageRefusal({ nodeId: "a", nodeType: "t", sessions: [{ model: "m", role: "r", bytes: 8e9 }] }, 8e9)).toBe(
      null,
    );
  });
});

describe("phased stages", () => {
  // the full-size fp32 DiT's sampler sessions (bench:session-create): encoders + K/V graph, then the step graph
  const dit = [
    { model: "dit", role: "lyric_encoder", bytes: 1.62e9 },
    { model: "dit", role: "timbre_encoder", bytes: 0.81e9 },
    { model: "dit", role: "dit_cross_kv", bytes: 0.42e9 },
    { model: "dit", role: "dit_step", bytes: 5.88e9 },
  ];
  const phases = [["lyric_encoder", "timbre_encoder", "dit_cross_kv"], ["dit_step"]];

  it("needs the largest phase on offload tiers, the sum otherwise", () => {
    expect(peakBytes(dit, phases, true)).toBeCloseTo(5.88e9);
    expect(peakBytes(dit, phases, false)).toBeCloseTo(8.73e9);
    expect(peakBytes(dit, undefined, true)).toBeCloseTo(8.73e9);
    // a role outside every phase stays for the whole node
    expect(peakBytes([...dit, { model: "x", role: "other", bytes: 1e9 }], phases, true)).toBeCloseTo(6.88e9);
  });

  it("an 8 GB budget runs the full-size sampler when offloading, and would refuse it all at once", () => {
    const stage = { nodeId: "sampler", nodeType: "ace.ditSampler", sessions: dit, phases };
    expect(stageRefusal(stage, 8e9, true)).toBe(null);
    expect(stageRefusal(stage, 8e9, false)).toMatch(/^node "sampler" \(ace\.ditSampler\) needs 8\.73 GB/);
  });
});

describe("LM KV cache bytes", () => {
  it("counts K and V of every layer and lane in float32 (Qwen3-0.6B shape: 28 layers, 8 KV heads of 128)", () => {
    const c = { num_hidden_layers: 28, num_key_value_heads: 8, head_dim: 128 };
    expect(kvCacheBytes(c, 2, 1000)).toBe(458_752_000); // 2 · 28 · 1000 slots · 2 lanes · 1024 · 4 B
    expect(
      kvCacheBytes(
        { num_hidden_layers: 28, num_key_value_heads: 8, hidden_size: 1024, num_attention_heads: 16 },
        1,
        10,
      ),
    ).toBe(2 * 28 * 10 * 8 * 64 * 4);
    expect(kvCacheBytes({}, 2, 1000)).toBe(0);
    expect(passCapacity(300, 150)).toBe(458);
    expect(passCapacity(300, 10_000)).toBe(300 + 4096 + 8);
  });
});

describe("batch fit", () => {
  const base = {
    nodeId: "sampler",
    nodeType: "ace.ditSampler",
    tierMax: 8,
    tierName: "unlimited",
    withLm: false,
    budgetBytes: 10e9,
    sessionBytes: 6e9,
  };

  it("keeps a batch that fits", () => {
    expect(fitBatch({ ...base, batch: 4, itemBytes: 1e9 })).toEqual({ batch: 4 });
  });

  it("reduces the batch to what fits next to the sessions, saying so", () => {
    expect(fitBatch({ ...base, batch: 6, itemBytes: 1.5e9 })).toEqual({
      batch: 2,
      message:
        "batch size 6 does not fit the memory budget of 10.00 GB (6.00 GB of model sessions + 1.50 GB per item): at most 2; reduced to 2",
    });
  });

  it("clamps to the tier's limit first, as upstream's generate_music", () => {
    expect(fitBatch({ ...base, batch: 4, tierMax: 2, tierName: "tier4 (10 GiB)", withLm: true, itemBytes: 1 })).toEqual(
      {
        batch: 2,
        message: "batch size 4 exceeds the limit of memory tier4 (10 GiB): at most 2 with the LM; reduced to 2",
      },
    );
  });

  it("refuses when not even one item fits", () => {
    expect(() => fitBatch({ ...base, batch: 1, itemBytes: 4.5e9 })).toThrow(
      'node "sampler" (ace.ditSampler) needs 6.00 GB of model sessions and 4.50 GB per batch item, more than the memory budget of 10.00 GB even for one item: raise ACESTEP_MEMORY_BUDGET, shorten the song or use smaller (lower-precision) models',
    );
  });
});

const graph = (file: string, seed: number) => {
  const g = JSON.parse(readFileSync(join(__dirname, "../graphs", file), "utf8"));
  g.nodes.sampler.params.seed = seed;
  g.nodes.sampler.params.steps = 2;
  return g;
};

describe("a run under a fake budget", () => {
  const { open, run, closeAll } = budgetApps();
  afterAll(closeAll);

  it("offload tier: after each node only its own sessions are resident (text2music, no LM)", async () => {
    const app = open(2 ** 30); // 1 GiB: tier1, offload
    expect(app.models.tier()).toMatchObject({ tier: "tier1", offload: true });
    const { run: r, seen } = await run(app, graph("text2music.json", 7));
    expect(r.status).toBe("finished");
    const after = Object.fromEntries(seen.map((x, i) => [seen[i - 1]?.before ?? "-", x.resident]));
    expect(after.text).toEqual(["Qwen3-Embedding-0.6B/text_encoder"]);
    expect(after.lyrics).toEqual([]); // lyrics read token embeddings from a file: the text encoder went before it
    expect(after.sampler).toEqual(["acestep-v15-turbo/dit_step"]); // the encoders and K/V graph went after packing
    expect(after.decode).toEqual(["vae/vae_decoder"]);
  }, 120_000);

  it("the tier's batch limit reduces the sampler's batch with a message (1 GiB: tier1, one item)", async () => {
    const app = open(2 ** 30);
    const g = graph("text2music.json", 11);
    g.nodes.sampler.params.batchSize = 3;
    const { run: r, outcome, outputs } = await run(app, g);
    expect(r.status).toBe("finished");
    expect(outputs).toHaveLength(1);
    expect(outcome?.results.sampler).toContainEqual({
      kind: "text",
      label: "memory",
      value: "batch size 3 exceeds the limit of memory tier1 (1 GiB): at most 1 without the LM; reduced to 1",
    });
  }, 120_000);

  it("offload never releases what another run in flight still needs", async () => {
    const app = open(2 ** 30);
    const mm = app.models;
    const te = await mm.find("text-encoder");
    await mm.run(te, "text_encoder", {
      input_ids: { type: "int64", dims: [1, 2], data: BigInt64Array.from([1n, 2n]) },
      attention_mask: { type: "int64", dims: [1, 2], data: BigInt64Array.from([1n, 1n]) },
    });
    const handle = { kind: "TEXT_ENCODER", id: te.name };
    const teUse = {
      nodeId: "text",
      nodeType: "ace.textConditioning",
      uses: [{ nodeId: "text", port: "textEncoder", model: handle, roles: ["text_encoder"] }],
    };
    const idle = (runId: string, nodeId: string, later: (typeof teUse)[]): NodeStage => ({
      runId,
      nodeId,
      nodeType: "x",
      uses: [],
      later,
    });
    const loaded = () =>
      mm
        .registry()
        .status()
        .loaded.map((l) => l.id);
    await mm.prepareStage(idle("B", "first", [teUse])); // run B will encode text later
    await mm.prepareStage(idle("A", "other", [])); // run A needs nothing more: offload, but B's session stays
    expect(loaded()).toEqual(["Qwen3-Embedding-0.6B/text_encoder"]);
    await mm.prepareStage(idle("B", "last", [])); // B is past it
    await mm.prepareStage(idle("A", "other", []));
    expect(loaded()).toEqual([]);
  });

  it("a stage that cannot fit is refused before any session loads, naming the node and the budget", async () => {
    const app = open(5e6); // the demo text encoder's file alone is ~20 MB
    const load = vi.spyOn(app.models.host(), "load");
    const { run: r } = await run(app, graph("text2music.json", 7));
    expect(r.status).toBe("failed");
    expect(r.error?.message).toMatch(
      /^node "text" \(ace\.textConditioning\) needs 0\.0\d GB of model sessions \(Qwen3-Embedding-0\.6B\/text_encoder 0\.0\d GB\) but the memory budget is 0\.01 GB: raise ACESTEP_MEMORY_BUDGET/,
    );
    expect(load).not.toHaveBeenCalled();
    expect(app.models.registry().status().loaded).toEqual([]);
  }, 120_000);
});

describe("prefetching the files of later stages", () => {
  const dirs: string[] = [];
  const managers: ModelManager[] = [];
  afterAll(async () => {
    for (const m of managers) await m.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const manager = (dataDir: string, prefetch: (paths: string[]) => unknown) => {
    const m = new ModelManager({
      modelsDir: null,
      dataDir,
      demoModelsDir: process.env.ACESTEP_DEMO_MODELS ?? null,
      threads: 1,
      prefetch,
      prefetchMinBytes: 0,
    });
    managers.push(m);
    return m;
  };
  const stage = (runId: string, nodeId: string, later: NodeStage["later"]): NodeStage => ({
    runId,
    nodeId,
    nodeType: "x",
    uses: [],
    later,
  });

  it("a run's first stage hands over the model files of the sessions it creates later, then their ORT cache entries", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "acestep-prefetch-"));
    dirs.push(dataDir);
    const calls: string[][] = [];
    const mm = manager(dataDir, (p) => calls.push(p));
    const te = await mm.find("text-encoder");
    const teUse = {
      nodeId: "text",
      nodeType: "ace.textConditioning",
      uses: [
        { nodeId: "text", port: "textEncoder", model: { kind: "TEXT_ENCODER", id: te.name }, roles: ["text_encoder"] },
      ],
    };
    await mm.prepareStage(stage("A", "lm", [teUse]));
    await mm.prepareStage(stage("A", "cover", [teUse])); // once per run
    const modelFile = mm.file(te, "text_encoder").abs;
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toBe(modelFile);

    // the session is created (and its optimized graph cached); loaded sessions are not prefetched
    await mm.run(te, "text_encoder", {
      input_ids: { type: "int64", dims: [1, 2], data: BigInt64Array.from([1n, 2n]) },
      attention_mask: { type: "int64", dims: [1, 2], data: BigInt64Array.from([1n, 1n]) },
    });
    await mm.prepareStage(stage("B", "lm", [teUse]));
    expect(calls).toHaveLength(1);

    // a new process on the same data folder: the cached graph and its data file, not the model file
    const fresh: string[][] = [];
    const mm2 = manager(dataDir, (p) => fresh.push(p));
    await mm2.find("text-encoder");
    await mm2.prepareStage(stage("C", "lm", [teUse]));
    expect(fresh).toHaveLength(1);
    const cacheDir = join(dataDir, "ort-cache");
    expect(fresh[0].length).toBeGreaterThanOrEqual(1);
    for (const p of fresh[0]) {
      expect(p.startsWith(cacheDir)).toBe(true);
      expect(p).toContain(mm2.optimizedCache(te, "text_encoder")!.key);
    }
  });

  it("the reader process reads every file it is given and skips a missing one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "acestep-prefetch-"));
    dirs.push(dir);
    const a = join(dir, "a.bin");
    writeFileSync(a, new Uint8Array(3 << 20));
    const child = prefetchFiles([a, join(dir, "missing.bin"), a]);
    expect(child).not.toBeNull();
    const code = await new Promise<number | null>((res) => child!.on("exit", res));
    expect(code).toBe(0);
    expect(cachedFilesOf({ dir, key: "a.bin" })).toEqual([]);
    writeFileSync(join(dir, "m.x.k-cpu-all-1.onnx"), "g");
    writeFileSync(join(dir, "m.x.k-cpu-all-1.onnx.tmp-1-2"), "partial");
    expect(cachedFilesOf({ dir, key: "m.x.k" })).toEqual([join(dir, "m.x.k-cpu-all-1.onnx")]);
  });
});
