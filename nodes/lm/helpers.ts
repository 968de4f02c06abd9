// The LM's other modes (acestep/inference.py `understand_music`, `create_sample`, `format_sample`): understand_music
// (codes → SONG), create_sample (query → SONG), format_sample (caption + lyrics + user metadata → SONG). No CFG. Output
// nodes (they run on their own, as the library API's helpers do) whose results are cached by signature like ordinary
// nodes.
import { defineNode, type FieldIssue } from "../define-node";
import { encodeAudioToCodes } from "../ace/tasks";
import { param } from "../params";
import { captionParam, lyricsParam, metaParams } from "../ace/song-params";
import { resolveTextFields } from "../ace/text-conditioning";
import { NodeError } from "../errors";
import type { LmSongResult } from "../../server/pipeline/lm";
import type { NodeContext } from "../define-node";
import type { SongValue } from "../values";
import {
  captionMaxTokensParam,
  debugParam,
  genresMaxTokensParam,
  lmLanguageParam,
  lmMetaIssues,
  lmServiceFor,
  maxDurationParam,
  maxNewTokensParam,
  optionalLanguageParam,
  runOptions,
  samplingParams,
  songOf,
} from "./shared";

const commonParams = () => ({
  ...samplingParams(1),
  captionMaxTokens: captionMaxTokensParam(),
  genresMaxTokens: genresMaxTokensParam(),
  maxNewTokens: maxNewTokensParam(),
  maxDuration: maxDurationParam(),
  constrainedDecodingDebug: debugParam(),
});

function report(
  r: LmSongResult,
  song: SongValue,
  label: string,
  debug: boolean,
  ctx: NodeContext,
): { song: SongValue } {
  if (debug) ctx.log(`LM output (${r.tokens} tokens, ${r.stopReason}): ${JSON.stringify(r.text)}`);
  ctx.result({ kind: "song", label, value: song, meta: { genres: r.genres, tokens: r.tokens, ms: Math.round(r.ms) } });
  return { song };
}

/** LM Understand reads codes or audio, not both; audio needs the DiT (its tokenizer) and the VAE. */
function audioInputIssues(linked: Partial<Record<"codes" | "audio" | "dit" | "vae", unknown>>): FieldIssue[] {
  if (!linked.audio) return [];
  if (linked.codes)
    return [{ field: "audio", message: "connect codes or audio, not both (the audio is encoded to codes here)" }];
  const missing = (["dit", "vae"] as const).filter((k) => !linked[k]);
  return missing.map((k) => ({
    field: k,
    message: `the audio input needs a ${k === "dit" ? "DiT (Load DiT: its audio tokenizer)" : "VAE (Load VAE)"} connected to "${k}" to encode it to codes`,
  }));
}

export const LmUnderstandNode = defineNode({
  type: "lm.understand",
  sessions: { lm: ["lm"] },
  title: "LM Understand",
  category: "lm",
  description:
    "understand_music: audio codes (or audio, with a DiT and a VAE to encode it) → caption, metadata, language and lyrics. Without either the LM invents a random sample (NO USER INPUT).",
  inputs: {
    lm: { type: "LM" },
    codes: {
      type: "AUDIO_CODES",
      optional: true,
      description: "5 Hz codes (Audio to Codes, Audio Codes or LM Generate)",
    },
    audio: {
      type: "AUDIO",
      optional: true,
      description: "Audio to understand: encoded to codes here (as Audio to Codes does); needs dit and vae",
    },
    dit: { type: "DIT", optional: true, description: "The DiT whose audio tokenizer encodes the audio input" },
    vae: { type: "VAE", optional: true, description: "The VAE that encodes the audio input" },
  },
  outputs: { song: { type: "SONG" } },
  params: {
    item: param.int({
      default: 0,
      min: 0,
      max: 7,
      description: "Which batch item of the codes to read",
      advanced: true,
    }),
    ...commonParams(),
  },
  output: true,
  cache: true,
  validate: (_p, links) => audioInputIssues(links),
  run: async ({ inputs, params: p }, ctx) => {
    const issue = audioInputIssues({
      codes: inputs.codes ? true : undefined,
      audio: inputs.audio ? true : undefined,
      dit: inputs.dit ? true : undefined,
      vae: inputs.vae ? true : undefined,
    })[0];
    if (issue) throw new NodeError(issue.message, issue.field);
    let codes: number[] | undefined;
    if (inputs.audio && inputs.dit && inputs.vae) {
      ctx.progress({ fraction: 0, message: "encoding the audio to codes" });
      codes = await encodeAudioToCodes(inputs.dit, inputs.vae, inputs.audio, ctx);
      ctx.log(`encoded the audio to ${codes.length} codes (${(codes.length / 5).toFixed(1)} s)`);
    } else codes = inputs.codes ? inputs.codes.codes[p.item] : [];
    if (!codes) throw new NodeError(`the codes have no batch item ${p.item}`, "item");
    const lm = await lmServiceFor(inputs.lm, ctx);
    const r = await lm.understand(codes, runOptions(p, ctx));
    const song = songOf(r);
    return report(r, song, `understood ${codes.length} codes`, p.constrainedDecodingDebug, ctx);
  },
});

