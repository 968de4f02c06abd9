// DiT Sampler: every DiT field of GenerationParams. Runs the condition encoders and packing, the
// cross-attention K/V once per condition, then the sampling loop (turbo tables or base/sft schedule,
// Euler ODE or SDE, CFG with APG/ADG inside the interval, audio_cover_strength, repaint injection).
import { defineNode, type FieldIssue } from "../define-node";
import { param } from "../params";
import { modelsOf } from "../models/loaders";
import { NodeError } from "../errors";
import { CONDITION_ROLES, DitRunner, SAMPLER_ROLES } from "../../server/pipeline/dit-runner";
import { generateLatents } from "../../server/pipeline/generate-latents";
import { isTaskMeta } from "../../server/pipeline/task-latents";
import { resolveSeeds } from "../../server/acestep/sampling/seeds";
import { INFER_METHODS, SAMPLER_MODES } from "../../server/acestep/sampling/solvers";
import { REPAINT_MODES, resolveRepaintConfig, type RepaintConfig } from "../../server/acestep/tasks/repaint";
import { variantSupportsTask } from "../../server/acestep/tasks/instructions";
import type { TaskMeta } from "../../server/pipeline/task-latents";
import type { WaveformSplice } from "../values";

/** What VAE Decode needs to put the source back outside a repaint/lego window (null: nothing to keep). */
function waveformSplice(task: TaskMeta, repaint: RepaintConfig): WaveformSplice | null {
  if (!task.srcAudio || !task.padding || repaint.injectionRatio <= 0) return null;
  const { start, end } = task.padding;
  return { source: task.srcAudio, startSeconds: start, endSeconds: end, crossfadeSeconds: repaint.wavCrossfadeSeconds };
}

export function parseNumberList(s: string): number[] | null {
  if (!s.trim()) return null;
  return s
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
}

