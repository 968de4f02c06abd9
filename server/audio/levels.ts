// Post-decode output level policies (ACE-Step official and ComfyUI) and the silence guard.
// Sources: ace-step/ACE-Step-1.5 acestep/handler.py (post-decode anti-clip: an item whose peak exceeds 1 is divided
// by its peak), acestep/inference.py + audio_utils.is_audio_silent (silence guard); ComfyUI
// comfy_extras/nodes_audio.py vae_decode_audio (divide by max(1, 5·std)).
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
  const { peak } = peakAndRms(audio);
  if (policy === "ace-peak") return peak > 1 ? 1 / peak : 1;
  return peak < 1e-6 ? 1 : 10 ** (normalizationDb / 20) / peak;
}

/** Applies a level policy and evaluates the silence guard on the result. Returns new arrays when gain ≠ 1. */
export function applyOutputLevels(audio: Audio, policy: LevelPolicy = "ace-peak", normalizationDb = -1): LevelResult {
  const gain = levelGain(audio, policy, normalizationDb);
  const out = scale(audio, gain);
  const { peak, rms } = peakAndRms(out);
  return { audio: out, gain, peak, rms, silent: rms <= SILENT_RMS_THRESHOLD && peak <= SILENT_PEAK_THRESHOLD };
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