export const LmCreateSampleNode = defineNode({
  type: "lm.createSample",
  sessions: { lm: ["lm"] },
  title: "LM Create Sample",
  category: "lm",
  description:
    "create_sample (simple mode): a short description → caption, lyrics and metadata for LM Generate or the conditioning nodes.",
  inputs: { lm: { type: "LM" } },
  outputs: { song: { type: "SONG" } },
  params: {
    query: param.string({
      default: "",
      multiline: true,
      maxLength: 2000,
      description: "What the song should be; empty = NO USER INPUT (a random sample)",
    }),
    instrumental: param.boolean({ default: false, description: "No vocals (lyrics [Instrumental])" }),
    language: lmLanguageParam("unknown", "Vocal language; 'unknown' lets the LM choose"),
    ...commonParams(),
  },
  output: true,
  cache: true,
  run: async ({ inputs, params: p }, ctx) => {
    const lm = await lmServiceFor(inputs.lm, ctx);
    const r = await lm.createSample(p.query, p.instrumental, p.language, runOptions(p, ctx));
    const song = songOf({ ...r, instrumental: p.instrumental });
    return report(r, song, "LM sample", p.constrainedDecodingDebug, ctx);
  },
});

export const LmFormatSampleNode = defineNode({
  type: "lm.formatSample",
  sessions: { lm: ["lm"] },
  title: "LM Format Sample",
  category: "lm",
  description:
    "format_sample: caption + lyrics (+ the metadata you know, kept verbatim) → an enhanced caption, the missing metadata and formatted lyrics.",
  inputs: {
    lm: { type: "LM" },
    song: {
      type: "SONG",
      optional: true,
      description: "Caption, lyrics and metadata to format; they take precedence over the params",
    },
  },
  outputs: { song: { type: "SONG" } },
  params: {
    caption: captionParam(),
    lyrics: lyricsParam(),
    ...metaParams(),
    language: optionalLanguageParam("Vocal language (kept as given); empty = the LM writes it"),
    ...commonParams(),
  },
  validate: (p) => lmMetaIssues(p),
  run: async ({ inputs, params: p }, ctx) => {
    const s = inputs.song;
    const f = resolveTextFields(p, s);
    const lyrics = s?.lyrics?.trim() ? s.lyrics : p.lyrics;
    const language = s?.language || p.language;
    if (f.duration !== null && f.duration > p.maxDuration)
      throw new NodeError(`duration ${f.duration} s is above the LM's cap of ${p.maxDuration} s`, "duration");
    const lm = await lmServiceFor(inputs.lm, ctx);
    const r = await lm.formatSample(
      f.caption,
      lyrics,
      {
        bpm: f.bpm,
        duration: f.duration,
        keyscale: f.keyscale ?? undefined,
        timesignature: f.timesignature ?? undefined,
        language: language || undefined,
      },
      runOptions(p, ctx),
    );
    const song = songOf({ ...r, caption: r.caption || f.caption, instrumental: s?.instrumental });
    return report(r, song, "formatted sample", p.constrainedDecodingDebug, ctx);
  },
  output: true,
  cache: true,
});
