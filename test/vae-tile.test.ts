// VAE Decode's tile from the memory budget: the per-frame estimate from the VAE's config
// (server/models/vae/config.ts decodeBytesPerFrame), the pure fit (server/models/memory-plan.ts fitDecodeTile), and
// the node on the demo models: one tile with ample room, shorter tiles with a message under a small budget (same
// audio as one tile: the 64-frame overlaps cover the decoder's receptive field), refused below the shortest tile.
import { afterAll, describe, expect, it, vi } from "vitest";
import { join } from "node:path";
import { decodeBytesPerFrame, oobleckConfigFromJson } from "../server/models/vae";
import { OFFICIAL_VAE_CONFIG } from "../server/checkpoints/layout/official-configs";
import { TINY_VAE_CONFIG } from "../server/checkpoints/tiny/configs";
import { fitDecodeTile, MemoryBudgetError } from "../server/models/memory-plan";
import { loadAudioFile } from "../server/audio/index";
import type { AppContext } from "../server/app-context";
import { budgetApps } from "./helpers/budget-runs";

describe("decode bytes per latent frame", () => {
  it("is 6 float32 tensors of the widest decoder level: width × samples per frame", () => {
    // official: last level 128 channels at 1920 samples per frame (strides 10·6·4·4·2)
    expect(decodeBytesPerFrame(oobleckConfigFromJson(OFFICIAL_VAE_CONFIG))).toBe(6 * 4 * 128 * 1920);
    // demo: every level 16 wide, so again the last one (16 × 1920)
    expect(decodeBytesPerFrame(oobleckConfigFromJson(TINY_VAE_CONFIG))).toBe(6 * 4 * 16 * 1920);
    // the first conv's output wins when it is wider per frame: 1024 channels at 1 sample per frame vs 8 at 4
    const odd = { ...TINY_VAE_CONFIG, decoder_channels: 8, channel_multiples: [1, 128], downsampling_ratios: [2, 2] };
    expect(decodeBytesPerFrame(oobleckConfigFromJson(odd))).toBe(6 * 4 * 1024);
  });
});

describe("decode tile fit", () => {
  const base = {
    nodeId: "decode",
    nodeType: "vae.decode",
    overlap: 64,
    budgetBytes: 6e9,
    residentBytes: 0.4e9,
    frameBytes: 5e6,
  };

  it("decodes the whole latent in one tile when it fits next to the resident bytes", () => {
    expect(fitDecodeTile({ ...base, frames: 750, batch: 1 })).toEqual({ chunk: 750, tiles: 1 });
    // exactly at the budget still fits
    expect(fitDecodeTile({ ...base, frames: 1120, batch: 1 })).toEqual({ chunk: 1120, tiles: 1 });
  });

  it("else the longest multiple of 16 frames that fits, the batch decoded together, with a message", () => {
    // room 5.6 GB / (2 × 5 MB) = 560 frames → 560; stride 432 → 750 frames in 2 tiles
    expect(fitDecodeTile({ ...base, frames: 750, batch: 2 })).toEqual({
      chunk: 560,
      tiles: 2,
      message:
        "decoding 750 frames × 2 items in one tile needs 7.50 GB next to 0.40 GB of resident model sessions, over " +
        "the memory budget of 6.00 GB: decoding in 2 tiles of 560 frames",
    });
    // room for 1000 frames of one item: 992 (not 1000)
    expect(fitDecodeTile({ ...base, budgetBytes: 5.4e9, frames: 3000, batch: 1 })).toMatchObject({
      chunk: 992,
      tiles: Math.ceil(3000 / (992 - 128)),
    });
  });

  it("the shortest tile is 2 × overlap + 16 frames; below it the node is refused, naming it and the budget", () => {
    const shortest = 144 * 5e6 + 0.4e9;
    expect(fitDecodeTile({ ...base, budgetBytes: shortest, frames: 750, batch: 1 })).toMatchObject({ chunk: 144 });
    const refuse = () => fitDecodeTile({ ...base, budgetBytes: shortest - 1, frames: 750, batch: 1 });
    expect(refuse).toThrow(MemoryBudgetError);
    expect(refuse).toThrow(
      'node "decode" (vae.decode) needs 0.40 GB of resident model sessions and 0.01 GB per latent frame: not even ' +
        "the shortest tile (144 frames with an overlap of 64) fits the memory budget of 1.12 GB: raise " +
        "ACESTEP_MEMORY_BUDGET, lower overlapFrames or the batch size, or use smaller (lower-precision) models",
    );
    // an odd overlap rounds the shortest tile up to a multiple of 16: 2 × 9 + 16 = 34 → 48
    expect(fitDecodeTile({ ...base, overlap: 9, budgetBytes: 0.4e9 + 48 * 5e6, frames: 750, batch: 1 })).toMatchObject({
      chunk: 48,
    });
    expect(() => fitDecodeTile({ ...base, overlap: 9, budgetBytes: 0.4e9 + 47 * 5e6, frames: 750, batch: 1 })).toThrow(
      MemoryBudgetError,
    );
  });
});

