// Test helpers: SNR, lag search, tone frequency check, and a WAV header builder for corrupt-file tests.
import type { Audio } from "./types";

/** 10·log10(Σref² / Σ(test−ref)²) over [start, end) of the reference. */
export function snrDb(ref: Float32Array, test: Float32Array, start = 0, end = ref.length, lag = 0): number {
  let s = 0;
  let e = 0;
  for (let i = start; i < end; i++) {
    const r = ref[i];
    const d = (test[i + lag] ?? 0) - r;
    s += r * r;
    e += d * d;
  }
  return e === 0 ? Infinity : 10 * Math.log10(s / e);
}

/** Lag (0…maxLag) at which `test` best matches `ref`, by cross-correlation on a window. */
export function bestLag(ref: Float32Array, test: Float32Array, maxLag: number, start = 0, len = 8192): number {
  let best = 0;
  let bestVal = -Infinity;
  for (let lag = 0; lag <= maxLag; lag++) {
    let acc = 0;
    for (let i = start; i < start + len; i++) acc += ref[i] * (test[i + lag] ?? 0);
    if (acc > bestVal) {
      bestVal = acc;
      best = lag;
    }
  }
  return best;
}

/** Power of `freq` in the signal (Goertzel), normalised so a full-length sine of amplitude A gives ≈ A²/4. */
export function tonePower(x: Float32Array, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const k = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / (x.length * x.length);
}

/** Of the candidate frequencies, the one with the most power. */
export function dominant(x: Float32Array, rate: number, candidates: number[]): number {
  return candidates.reduce((a, f) => (tonePower(x, f, rate) > tonePower(x, a, rate) ? f : a));
}

export interface WavSpec {
  formatTag?: number;
  channels: number;
  sampleRate: number;
  bits: number;
  blockAlign?: number;
  /** Declared data size (default: the real size). */
  dataSize?: number;
  data: Uint8Array;
  /** Extra chunks before 'data'. */
  extraChunks?: { id: string; body: Uint8Array; pad?: boolean }[];
}

/** Hand-built WAV bytes, for headers no sane writer would produce. */
export function buildWav(spec: WavSpec): Uint8Array {
  const parts: number[] = [];
  const push32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const push16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  const pushId = (s: string) => parts.push(...Array.from(s, (c) => c.charCodeAt(0)));
  pushId("RIFF");
  push32(0);
  pushId("WAVE");
  pushId("fmt ");
  push32(16);
  push16(spec.formatTag ?? 1);
  push16(spec.channels);
  push32(spec.sampleRate);
  const align = spec.blockAlign ?? spec.channels * Math.ceil(spec.bits / 8);
  push32(spec.sampleRate * align);
  push16(align);
  push16(spec.bits);
  for (const c of spec.extraChunks ?? []) {
    pushId(c.id);
    push32(c.body.length);
    parts.push(...c.body);
    if (c.body.length % 2 && c.pad !== false) parts.push(0);
  }
  pushId("data");
  push32(spec.dataSize ?? spec.data.length);
  const head = Uint8Array.from(parts);
  const out = new Uint8Array(head.length + spec.data.length);
  out.set(head);
  out.set(spec.data, head.length);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

/** Interleaved 16-bit PCM of an Audio (no clamping checks; test data only). */
export function pcm16(audio: Audio): Uint8Array {
  const ch = audio.channels.length;
  const n = audio.channels[0].length;
  const out = new Uint8Array(n * ch * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < ch; c++) v.setInt16((i * ch + c) * 2, Math.round(audio.channels[c][i] * 32767), true);
  return out;
}

/** Linear sweep f0 → f1 Hz: unlike a steady sine, its cross-correlation has one clear peak. */
export function chirp(seconds: number, f0: number, f1: number, rate = 48000, amplitude = 0.5): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    out[i] = amplitude * Math.sin(2 * Math.PI * (f0 * t + (k * t * t) / 2));
  }
  return out;
}
