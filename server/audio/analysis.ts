// Audio measurements (peak, RMS) and a sine test-tone generator.
import { duration, frames, type Audio } from "./types";

export interface AudioInfo {
  duration: number;
  sampleRate: number;
  channels: number;
  frames: number;
  /** max |x| over all channels. */
  peak: number;
  /** sqrt(mean(x²)) over all channels and samples, accumulated in float64. */
  rms: number;
}

export function peakAndRms(audio: Audio): { peak: number; rms: number } {
  let peak = 0;
  let sum = 0;
  let count = 0;
  for (const c of audio.channels) {
    for (let i = 0; i < c.length; i++) {
      const x = c[i];
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
      sum += x * x;
    }
    count += c.length;
  }
  return { peak, rms: count ? Math.sqrt(sum / count) : 0 };
}

export function audioInfo(audio: Audio): AudioInfo {
  return {
    duration: duration(audio),
    sampleRate: audio.sampleRate,
    channels: audio.channels.length,
    frames: frames(audio),
    ...peakAndRms(audio),
  };
}

export interface SineToneOptions {
  /** Hz; one value per channel or one for all. */
  freq: number | number[];
  seconds: number;
  sampleRate?: number;
  amplitude?: number;
  /** Channel count when `freq` is a single number (default 2). */
  channels?: number;
  /** Start phase in radians. */
  phase?: number;
}

/** A sine per channel: amplitude · sin(2π f t + phase), computed in float64. */
export function sineTone(opts: SineToneOptions): Audio {
  const sampleRate = opts.sampleRate ?? 48000;
  const amplitude = opts.amplitude ?? 0.5;
  const freqs = Array.isArray(opts.freq) ? opts.freq : Array(opts.channels ?? 2).fill(opts.freq);
  const n = Math.round(opts.seconds * sampleRate);
  const channels = freqs.map((f) => {
    const c = new Float32Array(n);
    const w = (2 * Math.PI * f) / sampleRate;
    for (let i = 0; i < n; i++) c[i] = amplitude * Math.sin(w * i + (opts.phase ?? 0));
    return c;
  });
  return { sampleRate, channels };
}
