// One DiT generation on converted models: condition encoders + packing, cross-attention K/V once
// per condition (and for the CFG null condition), then the sampling loop with the step graph as
// its velocity. Inputs are the conditioning tensors and a task latent (server/pipeline/task-latents.ts).
import { sampleLatents, type VelocityRequest } from "./diffusion";
import { CONDITION_ROLES, type CrossKv, type DitRunner } from "./dit-runner";
import type { TaskMeta } from "./task-latents";
import type { TensorData } from "../runtime";
import type { InferMethod, SamplerMode } from "../acestep/sampling/solvers";

export interface CondTensors {
  textHidden: Float32Array;
  textLength: number;
  /** Same caption encoded with the text2music instruction (audio_cover_strength < 1). */
  textHiddenNonCover?: Float32Array;
  textLengthNonCover?: number;
  lyricEmbeds: Float32Array;
  lyricLength: number;
  timbreLatents?: { data: Float32Array; refs: number; frames: number };
}

export interface SamplerSettings {
  batch: number;
  seeds: number[];
  steps?: number;
  shift: number;
  timesteps?: number[] | null;
  inferMethod: InferMethod;
  /** sampler_mode (newer upstream): "euler" or "heun" (an ODE option). Default "euler". */
  samplerMode?: SamplerMode;
  /** cover_noise_strength (newer upstream): start from the task's src_latents re-noised to t ≈ 1 − s. Default 0. */
  coverNoiseStrength?: number;
  guidanceScale: number;
  useAdg: boolean;
  cfgIntervalStart: number;
  cfgIntervalEnd: number;
  /** Repaint/lego with a window: injection ratio and final crossfade (null = regenerate everything). */
  repaint: { injectionRatio: number; crossfadeFrames: number } | null;
}

/** Repeats a [1, ...] tensor B times along the batch axis. */
function tile(data: Float32Array, B: number): Float32Array {
  if (B === 1) return data;
  const out = new Float32Array(data.length * B);
  for (let b = 0; b < B; b++) out.set(data, b * data.length);
  return out;
}

function tileKv(kv: CrossKv, B: number): CrossKv {
  const out: CrossKv = {};
  for (const [k, v] of Object.entries(kv))
    out[k] = { type: "float32", dims: [B, ...v.dims.slice(1)], data: tile(v.data as Float32Array, B) } as TensorData;
  return out;
}

/**
 * The src_latents cover_noise_strength blends with, `[B, T, 64]`: the task's own (cover from audio: the VAE
 * latents before the bottleneck), else the source channels of its context (upstream passes the same src_latents
 * to prepare_condition and to the re-noise: silence for text2music, decoded codes, the windowed source).
 */
function noiseSource(task: TaskMeta, B: number): Float32Array {
  const items = task.items ?? 1;
  const T = task.frames;
  let src = task.noiseSrc;
  if (!src) {
    src = new Float32Array(items * T * 64);
    for (let r = 0; r < items * T; r++) src.set(task.context.subarray(r * 128, r * 128 + 64), r * 64);
  }
  return items === B ? src : tile(src, B);
}

