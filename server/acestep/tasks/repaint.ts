// Repaint / lego window arithmetic and the newer repaint injection + crossfade. Ports acestep/handler.py
// `prepare_padding_info` (out-painting pads, shifted bounds) and the chunk-mask / src-latent part of
// `_prepare_batch` (ace-step/ACE-Step-1.5 @ f30aee4), the newer `conditioning_masks._build_chunk_masks_and_src_latents`
// (lego keeps its source), and `repaint_step_injection.py` (`apply_repaint_step_injection`,
// `build_soft_repaint_mask`, `apply_repaint_boundary_blend`) with the `injection_cutoff = round(ratio · steps)`
// rule of `generate_audio`.

import { pyFloorDiv, pyRound } from "../numeric";
import { MIN_LATENT_FRAMES, SAMPLE_RATE, VAE_HOP, torchLinspace } from "../sampling/schedule";

export const REPAINT_CROSSFADE_FRAMES = 10;
export const REPAINT_INJECTION_RATIO = 0.5;

export class RepaintWindowError extends RangeError {
  override name = "RepaintWindowError";
}

export interface RepaintRequest {
  /** Length of the (48 kHz) source audio in samples. */
  srcSamples: number;
  /** repainting_start in seconds; negative = out-paint to the left. null → 0. */
  start?: number | null;
  /** repainting_end in seconds; null or negative (-1) = end of the source; past the end = out-paint right. */
  end?: number | null;
}

export interface RepaintPadding {
  srcSeconds: number;
  leftPadSeconds: number;
  rightPadSeconds: number;
  /** int(pad · 48000) zero samples added on each side of the waveform. */
  leftPadSamples: number;
  rightPadSamples: number;
  paddedSamples: number;
  /** Window bounds in seconds relative to the padded audio. */
  start: number;
  end: number;
}

/**
 * `prepare_padding_info` for repaint/lego with source audio: resolves end = −1/null to the source length,
 * pads max(0, −start) seconds on the left and max(0, end − src) on the right, and shifts both bounds by the
 * left pad. Upstream silently regenerates the whole track when end ≤ start (no window: chunk mask all 1s);
 * we reject that instead.
 */
export function planRepaintPadding(req: RepaintRequest): RepaintPadding {
  if (!Number.isInteger(req.srcSamples) || req.srcSamples <= 0) {
    throw new RepaintWindowError(`repaint needs source audio: srcSamples=${req.srcSamples}`);
  }
  const start = req.start ?? 0;
  const srcSeconds = req.srcSamples / SAMPLE_RATE;
  const end = req.end === null || req.end === undefined || req.end < 0 ? srcSeconds : req.end;
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new RepaintWindowError(`repaint window must be finite: start=${req.start}, end=${req.end}`);
  }
  if (end <= start) {
    throw new RepaintWindowError(
      `repaint window end (${end} s) must be after start (${start} s); upstream would regenerate the whole track`,
    );
  }
  const leftPadSeconds = Math.max(0, -start);
  const rightPadSeconds = Math.max(0, end - srcSeconds);
  const leftPadSamples = Math.trunc(leftPadSeconds * SAMPLE_RATE);
  const rightPadSamples = Math.trunc(rightPadSeconds * SAMPLE_RATE);
  return {
    srcSeconds,
    leftPadSeconds,
    rightPadSeconds,
    leftPadSamples,
    rightPadSamples,
    paddedSamples: req.srcSamples + leftPadSamples + rightPadSamples,
    start: start + leftPadSeconds,
    end: end + leftPadSeconds,
  };
}

/** Latent frames estimated from a sample count (samples // 1920, at least 128); the VAE gives the real T. */
export function framesForSamples(samples: number): number {
  return Math.max(Math.floor(samples / VAE_HOP), MIN_LATENT_FRAMES);
}

export interface FrameWindow {
  /** First generated frame (inclusive). */
  startFrame: number;
  /** End frame (exclusive). */
  endFrame: number;
}

/**
 * `_prepare_batch`: seconds (relative to the padded audio) → frames with `int(s · 48000 // 1920)`, then
 * start clamped to [0, T−1] and end to [start+1, T]. Returns null when end ≤ start (no window → full).
 */
export function windowToFrames(startSeconds: number, endSeconds: number, frames: number): FrameWindow | null {
  if (!(endSeconds > startSeconds)) return null;
  const left = Math.max(0, -startSeconds);
  const s = Math.trunc(pyFloorDiv((startSeconds + left) * SAMPLE_RATE, VAE_HOP));
  const e = Math.trunc(pyFloorDiv((endSeconds + left) * SAMPLE_RATE, VAE_HOP));
  const startFrame = Math.max(0, Math.min(s, frames - 1));
  const endFrame = Math.max(startFrame + 1, Math.min(e, frames));
  return { startFrame, endFrame };
}

