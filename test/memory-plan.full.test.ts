// The memory budget over a whole text2music-with-thinking run on the demo models (server/models/memory-plan.ts):
// on an offload tier the LM is released after its codes and every session reloads when the next run needs it;
// above the offload tiers sessions stay warm, a second run creates none, and the LM's KV cache counts in the
// budget while each pass runs. (The quick checks, without the LM, are in memory-plan.test.ts.)
import { afterAll, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AppContext } from "../server/app-context";
import { releaseLmModels } from "../server/pipeline/lm";
import { budgetApps } from "./helpers/budget-runs";

const graph = (seed: number) => {
  const g = JSON.parse(readFileSync(join(__dirname, "../graphs/text2music-thinking.json"), "utf8"));
  g.nodes.lm.params.seed = seed;
  g.nodes.lm.params.duration = 10;
  g.nodes.sampler.params.seed = seed;
  g.nodes.sampler.params.steps = 2;
  return g;
};

describe("a run under a fake budget", () => {
  const { open, run: runGraph, closeAll } = budgetApps();
  afterAll(async () => {
    await closeAll();
    await releaseLmModels();
  });
  const run = (app: AppContext, seed: number) => runGraph(app, graph(seed));

  it("offload tier: after each node only its own sessions are resident; they reload when needed again", async () => {
    const app = open(2 ** 30); // 1 GiB: tier1, offload
    expect(app.models.tier()).toMatchObject({ tier: "tier1", offload: true });
    const { run: r, seen } = await run(app, 7);
    expect(r.status).toBe("finished");
    // what the previous node left resident, as each node starts
    const after = Object.fromEntries(seen.map((x, i) => [seen[i - 1]?.before ?? "-", x.resident]));
    expect(after.lm).toEqual(["acestep-5Hz-lm-0.6B/lm"]);
    expect(after.cover).toEqual(["acestep-v15-turbo/audio_detokenizer"]);
    expect(after.text).toEqual(["Qwen3-Embedding-0.6B/text_encoder"]);
    expect(after.lyrics).toEqual([]); // lyrics read token embeddings from a file: the text encoder went before it
    expect(after.sampler).toEqual(["acestep-v15-turbo/dit_step"]); // the encoders and K/V graph went after packing
    expect(after.decode).toEqual(["vae/vae_decoder"]);
    const load = vi.spyOn(app.models.host(), "load");
    const again = await run(app, 8);
    expect(again.run.status).toBe("finished");
    expect(load.mock.calls.map((c) => c[0])).toEqual(
      expect.arrayContaining(["acestep-v15-turbo/dit_step", "vae/vae_decoder", "Qwen3-Embedding-0.6B/text_encoder"]),
    );
  }, 240_000);

  it("above the offload tiers sessions stay warm: a second run creates none", async () => {
    const app = open(64 * 2 ** 30);
    expect(app.models.tier()).toMatchObject({ tier: "unlimited", offload: false });
    expect((await run(app, 7)).run.status).toBe("finished");
    const load = vi.spyOn(app.models.host(), "load");
    const resident = vi.spyOn(app.models.registry(), "setResident");
    const { run: r, seen } = await run(app, 9);
    expect(r.status).toBe("finished");
    expect(load).not.toHaveBeenCalled();
    expect(seen.at(-1)!.resident).toEqual(
      expect.arrayContaining(["acestep-5Hz-lm-0.6B/lm", "acestep-v15-turbo/dit_step", "vae/vae_decoder"]),
    );
    // the LM's KV cache counted while each pass ran: weights + 2·layers·capacity·lanes·kv width·4 bytes
    const entry = await app.models.find("lm");
    const c = entry.config as { num_hidden_layers: number; num_key_value_heads: number; head_dim: number };
    const weights = app.models.sessionBytes(entry, "lm");
    const perSlot = 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * 4;
    const kv = resident.mock.calls
      .filter((x) => x[0] === "acestep-5Hz-lm-0.6B/lm" && x[1] > weights)
      .map((x) => x[1] - weights);
    expect(kv.length).toBeGreaterThanOrEqual(2); // the CoT pass and the code pass
    for (const b of kv) expect(b % perSlot).toBe(0);
    // the code pass runs two CFG lanes over at least the 10 s · 5 codes it writes
    expect(Math.max(...kv) / perSlot).toBeGreaterThanOrEqual(2 * 50);
  }, 240_000);
});
