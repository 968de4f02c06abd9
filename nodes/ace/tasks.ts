// Task nodes: each builds the latent a task samples from — source latents, chunk mask and
// instruction (server/pipeline/task-latents.ts) — for the DiT Sampler and Text Conditioning to read.
import { defineNode, type LinkedNodeInfo, type FieldIssue } from "../define-node";
import { param } from "../params";
import { modelsOf } from "../models/loaders";
import { NodeError } from "../errors";
import { DitRunner } from "../../server/pipeline/dit-runner";
import {
  audioToCodes,
  coverFromAudio,
  coverFromCodes,
  sourceTask,
  text2musicLatent,
  windowTask,
} from "../../server/pipeline/task-latents";
import { latentFramesForDuration } from "../../server/acestep/sampling/schedule";
import { TRACK_NAMES, variantSupportsTask, type TaskType } from "../../server/acestep/tasks/instructions";
import { ditVariant } from "../../server/models/catalog";
import type { NodeContext } from "../define-node";
import type { AudioValue, ModelHandle } from "../values";

async function runnerFor(dit: ModelHandle, ctx: NodeContext): Promise<DitRunner> {
  const mm = modelsOf(ctx.services);
  return new DitRunner(mm, await mm.find("dit", dit.id));
}

async function vaeFor(vae: ModelHandle, ctx: NodeContext) {
  return modelsOf(ctx.services).find("vae", vae.id);
}

/**
 * Refuses a task the DiT variant cannot run (TASKS_BY_VARIANT: lego, extract and complete need base) at validation,
 * where the loader's folder name tells the variant, and at run time.
 */
function baseOnly(task: TaskType, links: { dit?: LinkedNodeInfo }): FieldIssue[] {
  const d = links.dit;
  if (d?.type === "models.dit") {
    const name = String(d.params.name ?? "");
    if (name === "" || !variantSupportsTask(ditVariant(name, {}), task))
      return [
        {
          field: "dit",
          message: `${task} needs a base DiT (acestep-v15-base); ${name || "the default turbo model"} does not support it — set the Load DiT node's name`,
        },
      ];
  }
  return [];
}

function checkBase(task: TaskType, runner: DitRunner): void {
  if (!variantSupportsTask(runner.variant, task))
    throw new NodeError(`${task} needs a base DiT; "${runner.entry.name}" is ${runner.variant}`, "dit");
}

const startParam = () =>
  param.float({
    default: 0,
    min: -600,
    max: 600,
    step: 0.1,
    description: "Window start in seconds (negative = out-paint before the song)",
  });
const endParam = () =>
  param.float({
    default: -1,
    min: -1,
    max: 1200,
    step: 0.1,
    description: "Window end in seconds (-1 = the end of the source; past the end = out-paint)",
  });
const windowIssues = (p: { start: number; end: number }): FieldIssue[] =>
  p.end !== -1 && p.end <= p.start
    ? [{ field: "end", message: `the window end (${p.end} s) must be after its start (${p.start} s)`, received: p.end }]
    : [];
/** Repaint/lego latent; a window that covers no frame is reported on the `end` field. */
async function windowLatent(
  runner: DitRunner,
  inputs: { vae: ModelHandle; audio: AudioValue },
  o: { task: "repaint" | "lego"; start: number; end: number; track?: string },
  ctx: NodeContext,
) {
  try {
    return await windowTask(
      runner,
      await vaeFor(inputs.vae, ctx),
      inputs.audio,
      { task: o.task, track: o.track, start: o.start, end: o.end === -1 ? null : o.end },
      ctx.signal,
    );
  } catch (e) {
    if (e instanceof RangeError) throw new NodeError(e.message, "end");
    throw e;
  }
}
const trackParam = () =>
  param.enum(TRACK_NAMES as unknown as [string, ...string[]], {
    default: TRACK_NAMES[0],
    description: "Stem (track) name",
  });