/** Chunk mask [T]: 1 = generate, 0 = keep source. All ones without a window. */
export function chunkMask(frames: number, window: FrameWindow | null): Float32Array {
  const m = new Float32Array(frames);
  if (!window) return m.fill(1);
  m.fill(1, window.startFrame, window.endFrame);
  return m;
}

/** Which upstream generation to follow where they differ (lego source latents). */
export type UpstreamEra = "feb" | "newer";

/**
 * Source latents `[T, C]` for repaint/lego: the encoded source with the window replaced by silence-latent
 * frames. Lego: Feb does the same (wiping its own context — a likely bug); newer keeps the source unchanged.
 */
export function windowedSrcLatents(
  target: Float32Array,
  silence: Float32Array,
  channels: number,
  window: FrameWindow,
  task: "repaint" | "lego",
  era: UpstreamEra = "newer",
): Float32Array {
  if (target.length !== silence.length) {
    throw new RangeError(`target latents have ${target.length} values but silence latents ${silence.length}`);
  }
  const out = Float32Array.from(target);
  if (task === "lego" && era === "newer") return out;
  out.set(silence.subarray(window.startFrame * channels, window.endFrame * channels), window.startFrame * channels);
  return out;
}

// ---------------------------------------------------------------- newer: injection + crossfade

/** Repaint mask [T]: true = generate (inside the window), false = preserve the source. */
export function repaintMask(frames: number, window: FrameWindow): Uint8Array {
  const m = new Uint8Array(frames);
  m.fill(1, window.startFrame, window.endFrame);
  return m;
}

/** Injection runs for steps i < round(ratio · N) (Python round: half to even, e.g. 0.5·5 → 2). */
export function injectionCutoff(numSteps: number, ratio: number = REPAINT_INJECTION_RATIO): number {
  return pyRound(ratio * numSteps);
}

/**
 * `apply_repaint_step_injection` for one item `[T, C]`: frames outside the mask become
 * t_next·noise + (1 − t_next)·clean_src (the same initial noise), frames inside keep x. t_next is the time the
 * step just moved to (SDE: its re-noise time).
 */
export function applyRepaintInjection(
  x: Float32Array,
  cleanSrc: Float32Array,
  mask: Uint8Array,
  tNext: number,
  noise: Float32Array,
  channels: number,
): Float32Array {
  const T = mask.length;
  if (x.length !== T * channels || cleanSrc.length !== x.length || noise.length !== x.length) {
    throw new RangeError(`repaint injection expects [${T}, ${channels}] tensors`);
  }
  const a = Math.fround(tNext);
  const b = Math.fround(1 - tNext);
  const out = Float32Array.from(x);
  for (let t = 0; t < T; t++) {
    if (mask[t]) continue;
    for (let c = 0; c < channels; c++) {
      const i = t * channels + c;
      out[i] = Math.fround(Math.fround(a * noise[i]) + Math.fround(b * cleanSrc[i]));
    }
  }
  return out;
}

/**
 * `build_soft_repaint_mask` for one row: 1 inside [left, right), linear ramps of up to `crossfade` frames
 * OUTSIDE the window (`linspace(0, 1, L+2)[1:-1]` rising before it, `linspace(1, 0, L+2)[1:-1]` falling after
 * it), 0 elsewhere. Rows that are all true or all false are returned unchanged.
 */
export function softRepaintMask(mask: Uint8Array, crossfade: number = REPAINT_CROSSFADE_FRAMES): Float32Array {
  const T = mask.length;
  const soft = Float32Array.from(mask);
  if (crossfade <= 0) return soft;
  let left = -1;
  let right = -1;
  for (let t = 0; t < T; t++) {
    if (mask[t]) {
      if (left < 0) left = t;
      right = t + 1;
    }
  }
  if (left < 0 || mask.every((v) => v !== 0)) return soft;
  const fadeStart = Math.max(left - crossfade, 0);
  const leftLen = left - fadeStart;
  if (leftLen > 0) soft.set(torchLinspace(0, 1, leftLen + 2).slice(1, -1), fadeStart);
  const fadeEnd = Math.min(right + crossfade, T);
  const rightLen = fadeEnd - right;
  if (rightLen > 0) soft.set(torchLinspace(1, 0, rightLen + 2).slice(1, -1), right);
  return soft;
}

/** `apply_repaint_boundary_blend` for one item: m·x_gen + (1 − m)·clean_src with the soft mask. */
export function applyBoundaryBlend(
  xGen: Float32Array,
  cleanSrc: Float32Array,
  mask: Uint8Array,
  channels: number,
  crossfade: number = REPAINT_CROSSFADE_FRAMES,
): Float32Array {
  const T = mask.length;
  if (xGen.length !== T * channels || cleanSrc.length !== xGen.length) {
    throw new RangeError(`boundary blend expects [${T}, ${channels}] tensors`);
  }
  const soft = softRepaintMask(mask, crossfade);
  const out = new Float32Array(xGen.length);
  for (let t = 0; t < T; t++) {
    const m = soft[t];
    const n = Math.fround(1 - m);
    for (let c = 0; c < channels; c++) {
      const i = t * channels + c;
      out[i] = Math.fround(Math.fround(m * xGen[i]) + Math.fround(n * cleanSrc[i]));
    }
  }
  return out;
}

