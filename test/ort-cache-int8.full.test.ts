// ORT's optimized-model cache with the CPU default precisions (int8 DiT and LM through com.microsoft MatMulNBits):
// a second process — here a second app with a fresh ORT worker and LM worker — creates every session from the cache
// and makes the same song. Saving ORT 1.30's pre-packed weights into the cache (session option
// save_external_prepacked_constant_initializers) made the int8 dit_step crash the process (SIGSEGV) on its first
// run from the cache; server/runtime/ort-cache.mjs no longer saves them.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { writeTinyCheckpoints } from "../server/checkpoints";
import { convertCheckpoints, resolvePrecisions } from "../server/models/convert/convert";
import { releaseLmModels } from "../server/pipeline/lm";
import { parseSetArgs } from "../server/runs/overrides";

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const graph = JSON.parse(readFileSync(new URL("../graphs/text2music-thinking.json", import.meta.url), "utf8"));

/** One cold app on `modelsDir` with the ORT cache in `ortCacheDir`: the run's status and its audio bytes. */
async function song(modelsDir: string, ortCacheDir: string): Promise<{ status: string; audio: Buffer[] }> {
  await releaseLmModels(); // a fresh LM worker, as a new process would start
  const dataDir = tmp("acestep-int8-data-");
  const app: AppContext = createAppContext({ dataDir, modelsDir, ortCacheDir, threads: 2 });
  try {
    const overrides = parseSetArgs(["lm.duration=10", "lm.seed=5", "sampler.seed=5"]);
    const { runId } = app.runs.start({ graph, overrides });
    for await (const _ of app.runs.events(runId)); // until the run ends
    const run = app.store.getRun(runId)!;
    const audio = app.store.listOutputs(runId).map((o) => readFileSync(join(dataDir, o.path)));
    return { status: run.status + (run.error ? `: ${run.error.message}` : ""), audio };
  } finally {
    await app.close();
  }
}

describe("optimized-model cache at the CPU default precisions", () => {
  it("a second cold app creates the int8 sessions from the cache and makes the same song", async () => {
    const ck = tmp("acestep-int8-ck-");
    writeTinyCheckpoints(ck);
    const models = tmp("acestep-int8-models-");
    const precisions = resolvePrecisions({ provider: "cpu" });
    expect(precisions.dit).toBe("int8");
    await convertCheckpoints({ from: ck, to: models, demo: true, dtype: precisions });
    const cache = tmp("acestep-int8-ortcache-");
    const first = await song(models, cache);
    expect(first.status).toBe("finished");
    expect(readdirSync(cache).some((f) => f.includes("dit_step"))).toBe(true);
    const second = await song(models, cache);
    expect(second.status).toBe("finished");
    expect(second.audio).toEqual(first.audio);
  }, 300_000);
});