export const EmptyLatentNode = defineNode({
  type: "ace.emptyLatent",
  title: "Empty Latent",
  category: "latent",
  description:
    "text2music: a latent of the given duration (25 frames/s, at least 128 frames) with silence as the source.",
  inputs: { dit: { type: "DIT" } },
  outputs: { latent: { type: "LATENT" } },
  params: {
    duration: param.float({ default: 30, min: 10, max: 600, step: 1, description: "Duration in seconds (10–600)" }),
  },
  run: async ({ inputs, params }, ctx) => {
    const frames = latentFramesForDuration(params.duration);
    const latent = text2musicLatent(await runnerFor(inputs.dit, ctx), frames);
    const seconds = frames / 25;
    if (Math.abs(seconds - params.duration) > 1e-6) {
      // upstream rounds the duration to 0.1 s and the samples down to whole 1920-sample frames
      (latent.meta as { notes?: string[] }).notes = [
        `duration ${params.duration} s rounded to ${seconds.toFixed(2)} s (whole 40 ms latent frames)`,
      ];
    }
    return { latent };
  },
});

export const CoverNode = defineNode({
  type: "ace.cover",
  sessions: { dit: ["audio_tokenizer", "audio_detokenizer"], vae: ["vae_encoder"] },
  title: "Cover",
  category: "tasks",
  description:
    "Cover: follow source audio (through the tokenizer → detokenizer bottleneck) or audio codes (e.g. from the LM). With codes, text2music becomes a cover as upstream.",
  inputs: {
    dit: { type: "DIT" },
    vae: { type: "VAE", optional: true },
    audio: { type: "AUDIO", optional: true },
    codes: { type: "AUDIO_CODES", optional: true },
  },
  outputs: { latent: { type: "LATENT" } },
  params: {
    audioCoverStrength: param.float({
      default: 1,
      min: 0,
      max: 1,
      step: 0.05,
      ui: "slider",
      description: "audio_cover_strength: the share of steps that follow the source; the rest run as text2music",
    }),
    item: param.int({
      default: -1,
      min: -1,
      max: 7,
      description: "Which code list to follow; -1 = every list, one batch item each (as upstream with LM batches)",
      advanced: true,
    }),
  },
  validate: (_p, links) => {
    if (!links.audio && !links.codes)
      return [{ field: "audio", message: "cover needs source audio or audio codes: connect one" }];
    if (links.audio && !links.codes && !links.vae)
      return [{ field: "vae", message: "cover from audio needs the VAE: connect a Load VAE node" }];
    return [];
  },
  run: async ({ inputs, params }, ctx) => {
    const runner = await runnerFor(inputs.dit, ctx);
    if (inputs.codes) {
      const lists = params.item === -1 ? inputs.codes.codes : [inputs.codes.codes[params.item]];
      if (!lists.length || lists.some((c) => !c?.length))
        throw new NodeError(
          params.item === -1
            ? "the codes are empty (was thinking off?)"
            : `the codes have no batch item ${params.item}`,
          params.item === -1 ? "codes" : "item",
        );
      return { latent: await coverFromCodes(runner, lists, params.audioCoverStrength, ctx.signal) };
    }
    if (!inputs.audio || !inputs.vae)
      throw new NodeError("cover needs source audio (with a VAE) or audio codes", "audio");
    return {
      latent: await coverFromAudio(
        runner,
        await vaeFor(inputs.vae, ctx),
        inputs.audio,
        params.audioCoverStrength,
        ctx.signal,
      ),
    };
  },
});

