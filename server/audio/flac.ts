// FLAC: STREAMINFO parsing, decoding with @wasm-audio-decoders/flac, encoding with libflacjs (wasm build).
import { createRequire } from "node:module";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { FLACDecoder } from "@wasm-audio-decoders/flac";
import {
  checkChannels,
  checkDuration,
  checkSampleRate,
  fail,
  runWasmDecoder,
  truncated,
  type DecodeContext,
  type DecodedSource,
} from "./context";
import { quantize } from "./wav";
import { AudioEncodeError, assertAudio, describeError, frames, type Audio } from "./types";

export interface StreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when the encoder did not know it. */
  totalSamples: number;
}

/** Reads STREAMINFO at `offset` (where "fLaC" starts). */
export function parseStreamInfo(ctx: DecodeContext, b: Uint8Array, offset: number): StreamInfo {
  const s = offset + 8; // "fLaC" + metadata block header
  if (b.length < s + 34) fail(ctx, "truncated FLAC header");
  if ((b[offset + 4] & 0x7f) !== 0) fail(ctx, "FLAC stream does not start with a STREAMINFO block");
  const sampleRate = (b[s + 10] << 12) | (b[s + 11] << 4) | (b[s + 12] >> 4);
  const channels = ((b[s + 12] >> 1) & 7) + 1;
  const bitsPerSample = (((b[s + 12] & 1) << 4) | (b[s + 13] >> 4)) + 1;
  const totalSamples =
    (b[s + 13] & 0x0f) * 2 ** 32 + ((b[s + 14] << 24) >>> 0) + ((b[s + 15] << 16) | (b[s + 16] << 8) | b[s + 17]);
  return { sampleRate, channels, bitsPerSample, totalSamples };
}

/** Decodes native FLAC at `offset`, or Ogg FLAC when `ogg` is set (its limits were checked by the Ogg reader). */
export async function decodeFlac(
  ctx: DecodeContext,
  b: Uint8Array,
  offset: number,
  ogg = false,
): Promise<DecodedSource> {
  let info: StreamInfo | undefined;
  if (!ogg) {
    info = parseStreamInfo(ctx, b, offset);
    checkSampleRate(ctx, info.sampleRate);
    checkChannels(ctx, info.channels);
    if (info.bitsPerSample < 4) fail(ctx, `invalid FLAC bit depth ${info.bitsPerSample}`);
    if (info.totalSamples > 0) checkDuration(ctx, info.totalSamples, info.sampleRate);
  }
  const run = await runWasmDecoder(ctx, "FLAC", () => new FLACDecoder(), b.subarray(offset), "wave");
  const n = run.channels[0].length;
  if (info && info.totalSamples > 0 && n < info.totalSamples) {
    truncated(ctx, `FLAC header declares ${info.totalSamples} samples but only ${n} could be decoded`);
  }
  // The decoder scales integers by 1/(2^(b−1)−1); rescale to k/2^(b−1) like WAV (and libsndfile) do.
  const bits = run.bitDepth || info?.bitsPerSample || 16;
  const down = 2 ** (bits - 1) - 1;
  const up = 1 / 2 ** (bits - 1);
  for (const c of run.channels) for (let i = 0; i < c.length; i++) c[i] = Math.round(c[i] * down) * up;
  return {
    format: ogg ? "ogg-flac" : "flac",
    sampleRate: run.sampleRate,
    sourceChannels: run.sourceChannels,
    channels: run.channels,
    bitDepth: bits,
  };
}

// ---- encoder -------------------------------------------------------------------------------

interface LibFlac {
  isReady(): boolean;
  on(event: string, fn: () => void): void;
  create_libflac_encoder(
    rate: number,
    ch: number,
    bps: number,
    level: number,
    total?: number,
    verify?: boolean,
    block?: number,
  ): number;
  init_encoder_stream(
    enc: number,
    write: (d: Uint8Array) => void,
    meta?: (m?: { md5sum: string; min_framesize: number; max_framesize: number }) => void,
  ): number;
  FLAC__stream_encoder_process_interleaved(enc: number, buf: Int32Array, frames: number): boolean;
  FLAC__stream_encoder_finish(enc: number): boolean;
  FLAC__stream_encoder_delete(enc: number): void;
  FLAC__stream_encoder_get_state(enc: number): number;
}

let flacLib: Promise<LibFlac> | undefined;

