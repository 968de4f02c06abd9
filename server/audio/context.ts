// Shared decode plumbing: per-file context, limit checks, channel picking, guarded wasm decoding.
import { AudioDecodeError, describeError } from "./types";

/** Limits are sanity bounds for "absurd header" detection, not codec limits. */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768000;
export const MAX_CHANNELS = 256;

export interface DecodeContext {
  /** File name used in every error and warning. */
  name: string;
  maxSeconds: number;
  allowTruncated: boolean;
  warnings: string[];
}

/** What a format decoder hands back: ≤ 2 channels (L,R or mono) at the source rate. */
export interface DecodedSource {
  format: string;
  sampleRate: number;
  /** Channel count in the file (before picking L/R). */
  sourceChannels: number;
  channels: Float32Array[];
  bitDepth?: number;
}

export function fail(ctx: DecodeContext, reason: string, cause?: unknown): never {
  throw new AudioDecodeError(ctx.name, reason, cause === undefined ? undefined : { cause });
}

/** A truncated file is an error unless the caller allowed decoding what is there. */
export function truncated(ctx: DecodeContext, reason: string): void {
  if (!ctx.allowTruncated) fail(ctx, `truncated file: ${reason}`);
  ctx.warnings.push(`truncated file: ${reason}; decoded the complete part only`);
}

export function checkSampleRate(ctx: DecodeContext, rate: number): void {
  if (!Number.isFinite(rate) || rate === 0) fail(ctx, "sample rate is 0 Hz");
  if (rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    fail(ctx, `unsupported sample rate ${rate} Hz (allowed ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE})`);
  }
}

export function checkChannels(ctx: DecodeContext, n: number): void {
  if (n === 0) fail(ctx, "0 channels");
  if (!Number.isInteger(n) || n < 0 || n > MAX_CHANNELS) fail(ctx, `absurd channel count ${n} (max ${MAX_CHANNELS})`);
}

/**
 * Duration cap, checked from header values before decoding wherever the format allows. `slack` (s)
 * absorbs codec padding, so that a lossy file of exactly the cap (encoder delay included) still loads.
 */
export function checkDuration(
  ctx: DecodeContext,
  frameCount: number,
  rate: number,
  source = "header",
  slack = 0,
): void {
  const seconds = frameCount / rate;
  if (seconds > ctx.maxSeconds + slack) {
    fail(ctx, `duration ${seconds.toFixed(1)} s (from the ${source}) exceeds the limit of ${ctx.maxSeconds} s`);
  }
}

/**
 * Indices of the left/right channels to keep. WAV/FLAC use the WAVE order (L, R, C, …);
 * Vorbis and Opus use the Vorbis order, where 3, 5, 6, 7 and 8 channels put C between L and R.
 */
export function stereoPick(channelCount: number, order: "wave" | "vorbis"): number[] {
  if (channelCount <= 1) return [0];
  if (order === "vorbis" && channelCount !== 2 && channelCount !== 4 && channelCount <= 8) return [0, 2];
  return [0, 1];
}

/** The part of the wasm-audio-decoders API used here (FLAC, MPEG, Ogg Vorbis, Ogg Opus share it). */
export interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth?: number;
  errors: { message: string }[];
}
export interface WasmDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): WasmDecoded | Promise<WasmDecoded>;
  flush?(): Promise<WasmDecoded>;
  free(): void | Promise<void>;
}

export interface WasmRunResult {
  sampleRate: number;
  sourceChannels: number;
  channels: Float32Array[];
  bitDepth?: number;
  errors: string[];
}

/**
 * Feeds `bytes` to a wasm decoder in chunks, keeps only the picked channels, and stops as soon as
 * the decoded length passes the duration cap (so a header that lied cannot make us decode hours).
 * Anything the decoder throws becomes an AudioDecodeError.
 */
export async function runWasmDecoder(
  ctx: DecodeContext,
  codec: string,
  create: () => WasmDecoder,
  bytes: Uint8Array,
  order: "wave" | "vorbis",
  chunkBytes = 1 << 20,
): Promise<WasmRunResult> {
  let decoder: WasmDecoder | undefined;
  const parts: Float32Array[][] = [];
  const errors: string[] = [];
  let sampleRate = 0;
  let sourceChannels = 0;
  let bitDepth: number | undefined;
  let total = 0;
  let pick: number[] = [];
  const take = (d: WasmDecoded) => {
    for (const e of d.errors ?? []) errors.push(e.message);
    if (!d.samplesDecoded) return;
    if (!sampleRate) {
      sampleRate = d.sampleRate;
      sourceChannels = d.channelData.length;
      bitDepth = d.bitDepth;
      checkSampleRate(ctx, sampleRate);
      checkChannels(ctx, sourceChannels);
      pick = stereoPick(sourceChannels, order);
    }
    parts.push(pick.map((i) => d.channelData[i] ?? new Float32Array(d.samplesDecoded)));
    total += d.samplesDecoded;
    checkDuration(ctx, total, sampleRate, "decoded stream", 1);
  };
  try {
    decoder = create();
    await decoder.ready;
    for (let off = 0; off < bytes.length; off += chunkBytes) {
      take(await decoder.decode(bytes.subarray(off, Math.min(bytes.length, off + chunkBytes))));
    }
    if (decoder.flush) take(await decoder.flush());
  } catch (err) {
    if (err instanceof AudioDecodeError) throw err;
    fail(ctx, `${codec} decoder failed: ${describeError(err)}`, err);
  } finally {
    try {
      await decoder?.free();
    } catch {
      // a decoder that cannot be freed is garbage-collected with its wasm memory
    }
  }
  if (total === 0) {
    fail(ctx, errors.length ? `no ${codec} audio could be decoded (${errors[0]})` : `no ${codec} audio frames found`);
  }
  return { sampleRate, sourceChannels, channels: concatParts(parts, pick.length, total), bitDepth, errors };
}

function concatParts(parts: Float32Array[][], channelCount: number, total: number): Float32Array[] {
  if (parts.length === 1) return parts[0];
  const out = Array.from({ length: channelCount }, () => new Float32Array(total));
  let off = 0;
  for (const p of parts) {
    for (let c = 0; c < channelCount; c++) out[c].set(p[c], off);
    off += p[0].length;
  }
  return out;
}

/** The part of a wasm-media-encoders encoder the block loop uses. */
export interface WasmEncoder {
  encode(channels: Float32Array[]): Uint8Array;
  finalize(): Uint8Array;
}

/** Feeds planar audio to a wasm encoder in 128 Ki-sample blocks and returns the whole stream. */
export function encodeInBlocks(
  enc: WasmEncoder,
  channels: Float32Array[],
  concat: (parts: Uint8Array[]) => Uint8Array,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const block = 1 << 17;
  const n = channels[0].length;
  // .slice(): the encoder reuses its output buffer between calls.
  for (let s = 0; s < n; s += block)
    parts.push(enc.encode(channels.map((c) => c.subarray(s, Math.min(n, s + block)))).slice());
  parts.push(enc.finalize().slice());
  return concat(parts);
}
