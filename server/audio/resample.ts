// Sample-rate conversion with libsamplerate (wasm): streamed through full() and flushed with zeros,
// so the output length is exactly round(n · out / in) and nothing is lost at the tail.
import LibSampleRate from "@alexanderolsen/libsamplerate-js";
import { assertAudio, describeError, frames, type Audio } from "./types";

const { create, ConverterType } = LibSampleRate;

export type ResampleQuality = "best" | "medium" | "fastest";
const CONVERTER: Record<ResampleQuality, (typeof ConverterType)["SRC_SINC_FASTEST"]> = {
  best: ConverterType.SRC_SINC_BEST_QUALITY,
  medium: ConverterType.SRC_SINC_MEDIUM_QUALITY,
  fastest: ConverterType.SRC_SINC_FASTEST,
};

/** libsamplerate-js copies through a fixed buffer of this many floats; larger inputs take a lossy path. */
const WASM_BUFFER_FLOATS = 1008000;
/** The longest sinc filter (SINC_BEST) spans ~ 200 input samples per side at ratio ≥ 1; the flush pads more. */
const FLUSH_FRAMES = 8192;
const MAX_RATE = 192000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Output length for n input frames: round(n · out / in), computed exactly in integers. */
export function resampledLength(n: number, inRate: number, outRate: number): number {
  const g = gcd(inRate, outRate);
  const num = outRate / g;
  const den = inRate / g;
  return Math.floor((n * num + Math.floor(den / 2)) / den);
}

/**
 * Resamples every channel to `outRate`. Default quality "medium" (SINC_MEDIUM: > 120 dB SNR on a
 * sine, about 2.5× faster than "best"; see bench/audio-io.ts).
 */
export async function resample(audio: Audio, outRate: number, quality: ResampleQuality = "medium"): Promise<Audio> {
  assertAudio(audio);
  const inRate = audio.sampleRate;
  if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || outRate <= 0) {
    throw new RangeError(`resample: rates must be positive integers, got ${inRate} → ${outRate}`);
  }
  if (inRate === outRate) return { sampleRate: outRate, channels: audio.channels.map((c) => c.slice()) };
  // libsamplerate only uses the ratio; reduce the pair so rates above its 192 kHz check still work.
  const g = gcd(inRate, outRate);
  let a = inRate / g;
  let b = outRate / g;
  if (a > MAX_RATE || b > MAX_RATE) {
    const s = MAX_RATE / Math.max(a, b);
    a = Math.max(1, Math.round(a * s));
    b = Math.max(1, Math.round(b * s));
  }
  const ratio = b / a;
  if (ratio > 256 || ratio < 1 / 256)
    throw new RangeError(`resample: ratio ${outRate}/${inRate} is outside libsamplerate's 1/256…256`);

  const ch = audio.channels.length;
  const n = frames(audio);
  const want = resampledLength(n, inRate, outRate);
  const out = audio.channels.map(() => new Float32Array(want));
  const src = await create(ch, a, b, { converterType: CONVERTER[quality] }).catch((err: unknown) => {
    throw new RangeError(
      `resample: libsamplerate refused ${ch} channels ${inRate} → ${outRate}: ${describeError(err)}`,
    );
  });
  try {
    const chunk = Math.max(256, Math.floor((WASM_BUFFER_FLOATS * 0.9) / ch / Math.max(1, ratio)) - 16);
    const buf = new Float32Array(chunk * ch);
    let written = 0;
    const push = (start: number, len: number, zeros: boolean) => {
      const view = buf.subarray(0, len * ch);
      if (zeros) view.fill(0);
      else for (let i = 0, k = 0; i < len; i++) for (let c = 0; c < ch; c++) view[k++] = audio.channels[c][start + i];
      const y = src.full(view);
      const got = y.length / ch;
      const use = Math.min(got, want - written);
      for (let i = 0, k = 0; i < use; i++) for (let c = 0; c < ch; c++, k++) out[c][written + i] = y[k];
      written += use;
    };
    for (let s = 0; s < n; s += chunk) push(s, Math.min(chunk, n - s), false);
    const flush = Math.ceil(FLUSH_FRAMES * Math.max(1, 1 / ratio));
    for (let left = flush; left > 0 && written < want; left -= chunk) push(0, Math.min(chunk, left), true);
    if (written < want) throw new Error(`resample: produced ${written} of ${want} frames`);
  } finally {
    src.destroy();
  }
  return { sampleRate: outRate, channels: out };
}
