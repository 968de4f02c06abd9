// VAE Encode / VAE Decode: audio ↔ 25 Hz latents with the Oobleck VAE, tiled as upstream.
import { defineNode, type FieldIssue } from "../define-node";
import { param } from "../params";
import { modelsOf } from "../models/loaders";
import { decodeTile, VAE_DECODER_ROLES, vaeDecode, vaeEncode } from "../../server/pipeline/vae";
import { spliceRepaintWaveform } from "../../server/acestep/tasks/repaint";
import { applyOutputLevels } from "../../server/audio/levels";
import type { AudioValue, WaveformSplice } from "../values";

/**
 * Puts the repaint source back outside the window of every batch item (the window is the same for all).
 * Upstream's order (ace-step/ACE-Step-1.5 acestep/core/generation/handler: the decode step divides each item by
 * its peak when it exceeds 1.0, then `_build_generate_music_success_payload` calls apply_repaint_waveform_splice):
 * each decoded item is anti-clipped first, so the kept part is the source itself, never scaled by the generated
 * part's peak. The spliced item then peaks at most 1.0 and Save Audio's anti-clip leaves it as it is.
 */
function spliceAudio(audio: AudioValue, s: WaveformSplice): AudioValue {
  const o = {
    startSeconds: s.startSeconds,
    endSeconds: s.endSeconds,
    sampleRate: audio.sampleRate,
    crossfadeSeconds: s.crossfadeSeconds,
  };
  const items = (audio.batch ?? [audio.channels]).map((ch) => {
    const clipped = applyOutputLevels({ sampleRate: audio.sampleRate, channels: ch }, "ace-peak").audio.channels;
    return spliceRepaintWaveform(clipped, s.source.channels, o);
  });
  return { ...audio, channels: items[0], batch: audio.batch ? items : undefined };
}

/** A tile must be longer than its two overlaps (encode and decode alike). */
const tileIssues = (p: { chunkFrames: number; overlapFrames: number }): FieldIssue[] =>
  p.chunkFrames <= 2 * p.overlapFrames
    ? [
        {
          field: "overlapFrames",
          message: `the overlap (${p.overlapFrames}) must be less than half the tile (${p.chunkFrames})`,
          received: p.overlapFrames,
        },
      ]
    : [];

export const VaeEncodeNode = defineNode({
  type: "vae.encode",
  sessions: { vae: ["vae_encoder"] },
  title: "VAE Encode",
  category: "latent",
  description:
    "Audio → latents [1, T, 64] at 25 Hz. The posterior mean by default (deterministic); a seeded sample as an option.",
  inputs: { vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { latent: { type: "LATENT" } },
  params: {
    posterior: param.enum(["mean", "sample"], {
      default: "mean",
      description: "mean: deterministic; sample: mean + std·noise (seeded)",
    }),
    seed: param.seed({ description: "Seed for posterior sampling", advanced: true }),
    chunkFrames: param.int({
      default: 750,
      min: 64,
      max: 15_000,
      description: "Tile length in latent frames (750 = 30 s)",
      advanced: true,
    }),
    overlapFrames: param.int({
      default: 50,
      min: 0,
      max: 1000,
      description: "Tile overlap in latent frames (50 = 2 s)",
      advanced: true,
    }),
  },
  validate: tileIssues,
  run: async ({ inputs, params }, ctx) => {
    const mm = modelsOf(ctx.services);
    const entry = await mm.find("vae", inputs.vae.id);
    const latent = await vaeEncode(mm, entry, inputs.audio, {
      posterior: params.posterior === "sample" ? { kind: "sample", seed: params.seed } : { kind: "mean" },
      chunkFrames: params.chunkFrames,
      overlapFrames: params.overlapFrames,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress({ step: p.done, total: p.total, message: "encoding" }),
    });
    return { latent: { ...latent, meta: { task: "source" } } };
  },
});

export const VaeDecodeNode = defineNode({
  type: "vae.decode",
  sessions: { vae: VAE_DECODER_ROLES },
  title: "VAE Decode",
  category: "latent",
  description:
    "Latents → 48 kHz stereo audio. Decoded in one tile when the memory budget has room for it, else in the longest tiles that fit (64-frame overlap discarded at each inner edge, as upstream's tiled decode).",
  inputs: { vae: { type: "VAE" }, latent: { type: "LATENT" } },
  outputs: { audio: { type: "AUDIO" } },
  params: {
    chunkFrames: param.int({
      default: 0,
      min: 0,
      max: 15_000,
      description:
        "Tile length in latent frames (≥ 16); 0 = auto: one tile when the memory budget has room, else the longest that fits",
      advanced: true,
    }),
    overlapFrames: param.int({
      default: 64,
      min: 0,
      max: 1000,
      description: "Overlap discarded at each tile edge (latent frames)",
      advanced: true,
    }),
  },
  validate: (p) =>
    p.chunkFrames === 0
      ? []
      : p.chunkFrames < 16
        ? [
            {
              field: "chunkFrames",
              message: `a tile is at least 16 latent frames (0 = auto), got ${p.chunkFrames}`,
              received: p.chunkFrames,
            },
          ]
        : tileIssues(p),
  run: async ({ inputs, params }, ctx) => {
    const mm = modelsOf(ctx.services);
    const entry = await mm.find("vae", inputs.vae.id);
    let chunkFrames = params.chunkFrames;
    if (chunkFrames === 0) {
      // auto: from the memory budget (a message says so when the whole latent does not fit in one tile)
      const fit = decodeTile(mm, entry, inputs.latent, {
        nodeId: ctx.nodeId,
        nodeType: "vae.decode",
        overlapFrames: params.overlapFrames,
      });
      chunkFrames = fit.chunk;
      if (fit.message) {
        ctx.log(fit.message);
        ctx.result({ kind: "text", label: "memory", value: fit.message });
      }
    }
    const audio = await vaeDecode(mm, entry, inputs.latent, {
      chunkFrames,
      overlapFrames: params.overlapFrames,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress({ step: p.done, total: p.total, message: "decoding" }),
    });
    const splice = inputs.latent.meta?.splice as WaveformSplice | null | undefined;
    return { audio: splice ? spliceAudio(audio, splice) : audio };
  },
});
