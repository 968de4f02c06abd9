// The LM's session goes through ORT's optimized-model cache like every other (server/runtime/ort-cache.mjs): the
// first open writes the optimized graph, a fresh LM worker (a second cold process) opens from it, and the logits
// are the ones of a session created without the cache.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { LmService, releaseLmModels } from "../server/pipeline/lm";

const dirs: string[] = [];
const apps: AppContext[] = [];
afterAll(async () => {
  await releaseLmModels();
  for (const a of apps) await a.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Opens the demo LM in a fresh LM worker; returns how it was created and its logits after a few ids. */
async function openFresh(ortCacheDir: string | null) {
  await releaseLmModels(); // stops the worker: the next open starts a new one
  const dir = mkdtempSync(join(tmpdir(), "acestep-lm-cache-"));
  dirs.push(dir);
  const app = createAppContext({ dataDir: dir, threads: 1, ortCacheDir });
  apps.push(app);
  const lm = await LmService.open(app.models, await app.models.find("lm"), { threads: 1 });
  return { cache: lm.optimizedCache, logits: Array.from(await lm.logits([151644, 872, 198, 9707], "full")) };
}

describe("LM session and the optimized-model cache", () => {
  it("writes the optimized graph once, opens from it in a fresh worker, same logits as without it", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "acestep-lm-ortcache-"));
    dirs.push(cacheDir);
    const plain = await openFresh(null);
    expect(plain.cache).toBe("off");
    const first = await openFresh(cacheDir);
    expect(first.cache).toBe("saved");
    expect(readdirSync(cacheDir).filter((f) => f.endsWith(".onnx"))).toHaveLength(1);
    const second = await openFresh(cacheDir);
    expect(second.cache).toBe("hit");
    expect(second.logits).toEqual(plain.logits);
    expect(first.logits).toEqual(plain.logits);
  }, 120_000);
});