export async function generateLatents(
  runner: DitRunner,
  cond: CondTensors,
  task: TaskMeta,
  s: SamplerSettings,
  hooks: { signal?: AbortSignal; onStep?: (i: number, n: number, t: number) => void; log?: (m: string) => void } = {},
): Promise<{ latents: Float32Array; seeds: number[]; warnings: string[] }> {
  const B = s.batch;
  const T = task.frames;
  const signal = hooks.signal;
  const variant = runner.variant;
  const guided = variant !== "turbo" && s.guidanceScale > 1;

  const encMain = await runner.encodeConditions(
    {
      textHidden: cond.textHidden,
      textLength: cond.textLength,
      lyricEmbeds: cond.lyricEmbeds,
      lyricLength: cond.lyricLength,
      timbreLatents: cond.timbreLatents,
    },
    signal,
  );
  const kv: Record<"main" | "nonCover", CrossKv | null> = {
    main: tileKv(await runner.crossKv(encMain.data, 1, encMain.length, signal), B),
    nonCover: null,
  };
  const items = task.items ?? 1;
  if (items !== 1 && items !== B) throw new Error(`the latent holds ${items} items but the batch size is ${B}`);
  const context: Record<"main" | "nonCover", Float32Array | null> = {
    main: items === B ? task.context : tile(task.context, B),
    nonCover: null,
  };
  if (task.nonCover && task.coverStrength < 1) {
    if (!cond.textHiddenNonCover)
      throw new Error(
        "audio_cover_strength < 1 needs the caption encoded with the text2music instruction: connect the Text Conditioning node to this latent",
      );
    const encNc = await runner.encodeConditions(
      {
        textHidden: cond.textHiddenNonCover,
        textLength: cond.textLengthNonCover!,
        lyricEmbeds: cond.lyricEmbeds,
        lyricLength: cond.lyricLength,
        timbreLatents: cond.timbreLatents,
      },
      signal,
    );
    kv.nonCover = tileKv(await runner.crossKv(encNc.data, 1, encNc.length, signal), B);
    context.nonCover = tile(task.nonCover.context, B);
  }
  const nullKv = guided ? tileKv(await runner.nullCrossKv(1, signal), B) : null;
  // conditions packed and cross K/V computed: the condition encoders and the K/V graph are done for this node
  await runner.mm.doneWith(runner.entry, CONDITION_ROLES);

  const velocity = async (req: VelocityRequest): Promise<Float32Array> => {
    const per = B * T * 64;
    const out = new Float32Array(req.x.length);
    for (const [k, branch] of req.branches.entries()) {
      const x = req.x.slice(k * per, (k + 1) * per);
      const ctx = context[req.condition] ?? context.main!;
      const kvs = branch === "null" ? nullKv! : (kv[req.condition] ?? kv.main!);
      out.set(await runner.step(x, B, T, req.t, ctx, kvs, signal), k * per);
    }
    return out;
  };

  const repaint =
    s.repaint && task.window && task.cleanSrc
      ? (() => {
          const mask = new Uint8Array(B * T);
          for (let b = 0; b < B; b++) mask.fill(1, b * T + task.window!.startFrame, b * T + task.window!.endFrame);
          return {
            mask,
            cleanSrc: tile(task.cleanSrc, B),
            injectionRatio: s.repaint!.injectionRatio,
            crossfadeFrames: s.repaint!.crossfadeFrames,
          };
        })()
      : undefined;

  const coverNoise = s.coverNoiseStrength ? { strength: s.coverNoiseStrength, src: noiseSource(task, B) } : undefined;

  const r = await sampleLatents({
    variant,
    batch: B,
    frames: T,
    seeds: s.seeds,
    shift: s.shift,
    steps: s.steps,
    timesteps: s.timesteps,
    inferMethod: s.inferMethod,
    samplerMode: s.samplerMode,
    guidance: {
      scale: s.guidanceScale,
      useAdg: s.useAdg,
      cfgIntervalStart: s.cfgIntervalStart,
      cfgIntervalEnd: s.cfgIntervalEnd,
    },
    coverStrength: task.coverStrength,
    coverNoise,
    repaint,
    velocity,
    signal,
    onStep: (info) => hooks.onStep?.(info.stepIndex + 1, info.numSteps, info.t),
  });
  for (const w of r.warnings) hooks.log?.(w);
  if (coverNoise)
    hooks.log?.(
      `cover_noise_strength ${coverNoise.strength}: started from the source at t = ${r.schedule.timesteps[0].toFixed(4)}, ${r.schedule.timesteps.length - 1} steps`,
    );
  return { latents: r.latents, seeds: r.seeds ?? s.seeds, warnings: r.warnings };
}
