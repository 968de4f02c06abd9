// Text Conditioning and Lyrics Conditioning (server/acestep/prompts/): the exact DiT prompts,
// Qwen3-Embedding for the caption prompt, token embeddings only for the lyric prompt.
// The DiT-side projection, lyric encoder and packing run in the sampler with the DiT.
import { defineNode } from "../define-node";
import { param } from "../params";
import type { ConditioningValue, SongValue } from "../values";
import { modelsOf } from "../models/loaders";
import { captionParam, languageParam, lyricsParam, metaIssues, metaParams } from "./song-params";
import { formatTextPrompt } from "../../server/acestep/prompts/text-prompt";
import { formatLyricPrompt, INSTRUMENTAL_LYRICS } from "../../server/acestep/prompts/lyric-prompt";
import { generateInstruction } from "../../server/acestep/tasks/instructions";
import {
  embedTokens,
  encodeText,
  encoderDir,
  encoderTokens,
  LYRIC_MAX_TOKENS,
} from "../../server/pipeline/text-encoder";

/** A value from the SONG when it has one, else the param's (0 / "" / -1 mean "not set"). */
function pick<T>(songValue: T | null | undefined, paramValue: T, unset: T): T | null {
  if (songValue !== null && songValue !== undefined && songValue !== "") return songValue;
  return paramValue === unset ? null : paramValue;
}

export function resolveTextFields(
  p: { caption: string; bpm: number; keyscale: string; timesignature: string; duration: number },
  song?: SongValue,
) {
  return {
    caption: song?.caption?.trim() ? song.caption : p.caption,
    bpm: pick(song?.bpm ?? null, p.bpm, 0),
    keyscale: pick(song?.keyscale ?? null, p.keyscale, ""),
    timesignature: pick(song?.timesignature ?? null, p.timesignature, ""),
    duration: pick(song?.duration ?? null, p.duration, -1),
  };
}

export const TextConditioningNode = defineNode({
  type: "ace.textConditioning",
  sessions: { textEncoder: ["text_encoder"] },
  title: "Text Conditioning",
  category: "conditioning",
  description:
    "Caption + metadata in the official DiT prompt, encoded by Qwen3-Embedding. A connected SONG (e.g. from the LM) supplies the values it has; the params fill the rest. The task's instruction comes from the connected latent (Cover, Repaint, …).",
  inputs: {
    textEncoder: { type: "TEXT_ENCODER" },
    song: {
      type: "SONG",
      optional: true,
      description: "Values from a Song or LM node; they take precedence over the params",
    },
    latent: {
      type: "LATENT",
      optional: true,
      description: "The latent to be sampled: its task sets the instruction and the default duration",
    },
  },
  outputs: { conditioning: { type: "CONDITIONING" } },
  params: {
    caption: captionParam(),
    ...metaParams(),
    instruction: param.string({
      default: "",
      maxLength: 1000,
      description: "Override the task instruction; empty = from the latent's task (text2music otherwise)",
      advanced: true,
    }),
  },
  validate: (p) => metaIssues(p),
  run: async ({ inputs, params }, ctx) => {
    const mm = modelsOf(ctx.services);
    const entry = await mm.find("text-encoder", inputs.textEncoder.id);
    const f = resolveTextFields(params, inputs.song);
    const latentMeta = (inputs.latent?.meta ?? {}) as {
      instruction?: string;
      frames?: number;
      nonCover?: { instruction: string };
    };
    const instruction = params.instruction || latentMeta.instruction || generateInstruction("text2music");
    const duration = f.duration ?? (inputs.latent ? inputs.latent.shape[1] / 25 : null);
    const prompt = formatTextPrompt({
      instruction,
      caption: f.caption,
      metas: { bpm: f.bpm, keyscale: f.keyscale, timesignature: f.timesignature, duration },
    });
    ctx.progress({ fraction: 0.1, message: "encoding the caption" });
    const h = await encodeText(mm, entry, prompt, ctx.signal);
    const tensors: ConditioningValue["tensors"] = { text_hidden: { data: h.data, shape: h.shape } };
    if (latentMeta.nonCover) {
      // audio_cover_strength < 1: the same caption with the text2music instruction for the late steps.
      const p2 = formatTextPrompt({
        instruction: latentMeta.nonCover.instruction,
        caption: f.caption,
        metas: { bpm: f.bpm, keyscale: f.keyscale, timesignature: f.timesignature, duration },
      });
      const h2 = await encodeText(mm, entry, p2, ctx.signal);
      tensors.text_hidden_noncover = { data: h2.data, shape: h2.shape };
    }
    const conditioning: ConditioningValue = {
      kind: "conditioning",
      tensors,
      meta: { role: "text", prompt, tokens: h.ids.length, instruction },
      demo: mm.demo,
    };
    ctx.result({ kind: "text", label: "text prompt", value: prompt });
    return { conditioning };
  },
});

export const LyricsConditioningNode = defineNode({
  type: "ace.lyricsConditioning",
  title: "Lyrics Conditioning",
  category: "conditioning",
  description:
    "Lyrics + vocal language in the official lyric prompt, as Qwen3 token embeddings (the lyric encoder runs with the DiT).",
  inputs: {
    textEncoder: { type: "TEXT_ENCODER" },
    song: {
      type: "SONG",
      optional: true,
      description: "Lyrics and language from a Song or LM node; they take precedence over the params",
    },
  },
  outputs: { conditioning: { type: "CONDITIONING" } },
  params: {
    lyrics: lyricsParam(),
    language: languageParam(),
    instrumental: param.boolean({ default: false, description: "No vocals: empty lyrics become [Instrumental]" }),
  },
  run: async ({ inputs, params }, ctx) => {
    const mm = modelsOf(ctx.services);
    const entry = await mm.find("text-encoder", inputs.textEncoder.id);
    const song = inputs.song;
    let lyrics = song?.lyrics?.trim() ? song.lyrics : params.lyrics;
    if (!lyrics.trim() && (params.instrumental || song?.instrumental)) lyrics = INSTRUMENTAL_LYRICS;
    const language = song?.language || params.language;
    const prompt = formatLyricPrompt(lyrics, language);
    const ids = await encoderTokens(encoderDir(mm, entry), prompt, LYRIC_MAX_TOKENS);
    const e = embedTokens(mm, entry, ids);
    return {
      conditioning: {
        kind: "conditioning",
        tensors: { lyric_embeddings: { data: e.data, shape: e.shape } },
        meta: { role: "lyrics", prompt, tokens: ids.length, language },
        demo: mm.demo,
      },
    };
  },
});
