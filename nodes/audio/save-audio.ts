// Save Audio and Preview Audio: encode an AUDIO value into this run's output folder
// (written to a temp name, then renamed), with the official level handling.
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { defineNode, type NodeContext } from "../define-node";
import { param } from "../params";
import type { AudioValue } from "../values";
import { applyOutputLevelsYielding, type LevelPolicy, type OutputFormat } from "../../server/audio/index";
import { saveAudioFile } from "../../server/files/save-audio";

export const AUDIO_FORMATS = ["flac", "wav", "mp3", "ogg"] as const;
export const LEVEL_POLICIES = ["ace-peak", "ace-normalize", "none"] as const;

/** A UUID-shaped key from the samples, used when no explicit result key is given. */
function contentKey(audio: AudioValue): string {
  const h = createHash("sha256");
  for (const c of audio.channels) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  const x = h.digest("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Each batch item as its own AUDIO value (a single item when the value is not a batch). */
export function batchItems(audio: AudioValue): AudioValue[] {
  return audio.batch
    ? audio.batch.map((channels) => ({ sampleRate: audio.sampleRate, channels, demo: audio.demo }))
    : [audio];
}

async function writeAll(audio: AudioValue, ctx: NodeContext, o: Parameters<typeof writeAudio>[2]) {
  const items = batchItems(audio);
  for (const [i, item] of items.entries())
    await writeAudio(item, ctx, items.length > 1 && o.key ? { ...o, key: `${o.key}-${i}` } : o);
}

async function writeAudio(
  audio: AudioValue,
  ctx: NodeContext,
  o: {
    format: OutputFormat;
    prefix: string;
    key: string;
    levels: LevelPolicy;
    normalizationDb: number;
    bitDepth?: 16 | 24 | 32;
    bitrate?: number;
    skipSilent: boolean;
    preview: boolean;
  },
) {
  const lv = await applyOutputLevelsYielding(audio, o.levels, o.normalizationDb);
  if (lv.silent && o.skipSilent) {
    ctx.result({
      kind: "text",
      value: "the audio is silent; not saved (as the official pipeline does)",
      meta: { silent: true },
    });
    return;
  }
  const name = `${o.prefix ? `${o.prefix}-` : ""}${o.key || contentKey(audio)}.${o.format}`;
  const file = join(ctx.outputDir, name);
  const bytes = await saveAudioFile(file, lv.audio, {
    format: o.format,
    bitDepth: o.bitDepth,
    bitrate: o.bitrate as never,
  });
  const dataDir = ctx.services.dataDir ?? ctx.outputDir;
  ctx.result({
    kind: "audio",
    path: relative(dataDir, file).split("\\").join("/"),
    label: name,
    meta: {
      format: o.format,
      bytes,
      seconds: (audio.channels[0]?.length ?? 0) / audio.sampleRate,
      sampleRate: audio.sampleRate,
      peak: lv.peak,
      gain: lv.gain,
      demo: audio.demo === true,
      preview: o.preview,
      silent: lv.silent,
    },
  });
}

export const SaveAudioNode = defineNode({
  type: "audio.save",
  title: "Save Audio",
  category: "output",
  description: "Writes the audio to the run's output folder (flac by default) with anti-clip level handling.",
  inputs: { audio: { type: "AUDIO" } },
  outputs: {},
  params: {
    format: param.enum(AUDIO_FORMATS, { default: "flac", description: "File format (upstream audio_format)" }),
    prefix: param.string({ default: "acestep", maxLength: 64, description: "File name prefix" }),
    key: param.string({
      default: "",
      maxLength: 64,
      description: "File name key; empty = a UUID from the audio content",
      advanced: true,
    }),
    levels: param.enum(LEVEL_POLICIES, {
      default: "ace-peak",
      description:
        "ace-peak: divide by the peak only above 1.0 (official anti-clip); ace-normalize: peak to normalizationDb; none",
    }),
    normalizationDb: param.float({
      default: -1,
      min: -30,
      max: 0,
      step: 0.5,
      description: "Target peak for ace-normalize (dBFS)",
      advanced: true,
    }),
    bitDepth: param.enum(["16", "24", "32"], {
      default: "16",
      description: "flac: 16/24; wav: 16/24/32 (float)",
      advanced: true,
    }),
    mp3Bitrate: param.enum(["128", "192", "256", "320"], {
      default: "128",
      description: "MP3 bitrate (kbps)",
      advanced: true,
    }),
    skipSilent: param.boolean({
      default: true,
      description: "Do not save silent audio (official silence guard)",
      advanced: true,
    }),
  },
  output: true,
  validate: (p) =>
    p.format === "flac" && p.bitDepth === "32"
      ? [{ field: "bitDepth", message: "flac supports 16 or 24 bits; use wav for 32-bit float", received: p.bitDepth }]
      : [],
  run: async ({ inputs, params }, ctx) => {
    await writeAll(inputs.audio, ctx, {
      format: params.format,
      prefix: params.prefix.replace(/[^A-Za-z0-9_-]+/g, "_"),
      key: params.key.replace(/[^A-Za-z0-9_-]+/g, "_"),
      levels: params.levels,
      normalizationDb: params.normalizationDb,
      bitDepth: Number(params.bitDepth) as 16 | 24 | 32,
      bitrate: Number(params.mp3Bitrate),
      skipSilent: params.skipSilent,
      preview: false,
    });
    return {};
  },
});

export const PreviewAudioNode = defineNode({
  type: "audio.preview",
  title: "Preview Audio",
  category: "output",
  description: "Plays the audio in the editor (a flac in the run folder, marked as a preview).",
  inputs: { audio: { type: "AUDIO" } },
  outputs: {},
  params: {},
  output: true,
  run: async ({ inputs }, ctx) => {
    await writeAll(inputs.audio, ctx, {
      format: "flac",
      prefix: `preview-${ctx.nodeId}`,
      key: "",
      levels: "ace-peak",
      normalizationDb: -1,
      skipSilent: false,
      preview: true,
    });
    return {};
  },
});