export const DitSamplerNode = defineNode({
  type: "ace.ditSampler",
  sessions: { dit: SAMPLER_ROLES },
  sessionPhases: [CONDITION_ROLES, ["dit_step"]],
  title: "DiT Sampler",
  category: "sampling",
  description:
    "Generates latents from text, lyrics and optional timbre conditioning, following the task of the connected latent (Empty Latent, Cover, Repaint, …).",
  inputs: {
    dit: { type: "DIT" },
    text: { type: "CONDITIONING", description: "From Text Conditioning" },
    lyrics: { type: "CONDITIONING", description: "From Lyrics Conditioning" },
    timbre: { type: "CONDITIONING", optional: true, description: "From Reference Timbre (silence when absent)" },
    latent: { type: "LATENT", description: "The task latent (Empty Latent for text2music)" },
  },
  outputs: { latent: { type: "LATENT" } },
  params: {
    seed: param.seed({
      description: "Seed of the first item (-1 = random every run); item i uses seed + i unless seeds are given",
    }),
    batchSize: param.int({ default: 1, min: 1, max: 8, description: "Songs generated at once (batch_size)" }),
    steps: param.int({
      default: 0,
      min: 0,
      max: 200,
      ui: "slider",
      description: "inference_steps (base/sft 1–200; turbo always runs its 8 fixed steps); 0 = the model default",
    }),
    guidanceScale: param.float({
      default: 7,
      min: 1,
      max: 20,
      step: 0.5,
      ui: "slider",
      description: "guidance_scale (CFG, base/sft only; turbo ignores it)",
    }),
    useAdg: param.boolean({ default: false, description: "use_adg: adaptive projected guidance (ADG) instead of APG" }),
    cfgIntervalStart: param.float({
      default: 0,
      min: 0,
      max: 1,
      step: 0.05,
      description: "cfg_interval_start: guidance applies for t in [start, end]",
      advanced: true,
    }),
    cfgIntervalEnd: param.float({
      default: 1,
      min: 0,
      max: 1,
      step: 0.05,
      description: "cfg_interval_end",
      advanced: true,
    }),
    shift: param.float({
      default: 3,
      min: 1,
      max: 5,
      step: 0.1,
      description: "Timestep shift (turbo snaps to 1, 2 or 3)",
    }),
    inferMethod: param.enum(INFER_METHODS, { default: "ode", description: "infer_method: ode (Euler) or sde" }),
    samplerMode: param.enum(SAMPLER_MODES, {
      default: "euler",
      description:
        "sampler_mode (newer upstream): euler, or heun — 2nd-order ODE steps with a second DiT call each (sde ignores it)",
    }),
    coverNoiseStrength: param.float({
      default: 0,
      min: 0,
      max: 1,
      step: 0.05,
      description:
        "cover_noise_strength (newer upstream): 0 starts from noise; s > 0 starts from the source latents re-noised to the schedule time nearest 1 − s and skips the earlier steps (1 = closest to the source)",
      advanced: true,
    }),
    timesteps: param.string({
      default: "",
      maxLength: 2000,
      description: "Custom timesteps, comma-separated (turbo snaps them to the valid set; sft uses them verbatim)",
      advanced: true,
    }),
    seeds: param.string({
      default: "",
      maxLength: 200,
      description: "Per-item seeds, comma-separated (padded with random seeds), overriding seed",
      advanced: true,
    }),
    repaintMode: param.enum(REPAINT_MODES, {
      default: "balanced",
      description:
        "Repaint/lego: keep the source outside the window (balanced, conservative) or regenerate everything (aggressive, the Feb 2026 behaviour)",
    }),
    repaintStrength: param.float({
      default: 0.5,
      min: 0,
      max: 1,
      step: 0.05,
      ui: "slider",
      description:
        "Balanced repaint: 0 keeps the most of the source (injection all steps, 25-frame crossfade), 1 the least",
      advanced: true,
    }),
  },
  validate: (p) => {
    const issues: FieldIssue[] = [];
    if (p.cfgIntervalStart > p.cfgIntervalEnd)
      issues.push({
        field: "cfgIntervalEnd",
        message: `cfg_interval_end (${p.cfgIntervalEnd}) must not be below cfg_interval_start (${p.cfgIntervalStart})`,
        received: p.cfgIntervalEnd,
      });
    const ts = parseNumberList(p.timesteps);
    if (ts && ts.some((t) => !Number.isFinite(t) || t < 0 || t > 1))
      issues.push({
        field: "timesteps",
        message: "timesteps must be numbers in [0, 1], comma-separated",
        received: p.timesteps,
      });
    const seeds = parseNumberList(p.seeds);
    if (seeds && seeds.some((s) => !Number.isInteger(s)))
      issues.push({ field: "seeds", message: "seeds must be whole numbers, comma-separated", received: p.seeds });
    return issues;
  },
  run: async ({ inputs, params }, ctx) => {
    const mm = modelsOf(ctx.services);
    const runner = new DitRunner(mm, await mm.find("dit", inputs.dit.id), inputs.dit.loras ?? []);
    const task = inputs.latent.meta;
    if (!isTaskMeta(task))
      throw new NodeError(
        "the latent is not a task latent: connect Empty Latent, Cover, Repaint, Lego, Extract Stem or Complete (a VAE Encode latent has no task)",
        "latent",
      );
    if (!variantSupportsTask(runner.variant, task.task))
      throw new NodeError(`${task.task} needs a base DiT; "${runner.entry.name}" is ${runner.variant}`, "dit");
    const repaint = resolveRepaintConfig(params.repaintMode, params.repaintStrength);
    for (const note of task.notes ?? []) ctx.log(note);
    const text = inputs.text.tensors.text_hidden;
    const lyr = inputs.lyrics.tensors.lyric_embeddings;
    if (!text) throw new NodeError("this is not a Text Conditioning output", "text");
    if (!lyr) throw new NodeError("this is not a Lyrics Conditioning output", "lyrics");
    if ((inputs.text.meta as { instruction?: string } | undefined)?.instruction !== task.instruction)
      ctx.log(
        `note: the text was encoded with instruction "${(inputs.text.meta as { instruction?: string })?.instruction}" but the latent's task is "${task.instruction}" — connect the latent to Text Conditioning`,
      );
    const tim = inputs.timbre?.tensors.timbre_latents;
    const nc = inputs.text.tensors.text_hidden_noncover;
    // Explicit per-item seeds follow upstream (padded with random seeds when short); otherwise item i
    // uses seed + i, so a fixed seed reproduces the whole batch.
    const items = task.items ?? 1;
    if (items > 1 && params.batchSize !== 1 && params.batchSize !== items)
      throw new NodeError(
        `the latent holds ${items} items (one per code list); set batchSize to ${items} or 1`,
        "batchSize",
      );
    // the memory budget: the tier's batch limit, then what fits next to the sampler's sessions (a message says so)
    const encoderLength = text.shape[1] + lyr.shape[1] + 1;
    const fit = mm.fitBatch({
      runId: ctx.runId,
      nodeId: ctx.nodeId,
      nodeType: "ace.ditSampler",
      entry: runner.entry,
      roles: SAMPLER_ROLES,
      phases: [CONDITION_ROLES, ["dit_step"]],
      batch: items > 1 ? items : params.batchSize,
      itemBytes: runner.itemBytes(task.frames, encoderLength),
    });
    const notes = [...(task.notes ?? [])];
    if (fit.message) {
      notes.push(fit.message);
      ctx.log(fit.message);
      ctx.result({ kind: "text", label: "memory", value: fit.message });
    }
    const batch = fit.batch;
    const seedList = parseNumberList(params.seeds);
    const seeds = seedList
      ? resolveSeeds({ batchSize: batch, seeds: seedList, useRandomSeed: false }).seeds
      : Array.from({ length: batch }, (_, i) => (params.seed + i) % 2 ** 32);
    const kept =
      batch < items ? { ...task, items: batch, context: task.context.slice(0, batch * task.frames * 128) } : task;
    const r = await generateLatents(
      runner,
      {
        textHidden: text.data,
        textLength: text.shape[1],
        textHiddenNonCover: nc?.data,
        textLengthNonCover: nc?.shape[1],
        lyricEmbeds: lyr.data,
        lyricLength: lyr.shape[1],
        timbreLatents: tim ? { data: tim.data, refs: tim.shape[0], frames: tim.shape[1] } : undefined,
      },
      kept,
      {
        batch,
        seeds,
        steps: params.steps || undefined,
        shift: params.shift,
        timesteps: parseNumberList(params.timesteps),
        inferMethod: params.inferMethod,
        samplerMode: params.samplerMode,
        coverNoiseStrength: params.coverNoiseStrength,
        guidanceScale: params.guidanceScale,
        useAdg: params.useAdg,
        cfgIntervalStart: params.cfgIntervalStart,
        cfgIntervalEnd: params.cfgIntervalEnd,
        repaint: repaint.injectionRatio > 0 || repaint.crossfadeFrames > 0 ? repaint : null,
      },
      {
        signal: ctx.signal,
        onStep: (i, n, t) => ctx.progress({ step: i, total: n, message: `t = ${t.toFixed(3)}` }),
        log: (m) => ctx.log(m),
      },
    );
    // The seed of each batch item, for the editor's results gallery (item i of the saved audio).
    ctx.result({ kind: "value", label: "seeds", value: [...r.seeds], meta: { seeds: [...r.seeds] } });
    return {
      latent: {
        data: r.latents,
        shape: [batch, task.frames, 64],
        meta: {
          kind: "generated",
          task: task.task,
          seeds: r.seeds,
          variant: runner.variant,
          splice: waveformSplice(task, repaint),
          notes,
        },
        demo: mm.demo || inputs.latent.demo,
      },
    };
  },
});
