// The no-reference timbre embedding: equal to the timbre encoder over upstream's no-reference input
// (silence_latent[:750]), computed once per converted model and reused across runs and processes.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config";
import { ModelManager } from "../models/manager";
import { DitRunner } from "./dit-runner";

let dir: string;
let mm: ModelManager;
let runner: DitRunner;

const timbreRuns = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.filter((c) => c[1] === "timbre_encoder").length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-dit-runner-"));
  mm = new ModelManager({ modelsDir: null, dataDir: dir, threads: 1, demoModelsDir: loadConfig().demoModelsDir });
  runner = new DitRunner(mm, await mm.find("dit", "acestep-v15-turbo"));
});
afterAll(async () => {
  await mm.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("no-reference timbre", () => {
  it("equals the timbre encoder run on the first timbre_fix_frame frames of silence_latent", async () => {
    expect(runner.timbreFixFrames).toBe(750);
    const direct = await runner.encodeTimbre({ data: runner.silenceFrames(750), refs: 1, frames: 750 });
    const constant = await runner.noReferenceTimbre();
    expect(constant.length).toBe(runner.width);
    expect(Array.from(constant)).toEqual(Array.from(direct));
    // a different input gives a different embedding, so the comparison above can fail
    const other = await runner.encodeTimbre({ data: runner.silenceFrames(751).subarray(64), refs: 1, frames: 750 });
    expect(Array.from(other)).not.toEqual(Array.from(direct));
  });

  it("is computed once: later generations and a new process reuse it without running the encoder", async () => {
    const D = runner.config.text_hidden_dim;
    const cond = {
      textHidden: new Float32Array(3 * D).fill(0.1),
      textLength: 3,
      lyricEmbeds: new Float32Array(2 * D).fill(-0.1),
      lyricLength: 2,
    };
    const spy = vi.spyOn(mm, "run");
    const a = await runner.encodeConditions(cond);
    const b = await new DitRunner(mm, runner.entry).encodeConditions(cond);
    expect(timbreRuns(spy)).toBe(0);
    spy.mockRestore();
    expect(a.length).toBe(2 + 1 + 3);
    const E = runner.width;
    expect(Array.from(a.data.subarray(2 * E, 3 * E))).toEqual(Array.from(await runner.noReferenceTimbre()));
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(
      readdirSync(join(dir, "model-constants")).some((f) => f.startsWith("acestep-v15-turbo.no-reference-timbre-750.")),
    ).toBe(true);

    const fresh = new ModelManager({
      modelsDir: null,
      dataDir: dir,
      threads: 1,
      demoModelsDir: loadConfig().demoModelsDir,
    });
    try {
      const again = new DitRunner(fresh, await fresh.find("dit", "acestep-v15-turbo"));
      const spy2 = vi.spyOn(fresh, "run");
      expect(Array.from(await again.noReferenceTimbre())).toEqual(Array.from(await runner.noReferenceTimbre()));
      expect(timbreRuns(spy2)).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it("still runs the encoder for a reference", async () => {
    const spy = vi.spyOn(mm, "run");
    const D = runner.config.text_hidden_dim;
    const ref = { data: runner.silenceFrames(10), refs: 1, frames: 10 };
    const packed = await runner.encodeConditions({
      textHidden: new Float32Array(D),
      textLength: 1,
      lyricEmbeds: new Float32Array(D),
      lyricLength: 1,
      timbreLatents: ref,
    });
    expect(timbreRuns(spy)).toBe(1);
    spy.mockRestore();
    const E = runner.width;
    expect(Array.from(packed.data.subarray(E, 2 * E))).toEqual(Array.from(await runner.encodeTimbre(ref)));
  });
});

describe("warm sessions", () => {
  it("a second generation creates no session: the condition encoders stay loaded", async () => {
    const warm = new ModelManager({
      modelsDir: null,
      dataDir: dir,
      threads: 1,
      demoModelsDir: loadConfig().demoModelsDir,
    });
    try {
      const r = new DitRunner(warm, await warm.find("dit", "acestep-v15-turbo"));
      const load = vi.spyOn(warm.host(), "load");
      const D = r.config.text_hidden_dim;
      const cond = {
        textHidden: new Float32Array(2 * D).fill(0.2),
        textLength: 2,
        lyricEmbeds: new Float32Array(D),
        lyricLength: 1,
      };
      await r.encodeConditions(cond);
      const first = load.mock.calls.map((c) => c[0]).sort();
      expect(first).toEqual(
        expect.arrayContaining(["acestep-v15-turbo/lyric_encoder", "acestep-v15-turbo/text_projector"]),
      );
      await new DitRunner(warm, r.entry).encodeConditions({ ...cond, textHidden: new Float32Array(2 * D).fill(-0.3) });
      expect(load.mock.calls.length).toBe(first.length);
    } finally {
      await warm.close();
    }
  });
});
