// LM Generate: generate_music's LM part (acestep/inference.py `generate_music`; server/lm/use-cot.ts) — phase 1 writes
// the missing metadata (and caption / language) as a constrained CoT, phase 2 ("thinking") writes exactly duration·5
// audio codes with CFG. Outputs the merged SONG for Text/Lyrics Conditioning and the codes for Cover (text2music with
// LM codes runs as a cover, as upstream).
import { defineNode } from "../define-node";
import { param } from "../params";
import type { SongValue } from "../values";
import { captionParam, lyricsParam, metaParams } from "../ace/song-params";
import { resolveTextFields } from "../ace/text-conditioning";
import { modelsOf } from "../models/loaders";
import { NO_USER_INPUT } from "../../server/lm/prompts";
import { NodeError } from "../errors";
import {
  captionMaxTokensParam,
  debugParam,
  lmLanguageParam,
  lmMetaIssues,
  lmServiceFor,
  maxDurationParam,
  runOptions,
  samplingParams,
  songOf,
} from "./shared";

export const LmGenerateNode = defineNode({
  type: "lm.generate",
  sessions: { lm: ["lm"] },
  title: "LM Generate",
  category: "lm",
  description:
    "The 5 Hz LM as planner: fills the missing metadata (bpm, key, time signature, duration) and optionally the caption and language (use_cot_*), then with thinking on writes 5 audio codes per second for Cover. A connected SONG supplies the user values; the params fill the rest.",
  inputs: {
    lm: { type: "LM" },
    song: {
      type: "SONG",
      optional: true,
      description:
        "User caption, lyrics and metadata (e.g. a Song or LM Create Sample node); they take precedence over the params",
    },
  },
  outputs: {
    song: {
      type: "SONG",
      description: "User values with the LM-filled ones merged in (for Text / Lyrics Conditioning)",
    },
    codes: {
      type: "AUDIO_CODES",
      description: "The LM audio codes (5 per second), one list per batch item; none when thinking is off",
    },
    duration: {
      type: "FLOAT",
      description:
        "Song duration in seconds: the user's, else the LM's; when neither exists a seeded 10–120 s (upstream picks a random one) — link it to Empty Latent's duration",
    },
  },
  params: {
    caption: captionParam(),
    lyrics: lyricsParam(),
    ...metaParams(),
    language: lmLanguageParam("unknown", "Vocal language; 'unknown' lets the LM choose (use_cot_language)"),
    instrumental: param.boolean({ default: false, description: "No vocals: empty lyrics become [Instrumental]" }),
    thinking: param.boolean({
      default: true,
      description: "thinking: generate audio codes (phase 2) for the DiT to follow",
    }),
    useCotMetas: param.boolean({
      default: true,
      description: "use_cot_metas: let the LM write the metadata you left empty",
    }),
    useCotCaption: param.boolean({
      default: true,
      description: "use_cot_caption: the LM rewrites the caption the DiT sees",
    }),
    useCotLanguage: param.boolean({ default: true, description: "use_cot_language: the LM picks the vocal language" }),
    cfgScale: param.float({
      default: 2,
      min: 0,
      max: 100,
      step: 0.1,
      description: "lm_cfg_scale: classifier-free guidance of the code pass (on when > 1)",
    }),
    negativePrompt: param.string({
      default: NO_USER_INPUT,
      maxLength: 2000,
      description: "lm_negative_prompt: the unconditional prompt of CFG ('NO USER INPUT' = the trained default)",
      advanced: true,
    }),
    ...samplingParams(0.9),
    batchSize: param.int({
      default: 1,
      min: 1,
      max: 8,
      description: "Code sequences to sample (metadata is shared; item i uses seed + 1 + i)",
    }),
    captionMaxTokens: captionMaxTokensParam(),
    maxDuration: maxDurationParam(),
    constrainedDecodingDebug: debugParam(),
  },
  validate: (p) => lmMetaIssues(p),
  run: async ({ inputs, params: p }, ctx) => {
    const mm = modelsOf(ctx.services);
    const lm = await lmServiceFor(inputs.lm, ctx);
    const song = inputs.song;
    const f = resolveTextFields(p, song);
    const instrumental = song ? !!song.instrumental : p.instrumental;
    let lyrics = song?.lyrics?.trim() ? song.lyrics : p.lyrics;
    if (!lyrics.trim() && instrumental) lyrics = "[Instrumental]";
    const language = song?.language || p.language;
    const duration = f.duration ?? undefined;
    if (duration !== undefined && duration > p.maxDuration)
      throw new NodeError(`duration ${duration} s is above the LM's cap of ${p.maxDuration} s`, "duration");

    // the memory tier's batch limit with the LM (upstream's generate_music clamp; one code pass at a time, so the
    // batch adds no resident bytes here)
    const fit = mm.fitBatch({
      runId: ctx.runId,
      nodeId: ctx.nodeId,
      nodeType: "lm.generate",
      entry: lm.entry,
      roles: ["lm"],
      batch: p.batchSize,
      itemBytes: 0,
    });
    if (fit.message) {
      ctx.log(fit.message);
      ctx.result({ kind: "text", label: "memory", value: fit.message });
    }
    const r = await lm.generate(
      {
        caption: f.caption,
        lyrics,
        bpm: f.bpm,
        keyscale: f.keyscale ?? "",
        timesignature: f.timesignature ?? "",
        duration: f.duration,
        vocalLanguage: language === "unknown" ? "" : language,
        thinking: p.thinking,
        useCotMetas: p.useCotMetas,
        useCotCaption: p.useCotCaption,
        useCotLanguage: p.useCotLanguage,
      },
      {
        ...runOptions(p, ctx),
        cfgScale: p.cfgScale,
        negativePrompt: p.negativePrompt,
        batchSize: fit.batch,
      },
    );
    if (p.constrainedDecodingDebug) {
      if (r.cot) ctx.log(`phase 1 (${r.cot.tokens} tokens, ${r.cot.stopReason}): ${JSON.stringify(r.cot.text)}`);
      r.codes.forEach((c, i) =>
        ctx.log(`phase 2 item ${i}: ${c.codes.length} codes (target ${c.targetCodes ?? "none"}, ${c.stopReason})`),
      );
    }
    const d = r.dit;
    const out: SongValue = songOf({
      caption: d.caption,
      lyrics: d.lyrics,
      bpm: d.bpm,
      keyscale: d.keyscale,
      timesignature: d.timesignature,
      duration: d.duration,
      language: d.vocalLanguage,
      instrumental,
    });
    const timings = { cotMs: Math.round(r.cot?.ms ?? 0), codesMs: Math.round(r.codes.reduce((s, c) => s + c.ms, 0)) };
    const note = r.plan.runCodes
      ? undefined
      : `${!p.thinking ? "thinking is off" : "the LM is not used"}: no audio codes were generated (the codes output is empty)`;
    if (note) ctx.log(note);
    ctx.result({
      kind: "song",
      label: r.plan.runCodes ? `LM plan + ${r.codes[0]?.codes.length ?? 0} codes` : "LM plan (thinking off: no codes)",
      value: out,
      // audioCodes: the codes themselves, so the editor can show them (not only their count)
      meta: {
        ...r.cotFields,
        ...(note ? { note } : {}),
        phase1: r.plan.runCot,
        codes: r.codes.map((c) => c.codes.length),
        audioCodes: r.codes.map((c) => [...c.codes]),
        ...timings,
      },
    });
    const songSeconds =
      typeof out.duration === "number" && out.duration > 0
        ? Math.min(600, Math.max(10, out.duration))
        : 10 + (Math.abs(Math.trunc(p.seed)) % 111);
    return {
      song: out,
      codes: { codes: r.codes.map((c) => c.codes), demo: mm.demo || undefined },
      duration: songSeconds,
    };
  },
});