// 10 s of the DiT's silence latent (random on the demo weights): 250 latent frames; the demo decoder needs
// 6 · 4 · 16 · 1920 = 737 280 bytes per frame
const FRAME = 6 * 4 * 16 * 1920;
const graph = (decode: Record<string, unknown> = {}) => ({
  version: 1,
  nodes: {
    vae: { type: "models.vae" },
    dit: { type: "models.dit" },
    enc: { type: "ace.emptyLatent", params: { duration: 10 }, inputs: { dit: { node: "dit", output: "dit" } } },
    decode: {
      type: "vae.decode",
      params: decode,
      inputs: { vae: { node: "vae", output: "vae" }, latent: { node: "enc", output: "latent" } },
    },
    save: {
      type: "audio.save",
      params: { format: "wav", bitDepth: "32", levels: "none", skipSilent: false },
      inputs: { audio: { node: "decode", output: "audio" } },
    },
  },
});

describe("VAE Decode under a memory budget (demo models)", () => {
  const apps = budgetApps();
  afterAll(apps.closeAll);

  /** The run, the frames of each decoder call, and the decoded left channel. */
  async function decode(app: AppContext, params: Record<string, unknown> = {}) {
    const tiles: number[] = [];
    const run = app.models.run.bind(app.models);
    const spy = vi.spyOn(app.models, "run").mockImplementation(async (entry, role, feeds, signal) => {
      if (role === "vae_decoder") tiles.push(feeds.latents.dims[2]);
      return run(entry, role, feeds, signal);
    });
    try {
      const r = await apps.run(app, graph(params));
      const audio = r.outputs[0] ? await loadAudioFile(join(app.config.dataDir, r.outputs[0].path)) : null;
      return { ...r, tiles, left: audio?.channels[0] };
    } finally {
      spy.mockRestore();
    }
  }

  /** Bytes of the demo decoder session (the node's own resident bytes). */
  const decoderBytes = async (app: AppContext) => app.models.sessionBytes(await app.models.find("vae"), "vae_decoder");

  it("auto (the default): one tile with ample room, shorter tiles + a message with little, same audio", async () => {
    const big = apps.open(8 * 2 ** 30);
    const one = await decode(big);
    expect(one.run.status).toBe("finished");
    expect(one.tiles).toEqual([250]);
    expect(one.outcome?.results.decode ?? []).not.toContainEqual(expect.objectContaining({ label: "memory" }));

    // room for 200 frames next to the decoder: tiles of 192 (stride 64) → 4 windows of ≤ 192 frames
    const probe = apps.open(1e9);
    const small = apps.open((await decoderBytes(probe)) + 200 * FRAME);
    const tiled = await decode(small);
    expect(tiled.run.status).toBe("finished");
    expect(tiled.tiles).toEqual([128, 192, 186, 122]);
    const message = `decoding 250 frames in one tile needs ${((250 * FRAME) / 1e9).toFixed(2)} GB next to 0.00 GB of resident model sessions, over the memory budget of ${(small.models.registry().status().budgetBytes / 1e9).toFixed(2)} GB: decoding in 4 tiles of 192 frames`;
    expect(tiled.outcome?.results.decode).toContainEqual({ kind: "text", label: "memory", value: message });
    expect(tiled.left!.length).toBe(one.left!.length);
    let maxErr = 0;
    for (let i = 0; i < one.left!.length; i++) maxErr = Math.max(maxErr, Math.abs(one.left![i] - tiled.left![i]));
    expect(maxErr).toBeLessThan(1e-5);

    // an explicit tile still wins over the budget
    const explicit = await decode(small, { chunkFrames: 200 });
    expect(explicit.tiles).toEqual([136, 200, 170, 98]);
  }, 120_000);

  it("refuses when not even the shortest tile (144 frames) fits, naming the node", async () => {
    const probe = apps.open(1e9);
    const app = apps.open((await decoderBytes(probe)) + 143 * FRAME);
    const r = await decode(app);
    expect(r.run.status).toBe("failed");
    expect(r.run.error?.message).toMatch(
      /^node "decode" \(vae\.decode\) needs 0\.00 GB of resident model sessions and 0\.00 GB per latent frame: not even the shortest tile \(144 frames with an overlap of 64\) fits the memory budget/,
    );
    expect(r.tiles).toEqual([]);
  }, 120_000);
});
