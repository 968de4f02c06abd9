// loadAudio / loadAudioFile: sniff, decode, then normalise to float32 48 kHz stereo in [−1, 1]
// (mono duplicated, first two channels kept, resampled, clamped — like upstream _normalize_audio_to_stereo_48k).
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { fail, type DecodeContext, type DecodedSource } from "./context";
import { decodeFlac } from "./flac";
import { decodeMpeg } from "./mp3";
import { decodeOgg } from "./ogg";
import { resample, type ResampleQuality } from "./resample";
import { sniff } from "./sniff";
import { AudioDecodeError, TARGET_SAMPLE_RATE, describeError, type Audio } from "./types";
import { decodeWav } from "./wav";

export const DEFAULT_MAX_SECONDS = 600;
export const DEFAULT_MAX_BYTES = 1 << 30;

export interface LoadAudioOptions {
  /** Name used in errors; default "audio". */
  name?: string;
  /** Duration cap in seconds (default 600 = upstream DURATION_MAX). */
  maxSeconds?: number;
  /** Byte-size cap (default 1 GiB). */
  maxBytes?: number;
  /** Decode the complete part of a truncated file (with a warning) instead of failing. */
  allowTruncated?: boolean;
  /** Output rate (default 48000); `null` keeps the source rate. */
  sampleRate?: number | null;
  resampleQuality?: ResampleQuality;
}

export interface SourceInfo {
  format: string;
  sampleRate: number;
  channels: number;
  frames: number;
  duration: number;
  bitDepth?: number;
}

export interface LoadedAudio extends Audio {
  source: SourceInfo;
  warnings: string[];
}

/** Decodes the file content to planar float at the source rate, keeping at most L and R. */
export async function decodeSource(bytes: Uint8Array, ctx: DecodeContext): Promise<DecodedSource> {
  if (bytes.length === 0) fail(ctx, "file is empty (0 bytes)");
  const s = sniff(bytes);
  switch (s.kind) {
    case "wav":
      return decodeWav(ctx, bytes);
    case "flac":
      return decodeFlac(ctx, bytes, s.offset);
    case "mpeg":
      return decodeMpeg(ctx, bytes, s.offset);
    case "ogg":
      return decodeOgg(ctx, bytes);
    case "unsupported":
      return fail(ctx, `unsupported audio format: ${s.what}`);
    default:
      return fail(ctx, `unrecognised content (${bytes.length} bytes; not WAV, FLAC, MP3, Ogg Vorbis or Ogg Opus)`);
  }
}

/** Decodes any supported file and normalises it to float32 stereo at 48 kHz, values in [−1, 1]. */
export async function loadAudio(bytes: Uint8Array, opts: LoadAudioOptions = {}): Promise<LoadedAudio> {
  const ctx: DecodeContext = {
    name: opts.name ?? "audio",
    maxSeconds: opts.maxSeconds ?? DEFAULT_MAX_SECONDS,
    allowTruncated: opts.allowTruncated ?? false,
    warnings: [],
  };
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) fail(ctx, `file is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  try {
    const src = await decodeSource(bytes, ctx);
    const n = src.channels[0].length;
    const source: SourceInfo = {
      format: src.format,
      sampleRate: src.sampleRate,
      channels: src.sourceChannels,
      frames: n,
      duration: n / src.sampleRate,
      bitDepth: src.bitDepth,
    };
    if (src.sourceChannels > 2) ctx.warnings.push(`${src.sourceChannels} channels: kept the front left and right`);
    let channels = src.channels.length === 1 ? [src.channels[0], src.channels[0].slice()] : src.channels;
    if (sanitize(channels)) ctx.warnings.push("replaced NaN/Inf samples with 0");
    const rate = opts.sampleRate === null ? src.sampleRate : (opts.sampleRate ?? TARGET_SAMPLE_RATE);
    if (rate !== src.sampleRate)
      channels = (await resample({ sampleRate: src.sampleRate, channels }, rate, opts.resampleQuality)).channels;
    for (const c of channels) clamp(c);
    return { sampleRate: rate, channels, source, warnings: ctx.warnings };
  } catch (err) {
    if (err instanceof AudioDecodeError) throw err;
    // anything else (a wasm abort, a RangeError from a library) still becomes a clear decode error
    throw new AudioDecodeError(ctx.name, `decoding failed: ${describeError(err)}`, { cause: err });
  }
}

/** Reads and decodes a file; the byte cap is checked from fs.stat before reading. */
export async function loadAudioFile(path: string, opts: LoadAudioOptions = {}): Promise<LoadedAudio> {
  const name = opts.name ?? basename(path);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new AudioDecodeError(name, "not a regular file");
    if (st.size > maxBytes)
      throw new AudioDecodeError(name, `file is ${st.size} bytes, over the ${maxBytes}-byte limit`);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof AudioDecodeError) throw err;
    // no absolute server path in the message; the original error (with .code) stays in `cause`
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "file not found" : code === "EACCES" ? "permission denied" : (code ?? describeError(err));
    throw new AudioDecodeError(name, `cannot read file: ${reason}`, { cause: err });
  }
  return loadAudio(bytes, { ...opts, name });
}

function sanitize(channels: Float32Array[]): boolean {
  let bad = false;
  for (const c of channels) {
    for (let i = 0; i < c.length; i++) {
      if (!Number.isFinite(c[i])) {
        c[i] = 0;
        bad = true;
      }
    }
  }
  return bad;
}

function clamp(c: Float32Array): void {
  for (let i = 0; i < c.length; i++) {
    const x = c[i];
    if (x > 1) c[i] = 1;
    else if (x < -1) c[i] = -1;
  }
}
