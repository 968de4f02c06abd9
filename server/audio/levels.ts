// Post-decode output level policies (ACE-Step official and ComfyUI) and the silence guard.
// Sources: ace-step/ACE-Step-1.5 acestep/handler.py (post-decode anti-clip: an item whose peak exceeds 1 is divided
// by its peak), acestep/inference.py + audio_utils.is_audio_silent (silence guard); ComfyUI
// comfy_extras/nodes_audio.py vae_decode_audio (divide by max(1, 5·std)).
import { runSteps, runStepsYielding, type Steps } from "../acestep/steps";
import { peakAndRms } from "./analysis";
import type { Audio } from "./types";

/**
 * "ace-peak": official Feb handler — divide by the peak only if it exceeds 1.0 (anti-clip).
 * "ace-normalize": newer official `normalize_audio` — peak to `normalizationDb` (default −1 dBFS),
 *   skipped when the peak is below 1e-6.
 * "comfy-std": ComfyUI `vae_decode_audio` — divide by max(5 · std, 1.0) (std over all samples, unbiased).
 * "none": leave the level alone.
 */
export type LevelPolicy = "ace-peak" | "ace-normalize" | "comfy-std" | "none";

export const SILENT_RMS_THRESHOLD = 1e-5;
export const SILENT_PEAK_THRESHOLD = 1e-5;

export interface LevelResult {
  audio: Audio;
  /** Linear gain that was applied (1 when unchanged). */
  gain: number;
  peak: number;
  rms: number;
  /** Official silence guard on the result: rms ≤ 1e-5 and peak ≤ 1e-5 → do not save. */
  silent: boolean;
}

export function scale(audio: Audio, gain: number): Audio {
  if (gain === 1) return audio;
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.map((x) => x * gain)) };
}

/** Official `is_audio_silent`: silent when rms ≤ threshold AND peak ≤ threshold. */
export function isSilent(
  audio: Audio,
  rmsThreshold = SILENT_RMS_THRESHOLD,
  peakThreshold = SILENT_PEAK_THRESHOLD,
): boolean {
  const { peak, rms } = peakAndRms(audio);
  return rms <= rmsThreshold && peak <= peakThreshold;
}

/** Gain the policy would apply (pure). */
export function levelGain(audio: Audio, policy: LevelPolicy, normalizationDb = -1): number {
  if (policy === "none") return 1;
  if (policy === "comfy-std") return 1 / Math.max(5 * stdDev(audio), 1);
  return peakGain(policy, peakAndRms(audio).peak, normalizationDb);
}

function peakGain(policy: "ace-peak" | "ace-normalize", peak: number, normalizationDb: number): number {
  if (policy === "ace-peak") return peak > 1 ? 1 / peak : 1;
  return peak < 1e-6 ? 1 : 10 ** (normalizationDb / 20) / peak;
}

/**
 * Applies a level policy and evaluates the silence guard on the result. Returns new arrays when gain ≠ 1. One
 * pass over the samples to measure, one more only when the gain is not 1 (scaling and measuring the result
 * together, in the same order as peakAndRms).
 */
export function applyOutputLevels(audio: Audio, policy: LevelPolicy = "ace-peak", normalizationDb = -1): LevelResult {
  return runSteps(levelSteps(audio, policy, normalizationDb));
}

/**
 * applyOutputLevels letting the event loop run every few milliseconds: a 30 s stereo song is 2.9 M samples, 50–100
 * ms per pass on a busy machine, and Save Audio runs on the main thread (HTTP, SSE). The same result, bit for bit.
 */
export function applyOutputLevelsYielding(
  audio: Audio,
  policy: LevelPolicy = "ace-peak",
  normalizationDb = -1,
): Promise<LevelResult> {
  return runStepsYielding(levelSteps(audio, policy, normalizationDb));
}

function* levelSteps(audio: Audio, policy: LevelPolicy, normalizationDb: number): Steps<LevelResult> {
  const before = policy === "ace-peak" || policy === "ace-normalize" ? yield* measureSteps(audio, 1) : undefined;
  const gain = before
    ? peakGain(policy as "ace-peak" | "ace-normalize", before.peak, normalizationDb)
    : levelGain(audio, policy);
  const r = gain === 1 ? (before ?? (yield* measureSteps(audio, 1))) : yield* measureSteps(audio, gain);
  return { ...r, gain, silent: r.rms <= SILENT_RMS_THRESHOLD && r.peak <= SILENT_PEAK_THRESHOLD };
}

/** Samples of one channel measured between two yields of measureSteps (~1–3 ms). */
const STEP_SAMPLES = 1 << 18;

/**
 * peakAndRms of `audio` scaled by `gain` (scale() into new arrays unless the gain is 1): the same float32
 * products, summed in the same order, yielding after every STEP_SAMPLES samples.
 */
function* measureSteps(audio: Audio, gain: number): Steps<{ audio: Audio; peak: number; rms: number }> {
  const out =
    gain === 1
      ? audio
      : { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => new Float32Array(c.length)) };
  let peak = 0;
  let sum = 0;
  let count = 0;
  for (let ch = 0; ch < audio.channels.length; ch++) {
    const c = audio.channels[ch];
    const o = out.channels[ch];
    for (let from = 0; from < c.length; from += STEP_SAMPLES) {
      const to = Math.min(c.length, from + STEP_SAMPLES);
      for (let i = from; i < to; i++) {
        if (o !== c) o[i] = c[i] * gain;
        const x = o[i];
        const a = x < 0 ? -x : x;
        if (a > peak) peak = a;
        sum += x * x;
      }
      yield;
    }
    count += c.length;
  }
  return { audio: out, peak, rms: count ? Math.sqrt(sum / count) : 0 };
}

/** Unbiased standard deviation over all channels and samples (torch.std default). */
export function stdDev(audio: Audio): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const c of audio.channels) {
    for (let i = 0; i < c.length; i++) {
      n++;
      const d = c[i] - mean;
      mean += d / n;
      m2 += d * (c[i] - mean);
    }
  }
  return n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
}