/** Loads libflacjs's wasm build. Its old emscripten glue fetch()es the .wasm path under Node ≥ 18, so hide fetch. */
function loadLibFlac(): Promise<LibFlac> {
  flacLib ??= new Promise<LibFlac>((resolve, reject) => {
    const saved = globalThis.fetch;
    let lib: LibFlac;
    try {
      (globalThis as { fetch?: unknown }).fetch = undefined;
      lib = createRequire(import.meta.url)("libflacjs/dist/libflac.wasm.js") as LibFlac;
    } catch (err) {
      reject(err);
      return;
    } finally {
      globalThis.fetch = saved;
    }
    if (lib.isReady()) resolve(lib);
    else lib.on("ready", () => resolve(lib));
  });
  return flacLib;
}

export interface FlacEncodeOptions {
  bitDepth?: 16 | 24;
  /** 0–8, default 5 (the flac tool's default). */
  compression?: number;
}

/** Encodes to FLAC and patches STREAMINFO (MD5, frame sizes) so `flac -t` verifies the file. */
export async function encodeFlac(audio: Audio, opts: FlacEncodeOptions = {}): Promise<Uint8Array> {
  assertAudio(audio);
  const bits = opts.bitDepth ?? 16;
  const level = opts.compression ?? 5;
  const ch = audio.channels.length;
  const n = frames(audio);
  if (ch > 8) throw new AudioEncodeError(`FLAC supports at most 8 channels, got ${ch}`);
  if (!Number.isInteger(audio.sampleRate) || audio.sampleRate > 655350)
    throw new AudioEncodeError(`FLAC cannot store sample rate ${audio.sampleRate}`);
  const Flac = await loadLibFlac();
  const enc = Flac.create_libflac_encoder(audio.sampleRate, ch, bits, level, n, false, 0);
  if (!enc) throw new AudioEncodeError("libflac: could not create an encoder");
  const chunks: Uint8Array[] = [];
  let meta: { md5sum: string; min_framesize: number; max_framesize: number } | undefined;
  try {
    const status = Flac.init_encoder_stream(
      enc,
      (d) => void chunks.push(d.slice()),
      (m) => void (meta = m),
    );
    if (status !== 0) throw new AudioEncodeError(`libflac: encoder init failed with status ${status}`);
    const block = 1 << 16;
    const buf = new Int32Array(block * ch);
    for (let start = 0; start < n; start += block) {
      // one block (~1.4 s of 48 kHz audio) takes ~10 ms: let the event loop run between blocks (HTTP, SSE), so a
      // 30 s song's ~0.25 s of encoding never holds it in one piece
      if (start > 0) await yieldToEventLoop();
      const len = Math.min(block, n - start);
      for (let i = 0, k = 0; i < len; i++)
        for (let c = 0; c < ch; c++) buf[k++] = quantize(audio.channels[c][start + i], bits);
      if (!Flac.FLAC__stream_encoder_process_interleaved(enc, len === block ? buf : buf.subarray(0, len * ch), len)) {
        throw new AudioEncodeError(`libflac: encoding failed (state ${Flac.FLAC__stream_encoder_get_state(enc)})`);
      }
    }
    if (!Flac.FLAC__stream_encoder_finish(enc)) throw new AudioEncodeError("libflac: finishing the stream failed");
  } catch (err) {
    if (err instanceof AudioEncodeError) throw err;
    throw new AudioEncodeError(`libflac: ${describeError(err)}`, { cause: err });
  } finally {
    Flac.FLAC__stream_encoder_delete(enc);
  }
  const out = concatBytes(chunks);
  if (meta) patchStreamInfo(out, meta);
  return out;
}

/** The stream encoder cannot seek back, so STREAMINFO keeps MD5 = 0 and frame sizes = 0: write them. */
function patchStreamInfo(out: Uint8Array, m: { md5sum: string; min_framesize: number; max_framesize: number }): void {
  if (out.length < 42 || out[0] !== 0x66 || out[1] !== 0x4c) return; // "fL"
  const s = 8;
  out[s + 4] = (m.min_framesize >> 16) & 0xff;
  out[s + 5] = (m.min_framesize >> 8) & 0xff;
  out[s + 6] = m.min_framesize & 0xff;
  out[s + 7] = (m.max_framesize >> 16) & 0xff;
  out[s + 8] = (m.max_framesize >> 8) & 0xff;
  out[s + 9] = m.max_framesize & 0xff;
  if (/^[0-9a-f]{32}$/i.test(m.md5sum))
    for (let i = 0; i < 16; i++) out[s + 18 + i] = parseInt(m.md5sum.slice(2 * i, 2 * i + 2), 16);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
