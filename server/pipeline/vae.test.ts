// vaeEncode keeps the posterior moments of a finished encode per audio object and tiling (server/pipeline/vae.ts),
// so task nodes fed by one engine-cached source encode it once; another object or tiling encodes again.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config";
import { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";
import type { AudioValue } from "../../nodes/values";
import { VAE_HOP, vaeEncode } from "./vae";

let dir: string;
let mm: ModelManager;
let vae: ManifestEntry;

/** A stereo chirp of `frames` latent frames (distinct per call: a new object with new arrays). */
const source = (frames: number): AudioValue => {
  const n = frames * VAE_HOP;
  const l = Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * (200 + i / 400) * i) / 48_000));
  return { sampleRate: 48_000, channels: [l, l.map((x) => -x)] };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-vae-encode-"));
  mm = new ModelManager({ modelsDir: null, dataDir: dir, threads: 1, demoModelsDir: loadConfig().demoModelsDir });
  vae = await mm.find("vae");
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await mm.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("vaeEncode reuse", () => {
  it("encodes an audio object once per tiling; posterior samples of any seed reuse its moments", async () => {
    const runs = vi.spyOn(mm, "run");
    const encoderRuns = () => runs.mock.calls.filter((c) => c[1] === "vae_encoder").length;
    const audio = source(4);
    const first = await vaeEncode(mm, vae, audio);
    expect(first.shape).toEqual([1, 4, 64]);
    expect(encoderRuns()).toBe(1);

    const again = await vaeEncode(mm, vae, audio);
    expect(encoderRuns()).toBe(1);
    expect(Array.from(again.data)).toEqual(Array.from(first.data));
    expect(again.shape).toEqual(first.shape);

    // a caller writing into its result does not change what the next caller gets
    again.data.fill(0);
    expect(Array.from((await vaeEncode(mm, vae, audio)).data)).toEqual(Array.from(first.data));

    // seeded samples from the kept moments equal those of a fresh encode of equal samples in another object
    const copy = { ...audio, channels: audio.channels.map((c) => c.slice()) };
    const s1 = await vaeEncode(mm, vae, audio, { posterior: { kind: "sample", seed: 1 } });
    const s2 = await vaeEncode(mm, vae, audio, { posterior: { kind: "sample", seed: 2 } });
    expect(encoderRuns()).toBe(1);
    expect(Array.from(s1.data)).not.toEqual(Array.from(s2.data));
    expect(Array.from(s1.data)).not.toEqual(Array.from(first.data));
    const fresh = await vaeEncode(mm, vae, copy, { posterior: { kind: "sample", seed: 1 } });
    expect(encoderRuns()).toBe(2);
    expect(Array.from(fresh.data)).toEqual(Array.from(s1.data));

    await vaeEncode(mm, vae, audio, { chunkFrames: 2, overlapFrames: 0 });
    expect(encoderRuns()).toBe(4); // another tiling: encoded again, in two tiles
  });

  it("keeps no failed encode: after an abort the same audio encodes normally", async () => {
    const audio = source(2);
    const ac = new AbortController();
    ac.abort();
    await expect(vaeEncode(mm, vae, audio, { signal: ac.signal })).rejects.toThrow();
    const runs = vi.spyOn(mm, "run");
    const l = await vaeEncode(mm, vae, audio);
    expect(l.shape).toEqual([1, 2, 64]);
    expect(runs.mock.calls.filter((c) => c[1] === "vae_encoder").length).toBe(1);
  });
});