export const RepaintNode = defineNode({
  type: "ace.repaint",
  sessions: { vae: ["vae_encoder"] },
  title: "Repaint",
  category: "tasks",
  description:
    "Regenerate a time window of the source and keep the rest; a window before 0 or past the end out-paints.",
  inputs: { dit: { type: "DIT" }, vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { latent: { type: "LATENT" } },
  params: { start: startParam(), end: endParam() },
  validate: (p) => windowIssues(p),
  run: async ({ inputs, params }, ctx) => {
    return {
      latent: await windowLatent(
        await runnerFor(inputs.dit, ctx),
        inputs,
        { task: "repaint", start: params.start, end: params.end },
        ctx,
      ),
    };
  },
});

export const LegoNode = defineNode({
  type: "ace.lego",
  sessions: { vae: ["vae_encoder"] },
  title: "Lego",
  category: "tasks",
  description: "Generate one stem (track) inside a window of the source, in context (base models only).",
  inputs: { dit: { type: "DIT" }, vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { latent: { type: "LATENT" } },
  params: { track: trackParam(), start: startParam(), end: endParam() },
  validate: (p, links) => [...windowIssues(p), ...baseOnly("lego", links)],
  run: async ({ inputs, params }, ctx) => {
    const runner = await runnerFor(inputs.dit, ctx);
    checkBase("lego", runner);
    return {
      latent: await windowLatent(
        runner,
        inputs,
        { task: "lego", track: params.track, start: params.start, end: params.end },
        ctx,
      ),
    };
  },
});

export const ExtractNode = defineNode({
  type: "ace.extract",
  sessions: { vae: ["vae_encoder"] },
  title: "Extract Stem",
  category: "tasks",
  description: "Extract one stem (track) from the source (base models only).",
  inputs: { dit: { type: "DIT" }, vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { latent: { type: "LATENT" } },
  params: { track: trackParam() },
  validate: (_p, links) => baseOnly("extract", links),
  run: async ({ inputs, params }, ctx) => {
    const runner = await runnerFor(inputs.dit, ctx);
    checkBase("extract", runner);
    return {
      latent: await sourceTask(
        runner,
        await vaeFor(inputs.vae, ctx),
        inputs.audio,
        { task: "extract", tracks: [params.track] },
        ctx.signal,
      ),
    };
  },
});

export const CompleteNode = defineNode({
  type: "ace.complete",
  sessions: { vae: ["vae_encoder"] },
  title: "Complete",
  category: "tasks",
  description: "Add the named stems to the source (base models only).",
  inputs: { dit: { type: "DIT" }, vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { latent: { type: "LATENT" } },
  params: {
    tracks: param.string({
      default: "drums, bass",
      maxLength: 300,
      description: `Comma-separated stems to add: ${TRACK_NAMES.join(", ")}`,
    }),
  },
  validate: (p, links) => {
    const names = p.tracks
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const bad = names.filter((n) => !(TRACK_NAMES as readonly string[]).includes(n));
    const issues: FieldIssue[] = [];
    if (names.length === 0) issues.push({ field: "tracks", message: "name at least one stem" });
    if (bad.length)
      issues.push({
        field: "tracks",
        message: `unknown stem(s) ${bad.join(", ")}; choose from ${TRACK_NAMES.join(", ")}`,
        received: p.tracks,
      });
    return [...issues, ...baseOnly("complete", links)];
  },
  run: async ({ inputs, params }, ctx) => {
    const runner = await runnerFor(inputs.dit, ctx);
    checkBase("complete", runner);
    const tracks = params.tracks
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    return {
      latent: await sourceTask(
        runner,
        await vaeFor(inputs.vae, ctx),
        inputs.audio,
        { task: "complete", tracks },
        ctx.signal,
      ),
    };
  },
});

/**
 * Audio → 5 Hz codes (VAE encode, then the DiT's audio tokenizer): the one home of the conversion for the
 * Audio to Codes node and LM Understand's audio input (upstream handler.convert_src_audio_to_codes).
 */
export async function encodeAudioToCodes(
  dit: ModelHandle,
  vae: ModelHandle,
  audio: AudioValue,
  ctx: NodeContext,
): Promise<number[]> {
  const runner = await runnerFor(dit, ctx);
  return audioToCodes(runner, await vaeFor(vae, ctx), audio, ctx.signal);
}

export const AudioToCodesNode = defineNode({
  type: "ace.audioToCodes",
  sessions: { dit: ["audio_tokenizer"], vae: ["vae_encoder"] },
  title: "Audio to Codes",
  category: "codes",
  description: "Source audio → VAE → audio tokenizer → 5 Hz FSQ codes (for LM Understand or a cover).",
  inputs: { dit: { type: "DIT" }, vae: { type: "VAE" }, audio: { type: "AUDIO" } },
  outputs: { codes: { type: "AUDIO_CODES" } },
  params: {},
  run: async ({ inputs }, ctx) => {
    const codes = await encodeAudioToCodes(inputs.dit, inputs.vae, inputs.audio, ctx);
    return { codes: { codes: [codes], demo: modelsOf(ctx.services).demo } };
  },
});
