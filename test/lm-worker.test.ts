// The LM decode loop runs in the LM worker (server/runtime/lm/lm-worker.ts), not on the main event loop:
// during a decode on the demo weights the main loop is mostly idle (event-loop utilisation; the same
// decode on this thread keeps it ~fully busy) and never stalls long (generous bounds: the shared test
// machine deschedules threads; behaviour checks, not speed tests); neither does the LM's first use (worker start,
// the real-size 217k-token tokenizer's ~1 s load, session creation, the FSM's tables: all in the worker, the
// prompts encoded and the tokens decoded there too); the LM's bytes show in the model
// registry's budget; an abort stops the worker's pass by message; opened without `threads` the session takes
// ACESTEP_THREADS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { watchLoopGaps } from "./helpers/loop-gaps";
import { createAppContext, type AppContext } from "../server/app-context";
import { LmService, releaseLmModels } from "../server/pipeline/lm";
import type { ManifestEntry } from "../server/models/convert/manifest";

let app: AppContext;
let dir: string;
let entry: ManifestEntry;
let lm: LmService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-lm-worker-"));
  app = createAppContext({ dataDir: dir, threads: 1 });
  entry = await app.models.find("lm");
}, 120_000);
afterAll(async () => {
  await app.close();
  await releaseLmModels();
  rmSync(dir, { recursive: true, force: true });
});

const input = {
  caption: "calm piano",
  lyrics: "",
  metadata: { bpm: 90, duration: 4, keyscale: "C major", timesignature: "4" },
};

describe("LM worker", () => {
  it("keeps the main event loop free during the LM's first use (open, first constrained pass)", async () => {
    const gaps = watchLoopGaps();
    lm = await LmService.open(app.models, entry, { threads: 1 });
    const r = await lm.generateCot({ caption: "calm piano", lyrics: "" }, { seed: 1, captionMaxTokens: 4 });
    const { maxMs, ticks } = gaps.stop();
    expect(r.text).toMatch(/^<think>\n/); // the FSM forced the CoT's first line; the worker decoded the text
    expect(ticks).toBeGreaterThan(5);
    // a tokenizer load on this thread alone stalls it ~1 s
    expect(maxMs, `max event-loop gap ${maxMs.toFixed(1)} ms`).toBeLessThan(250);
  });

  it("keeps the main event loop responsive during a CFG code decode", async () => {
    let progress = 0;
    const gaps = watchLoopGaps();
    const elu0 = performance.eventLoopUtilization();
    const r = await lm.generateCodes(
      { ...input, targetDuration: 4 },
      { seed: 1, cfgScale: 2, progressIntervalMs: 0, onProgress: () => progress++ },
    );
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const { maxMs } = gaps.stop();
    expect(r.codes).toHaveLength(20);
    expect(elu, "main event-loop utilisation during the decode").toBeLessThan(0.5);
    expect(progress).toBeGreaterThan(1); // progress streamed back by message while the worker decoded
    expect(maxMs, `max event-loop gap ${maxMs.toFixed(1)} ms`).toBeLessThan(250);
  });

  it("reports the LM's resident bytes to the model registry's budget", () => {
    const s = app.models.registry().status();
    const mine = s.loaded.find((e) => e.id === `${entry.name}/lm`);
    expect(mine?.sizeBytes).toBeGreaterThan(0);
    expect(s.usedBytes).toBeGreaterThanOrEqual(mine!.sizeBytes);
    expect(["cpu", "cuda"]).toContain(lm.provider);
  });

  it("an abort cancels the worker's pass, and the model serves the next pass", async () => {
    const ac = new AbortController();
    const p = lm.generateCodes(
      { ...input, targetDuration: 4 },
      { seed: 2, signal: ac.signal, progressIntervalMs: 0, onProgress: (x) => x.step >= 2 && ac.abort() },
    );
    await expect(p).rejects.toThrow(/abort/i);
    const again = await lm.generateCodes({ ...input, targetDuration: 2 }, { seed: 2 });
    expect(again.codes).toHaveLength(10);
  });

  // last: it stops the worker and reopens the model with other threads
  it("opened without threads, the LM session takes ACESTEP_THREADS (server/runtime/threads.ts), as the session host does", async () => {
    const saved = process.env.ACESTEP_THREADS;
    await releaseLmModels();
    process.env.ACESTEP_THREADS = "2";
    try {
      const other = await LmService.open(app.models, entry);
      expect(other.threads).toBe(2);
      expect((await other.generateCodes({ ...input, targetDuration: 1 }, { seed: 3 })).codes).toHaveLength(5);
    } finally {
      if (saved === undefined) delete process.env.ACESTEP_THREADS;
      else process.env.ACESTEP_THREADS = saved;
      await releaseLmModels();
    }
  });
});
