// Task latents (acestep/handler.py `_prepare_batch`, `prepare_padding_info`): what each task puts in the DiT context — source latents (silence,
// code hints, VAE of the source, or its FSQ-bottlenecked version) and the chunk mask — plus the
// instruction. The result is a LATENT whose `meta` the DiT Sampler and Text Conditioning read.
import type { AudioValue, LatentValue } from "../../nodes/values";
import type { TaskType } from "../acestep/tasks/instructions";
import {
  generateInstruction,
  DEFAULT_DIT_INSTRUCTION,
  formatInstruction,
  TASK_INSTRUCTIONS,
} from "../acestep/tasks/instructions";
import {
  chunkMask,
  planRepaintPadding,
  windowToFrames,
  windowedSrcLatents,
  framesForSamples,
  type FrameWindow,
  type RepaintPadding,
} from "../acestep/tasks/repaint";
import { MIN_LATENT_FRAMES, SAMPLE_RATE, VAE_HOP, latentFramesForCodes } from "../acestep/sampling/schedule";
import type { DitRunner } from "./dit-runner";
import type { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";
import { vaeEncode } from "./vae";

export interface TaskMeta {
  kind: "task";
  task: TaskType;
  instruction: string;
  frames: number;
  /** [items, T, 128]: source latents ⊕ chunk mask; one item is broadcast over the batch by the sampler. */
  context: Float32Array;
  /** Items in `context` (1 unless per-item sources, e.g. one LM code list per batch item). */
  items?: number;
  /** audio_cover_strength < 1: the text2music conditioning used after int(N·strength) steps. */
  coverStrength: number;
  nonCover?: { instruction: string; context: Float32Array };
  /** Repaint/lego window in frames, and the clean source for the (newer) injection. */
  window?: FrameWindow;
  cleanSrc?: Float32Array;
  padding?: RepaintPadding;
  /** Length adjustments the user should hear about (minimum length, rounding): the run log and the result say them. */
  notes?: string[];
  /** The (padded) source waveform of a repaint/lego window, for the waveform splice after decoding. */
  srcAudio?: AudioValue;
  /**
   * `[items, T, 64]` src_latents for cover_noise_strength where they differ from the context's source channels:
   * cover from audio keeps the source's VAE latents here (upstream's src_latents; the context holds the FSQ
   * bottleneck of them).
   */
  noiseSrc?: Float32Array;
  srcKind: "silence" | "code-hints" | "source-tokenized" | "source" | "source-window-silenced";
}

export function isTaskMeta(m: unknown): m is TaskMeta {
  return !!m && (m as TaskMeta).kind === "task";
}

/** [T,64] src ⊕ [T] mask (broadcast to 64 channels) → [T,128] */
export function buildContext(src: Float32Array, mask: Float32Array): Float32Array {
  const T = mask.length;
  const out = new Float32Array(T * 128);
  for (let t = 0; t < T; t++) {
    out.set(src.subarray(t * 64, t * 64 + 64), t * 128);
    out.fill(mask[t], t * 128 + 64, t * 128 + 128);
  }
  return out;
}

/** A note when the latent is longer than the source because of the 128-frame minimum (upstream pads the same way). */
export function minimumLengthNote(srcSamples: number, frames: number): string[] {
  const srcFrames = Math.ceil(srcSamples / VAE_HOP);
  if (frames <= srcFrames || frames !== MIN_LATENT_FRAMES) return [];
  const s = (n: number) => `${n.toFixed(2)} s`;
  return [
    `the source is ${s(srcSamples / SAMPLE_RATE)}; latents have at least ${MIN_LATENT_FRAMES} frames, so the result is ${s((frames * VAE_HOP) / SAMPLE_RATE)} long`,
  ];
}

function latentOf(src: Float32Array, meta: TaskMeta, demo: boolean): LatentValue {
  return { data: src, shape: [1, meta.frames, 64], meta: meta as unknown as Record<string, unknown>, demo };
}

function silenceContext(runner: DitRunner, T: number): Float32Array {
  return buildContext(runner.silenceFrames(T), chunkMask(T, null));
}

/** text2music: silence source, chunk mask all ones. */
export function text2musicLatent(runner: DitRunner, frames: number): LatentValue {
  const src = runner.silenceFrames(frames);
  return latentOf(
    src,
    {
      kind: "task",
      task: "text2music",
      instruction: formatInstruction(generateInstruction("text2music")),
      frames,
      context: buildContext(src, chunkMask(frames, null)),
      coverStrength: 1,
      srcKind: "silence",
    },
    runner.mm.demo,
  );
}

/** Pads [T0,64] latents with silence frames to T frames (or crops). */
function fitFrames(runner: DitRunner, lat: Float32Array, T: number): Float32Array {
  const T0 = lat.length / 64;
  if (T0 === T) return lat;
  const out = runner.silenceFrames(T);
  out.set(lat.subarray(0, Math.min(T0, T) * 64));
  return out;
}

function withCoverStrength(runner: DitRunner, meta: TaskMeta, strength: number): TaskMeta {
  if (strength >= 1) return meta;
  return {
    ...meta,
    coverStrength: strength,
    nonCover: { instruction: formatInstruction(DEFAULT_DIT_INSTRUCTION), context: silenceContext(runner, meta.frames) },
  };
}

/** Cover from codes: detokenized hints (T = max(5·codes, 128)); several code lists give one item each. */
export async function coverFromCodes(
  runner: DitRunner,
  codes: number[] | number[][],
  strength: number,
  signal?: AbortSignal,
): Promise<LatentValue> {
  const lists = (Array.isArray(codes[0]) ? codes : [codes]) as number[][];
  const frames = Math.max(...lists.map((c) => latentFramesForCodes(c.length)));
  const srcs: Float32Array[] = [];
  for (const c of lists) srcs.push(fitFrames(runner, await runner.detokenize([c], signal), frames));
  const mask = chunkMask(frames, null);
  const context = new Float32Array(lists.length * frames * 128);
  srcs.forEach((s, i) => context.set(buildContext(s, mask), i * frames * 128));
  const meta: TaskMeta = {
    kind: "task",
    task: "cover",
    instruction: formatInstruction(TASK_INSTRUCTIONS.cover),
    frames,
    context,
    items: lists.length,
    coverStrength: 1,
    srcKind: "code-hints",
  };
  const data = new Float32Array(lists.length * frames * 64);
  srcs.forEach((s, i) => data.set(s, i * frames * 64));
  return {
    data,
    shape: [lists.length, frames, 64],
    meta: withCoverStrength(runner, meta, strength) as unknown as Record<string, unknown>,
    demo: runner.mm.demo,
  };
}

/** VAE latents of a source [T,64] (batch item 0), padded to a multiple of 5 frames with silence for the tokenizer. */
async function encodeSource(
  mm: ModelManager,
  vae: ManifestEntry,
  audio: AudioValue,
  signal?: AbortSignal,
): Promise<{ lat: Float32Array; frames: number }> {
  const l = await vaeEncode(mm, vae, audio, { signal });
  return { lat: l.data.subarray(0, l.shape[1] * 64), frames: l.shape[1] };
}

/** The source through the FSQ bottleneck: tokenize → detokenize (handler `convert_src_audio_to_codes`: cover from audio). */
async function bottleneck(
  runner: DitRunner,
  lat: Float32Array,
  T: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const T5 = Math.ceil(T / 5) * 5;
  const padded = fitFrames(runner, lat, T5);
  const [codes] = await runner.tokenize(padded, 1, T5, signal);
  const hints = await runner.detokenize([codes], signal);
  return fitFrames(runner, hints, T);
}

export async function audioToCodes(
  runner: DitRunner,
  vae: ManifestEntry,
  audio: AudioValue,
  signal?: AbortSignal,
): Promise<number[]> {
  const { lat, frames } = await encodeSource(runner.mm, vae, audio, signal);
  const T5 = Math.ceil(frames / 5) * 5;
  const [codes] = await runner.tokenize(fitFrames(runner, lat, T5), 1, T5, signal);
  return codes;
}

export async function coverFromAudio(
  runner: DitRunner,
  vae: ManifestEntry,
  audio: AudioValue,
  strength: number,
  signal?: AbortSignal,
): Promise<LatentValue> {
  const { lat, frames: T0 } = await encodeSource(runner.mm, vae, audio, signal);
  const frames = Math.max(T0, 128);
  const raw = fitFrames(runner, lat, frames);
  const src = await bottleneck(runner, raw, frames, signal);
  const meta: TaskMeta = {
    kind: "task",
    task: "cover",
    instruction: formatInstruction(TASK_INSTRUCTIONS.cover),
    frames,
    context: buildContext(src, chunkMask(frames, null)),
    coverStrength: 1,
    srcKind: "source-tokenized",
    noiseSrc: raw,
    notes: minimumLengthNote(audio.channels[0].length, frames),
  };
  return latentOf(src, withCoverStrength(runner, meta, strength), runner.mm.demo);
}

/** The audio with silence around it; the same object when there is none (so its VAE encode is reused). */
function padAudio(audio: AudioValue, left: number, right: number): AudioValue {
  if (left === 0 && right === 0) return audio;
  const ch = audio.channels.map((c) => {
    const out = new Float32Array(left + c.length + right);
    out.set(c, left);
    return out;
  });
  return { sampleRate: audio.sampleRate, channels: ch, demo: audio.demo };
}

/** Repaint and lego: out-painting pads, window chunk mask, source with the window silenced (Feb). */
export async function windowTask(
  runner: DitRunner,
  vae: ManifestEntry,
  audio: AudioValue,
  o: { task: "repaint" | "lego"; start: number; end: number | null; track?: string; era?: "feb" | "newer" },
  signal?: AbortSignal,
): Promise<LatentValue> {
  const srcSamples = audio.channels[0].length;
  const padding = planRepaintPadding({ srcSamples, start: o.start, end: o.end });
  const padded = padAudio(audio, padding.leftPadSamples, padding.rightPadSamples);
  const { lat, frames: T0 } = await encodeSource(runner.mm, vae, padded, signal);
  const frames = Math.max(T0, framesForSamples(padding.paddedSamples), 128);
  const full = fitFrames(runner, lat, frames);
  const window = windowToFrames(padding.start, padding.end, frames);
  if (!window) throw new RangeError(`the window ${o.start}–${o.end ?? "end"} s covers no latent frame`);
  const src = windowedSrcLatents(full, runner.silenceFrames(frames), 64, window, o.task, o.era ?? "feb");
  const instruction = formatInstruction(generateInstruction(o.task, { trackName: o.track ?? null }));
  const meta: TaskMeta = {
    kind: "task",
    task: o.task,
    instruction,
    frames,
    context: buildContext(src, chunkMask(frames, window)),
    coverStrength: 1,
    window,
    cleanSrc: full,
    padding,
    srcAudio: padded,
    notes: minimumLengthNote(padding.paddedSamples, frames),
    srcKind: o.task === "lego" && o.era === "newer" ? "source" : "source-window-silenced",
  };
  return latentOf(src, meta, runner.mm.demo);
}

/** Extract (one stem) and complete (add stems): the source as context, chunk mask all ones. */
export async function sourceTask(
  runner: DitRunner,
  vae: ManifestEntry,
  audio: AudioValue,
  o: { task: "extract" | "complete"; tracks: string[] },
  signal?: AbortSignal,
): Promise<LatentValue> {
  const { lat, frames: T0 } = await encodeSource(runner.mm, vae, audio, signal);
  const frames = Math.max(T0, 128);
  const src = fitFrames(runner, lat, frames);
  const instruction = formatInstruction(
    generateInstruction(o.task, { trackName: o.tracks[0] ?? null, completeTrackClasses: o.tracks }),
  );
  const meta: TaskMeta = {
    kind: "task",
    task: o.task,
    instruction,
    frames,
    context: buildContext(src, chunkMask(frames, null)),
    coverStrength: 1,
    srcKind: "source",
    notes: minimumLengthNote(audio.channels[0].length, frames),
  };
  return latentOf(src, meta, runner.mm.demo);
}