// ---------------------------------------------------------------- newest: repaint mode / strength, waveform splice

/** Upstream repaint modes: aggressive regenerates the whole track, conservative keeps the most of the source. */
export const REPAINT_MODES = ["balanced", "conservative", "aggressive"] as const;
export type RepaintMode = (typeof REPAINT_MODES)[number];
export const REPAINT_MAX_CROSSFADE_FRAMES = 25;
export const REPAINT_MAX_WAV_CROSSFADE_SECONDS = 0.05;

export interface RepaintConfig {
  /** repaint_injection_ratio (0 = no injection). */
  injectionRatio: number;
  /** repaint_crossfade_frames of the final latent blend (0 = none). */
  crossfadeFrames: number;
  /** Crossfade of the waveform splice after decoding, in seconds (0 with aggressive: no splice). */
  wavCrossfadeSeconds: number;
}

/**
 * `_resolve_repaint_config` of ace-step/ACE-Step-1.5 acestep/core/generation/handler/generate_music.py @ 01aeee3:
 * aggressive → (0, 0, 0); conservative → (1, 25, 0.05); balanced → inv = 1 − strength (clamped to 0–1),
 * (inv, round(25·inv), 0.05·inv). The defaults (balanced, 0.5) give ratio 0.5, 12 frames, 25 ms.
 */
export function resolveRepaintConfig(mode: RepaintMode = "balanced", strength = 0.5): RepaintConfig {
  const s = Math.max(0, Math.min(1, strength));
  if (mode === "aggressive") return { injectionRatio: 0, crossfadeFrames: 0, wavCrossfadeSeconds: 0 };
  if (mode === "conservative")
    return {
      injectionRatio: 1,
      crossfadeFrames: REPAINT_MAX_CROSSFADE_FRAMES,
      wavCrossfadeSeconds: REPAINT_MAX_WAV_CROSSFADE_SECONDS,
    };
  const inv = 1 - s;
  return {
    injectionRatio: inv,
    crossfadeFrames: pyRound(REPAINT_MAX_CROSSFADE_FRAMES * inv),
    wavCrossfadeSeconds: REPAINT_MAX_WAV_CROSSFADE_SECONDS * inv,
  };
}

/**
 * `_build_waveform_crossfade_mask` (acestep/core/generation/handler/repaint_waveform_splice.py, imported by
 * generate_music.py @ 01aeee3): 1 inside [start, end), linear ramps of `crossfade` samples outside it
 * (linspace(0, 1, L+2)[1:-1] before, linspace(1, 0, L+2)[1:-1] after), 0 elsewhere.
 */
export function waveformSpliceMask(total: number, start: number, end: number, crossfade: number): Float32Array {
  const mask = new Float32Array(total);
  mask.fill(1, start, end);
  if (crossfade <= 0) return mask;
  const fadeStart = Math.max(start - crossfade, 0);
  if (start > fadeStart) mask.set(torchLinspace(0, 1, start - fadeStart + 2).slice(1, -1), fadeStart);
  const fadeEnd = Math.min(end + crossfade, total);
  if (fadeEnd > end) mask.set(torchLinspace(1, 0, fadeEnd - end + 2).slice(1, -1), end);
  return mask;
}

/**
 * `apply_repaint_waveform_splice` for one item: outside the window the decoded audio becomes the source
 * waveform (with a crossfade at the edges), so the VAE's reconstruction error does not touch the kept part.
 * Bounds are int(seconds · rate); a window that covers everything leaves the audio unchanged; samples past the
 * source's length stay as decoded.
 */
export function spliceRepaintWaveform(
  pred: readonly Float32Array[],
  src: readonly Float32Array[],
  o: { startSeconds: number; endSeconds: number; sampleRate: number; crossfadeSeconds: number },
): Float32Array[] {
  const total = Math.min(pred[0].length, src[0].length);
  const start = Math.max(0, Math.min(Math.trunc(o.startSeconds * o.sampleRate), total));
  const end = Math.max(start, Math.min(Math.trunc(o.endSeconds * o.sampleRate), total));
  if (start === 0 && end >= total) return pred.map((c) => c.slice());
  const mask = waveformSpliceMask(total, start, end, Math.trunc(o.crossfadeSeconds * o.sampleRate));
  return pred.map((p, ci) => {
    const s = src[ci % src.length];
    const out = p.slice();
    for (let i = 0; i < total; i++) {
      const m = mask[i];
      // exact source / prediction at 0 / 1 (0 · NaN of a diverged prediction must not leak into the kept part)
      out[i] = m === 0 ? s[i] : m === 1 ? p[i] : Math.fround(Math.fround(m * p[i]) + Math.fround((1 - m) * s[i]));
    }
    return out;
  });
}
