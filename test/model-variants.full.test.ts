// Every model of the demo set runs one generation through the library: the DiT variants (turbo, base, sft) and
// the LMs shaped like 0.6B, 1.7B and 4B (converted on first use). Uses its own demo folder, because the shared
// test set (ACESTEP_DEMO_MODELS) holds only the core demo models.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { generateMusic } from "../server/api/library";
import { listModels } from "../server/models/catalog";

let app: AppContext;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "acestep-variants-"));
  app = createAppContext({ dataDir: dir, threads: 2, demoModelsDir: null });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const NO_LM = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };

describe("every demo model variant runs one generation", () => {
  it("lists three DiT variants and three LM sizes as installed", async () => {
    const { installed } = await listModels(app.models);
    expect(installed.filter((m) => m.component === "dit").map((m) => m.variant)).toEqual(["turbo", "sft", "base"]);
    expect(installed.filter((m) => m.component === "lm").map((m) => m.variant)).toEqual(["0.6B", "1.7B", "4B"]);
  });

  it.each(["acestep-v15-turbo", "acestep-v15-sft", "acestep-v15-base"])("DiT %s", async (dit) => {
    const r = await generateMusic(
      { ...NO_LM, caption: "piano", duration: 10, inference_steps: 2 },
      { batch_size: 1, audio_format: "wav" },
      { app, models: { dit } },
    );
    expect(r.error).toBeNull();
    expect(r.audios[0].samples![0].length).toBeGreaterThan(0);
  });

  it.each(["acestep-5Hz-lm-0.6B", "acestep-5Hz-lm-1.7B", "acestep-5Hz-lm-4B"])(
    "LM %s plans the song (metadata and codes)",
    async (lm) => {
      const r = await generateMusic(
        { caption: "piano", duration: 10, inference_steps: 2, use_cot_caption: false, use_cot_language: false },
        { batch_size: 1, audio_format: "wav" },
        { app, models: { lm } },
      );
      expect(r.error).toBeNull();
      expect(r.extraOutputs.timeCosts.lm_total_time).toBeGreaterThanOrEqual(0);
      expect(r.audios).toHaveLength(1);
    },
  );
});
