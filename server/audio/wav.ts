// RIFF/WAVE (and RF64/BW64) reader and writer: PCM 8/16/24/32-bit int, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE.
import {
  checkChannels,
  checkDuration,
  checkSampleRate,
  fail,
  stereoPick,
  truncated,
  type DecodeContext,
  type DecodedSource,
} from "./context";
import { AudioEncodeError, assertAudio, frames, type Audio } from "./types";

const TAG_PCM = 1;
const TAG_FLOAT = 3;
const TAG_EXTENSIBLE = 0xfffe;
const TAG_NAMES: Record<number, string> = {
  2: "MS ADPCM",
  6: "A-law",
  7: "µ-law",
  0x11: "IMA ADPCM",
  0x55: "MP3",
  0x2000: "AC-3",
};

export interface WavHeader {
  float: boolean;
  channels: number;
  sampleRate: number;
  /** Bytes per sample (the container: 1, 2, 3, 4 or 8). */
  sampleBytes: number;
  blockAlign: number;
  dataOffset: number;
  /** Whole frames of sample data present in the file. */
  frameCount: number;
}

const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const id = (b: Uint8Array, o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
const plausibleId = (b: Uint8Array, o: number) =>
  o + 4 <= b.length && [0, 1, 2, 3].every((k) => b[o + k] >= 0x20 && b[o + k] < 0x7f);

/** Parses the header and validates every field; throws AudioDecodeError on anything absurd. */
export function parseWavHeader(ctx: DecodeContext, b: Uint8Array): WavHeader {
  if (b.length < 12) fail(ctx, "truncated WAV header");
  const riff = id(b, 0);
  if (riff === "RIFX") fail(ctx, "big-endian WAV (RIFX) is not supported");
  const rf64 = riff === "RF64" || riff === "BW64";
  let ds64Data = -1;
  let fmt: { off: number; size: number } | undefined;
  let data: { off: number; size: number } | undefined;
  let pos = 12;
  while (pos + 8 <= b.length) {
    const cid = id(b, pos);
    const size = u32(b, pos + 4);
    const body = pos + 8;
    if (cid === "ds64" && size >= 16) ds64Data = u32(b, body + 8) + u32(b, body + 12) * 0x100000000;
    if (cid === "fmt ") fmt = { off: body, size };
    if (cid === "data") {
      data = { off: body, size: rf64 && size === 0xffffffff && ds64Data >= 0 ? ds64Data : size };
      if (fmt) break; // the usual layout: nothing after the data chunk is needed
    }
    if (cid !== "data" && body + size > b.length) {
      if (!fmt || !data) fail(ctx, `WAV chunk '${cid}' declares ${size} bytes but only ${b.length - body} remain`);
      break;
    }
    let next = body + size;
    // RIFF pads odd chunks to even length; tolerate writers that forgot the pad byte.
    if (size % 2 === 1 && !(plausibleId(b, next) && !plausibleId(b, next + 1))) next += 1;
    if (cid === "data") next = body + (data?.size ?? size) + (size % 2);
    pos = next;
  }
  if (!fmt) fail(ctx, "WAV file has no 'fmt ' chunk");
  if (fmt.size < 16 || fmt.off + 16 > b.length) fail(ctx, `WAV 'fmt ' chunk is too short (${fmt.size} bytes)`);
  if (!data) fail(ctx, "WAV file has no 'data' chunk");

  let tag = u16(b, fmt.off);
  const channels = u16(b, fmt.off + 2);
  const sampleRate = u32(b, fmt.off + 4);
  let blockAlign = u16(b, fmt.off + 12);
  const bits = u16(b, fmt.off + 14);
  if (tag === TAG_EXTENSIBLE) {
    if (fmt.size < 40 || fmt.off + 26 > b.length) fail(ctx, "WAVE_FORMAT_EXTENSIBLE header is too short");
    tag = u16(b, fmt.off + 24); // first two bytes of the SubFormat GUID
  }
  if (tag !== TAG_PCM && tag !== TAG_FLOAT) {
    fail(
      ctx,
      `unsupported WAV codec ${TAG_NAMES[tag] ?? `format tag 0x${tag.toString(16)}`} (only PCM and IEEE float)`,
    );
  }
  checkChannels(ctx, channels);
  checkSampleRate(ctx, sampleRate);
  const float = tag === TAG_FLOAT;
  const sampleBytes = Math.ceil(bits / 8);
  const okBits = float ? bits === 32 || bits === 64 : bits >= 8 && bits <= 32;
  if (!okBits) fail(ctx, `unsupported WAV sample format: ${float ? "float" : "PCM"} ${bits}-bit`);
  if (blockAlign !== channels * sampleBytes) {
    if (blockAlign !== 0)
      fail(ctx, `inconsistent WAV header: block align ${blockAlign} ≠ ${channels} channels × ${sampleBytes} bytes`);
    ctx.warnings.push("WAV block align was 0; computed it from channels and bit depth");
    blockAlign = channels * sampleBytes;
  }

  const available = Math.max(0, b.length - data.off);
  let dataBytes = data.size;
  const riffSize = u32(b, 4);
  const placeholder =
    data.size === 0xffffffff || (data.size === 0 && available > 0 && (riffSize === 0 || riffSize === 0xffffffff));
  if (placeholder) {
    // streaming writers (pipes) leave placeholder sizes: use what the file holds
    ctx.warnings.push(`WAV data size is a placeholder (${data.size}); using the ${available} bytes present`);
    dataBytes = available;
  } else {
    checkDuration(ctx, Math.floor(dataBytes / blockAlign), sampleRate);
    if (dataBytes > available) {
      truncated(ctx, `WAV header declares ${dataBytes} bytes of samples but only ${available} are present`);
      dataBytes = available;
    }
  }
  const frameCount = Math.floor(dataBytes / blockAlign);
  if (dataBytes % blockAlign !== 0) ctx.warnings.push("WAV data ends with a partial frame; dropped it");
  checkDuration(ctx, frameCount, sampleRate);
  if (frameCount === 0) fail(ctx, "WAV file contains no samples");
  return { float, channels, sampleRate, sampleBytes, blockAlign, dataOffset: data.off, frameCount };
}

/** Decodes the left/right (or mono) channels to float32 at the file's rate. */
export function decodeWav(ctx: DecodeContext, b: Uint8Array): DecodedSource {
  const h = parseWavHeader(ctx, b);
  const pick = stereoPick(h.channels, "wave");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const channels = pick.map((c) => readChannel(view, h, c));
  return { format: "wav", sampleRate: h.sampleRate, sourceChannels: h.channels, channels, bitDepth: h.sampleBytes * 8 };
}

function readChannel(v: DataView, h: WavHeader, channel: number): Float32Array {
  const n = h.frameCount;
  const out = new Float32Array(n);
  const step = h.blockAlign;
  let o = h.dataOffset + channel * h.sampleBytes;
  if (h.float && h.sampleBytes === 4) for (let i = 0; i < n; i++, o += step) out[i] = v.getFloat32(o, true);
  else if (h.float) for (let i = 0; i < n; i++, o += step) out[i] = v.getFloat64(o, true);
  else if (h.sampleBytes === 1) for (let i = 0; i < n; i++, o += step) out[i] = (v.getUint8(o) - 128) / 128;
  else if (h.sampleBytes === 2) for (let i = 0; i < n; i++, o += step) out[i] = v.getInt16(o, true) / 32768;
  else if (h.sampleBytes === 3) {
    for (let i = 0; i < n; i++, o += step) out[i] = (v.getUint16(o, true) | (v.getInt8(o + 2) << 16)) / 8388608;
  } else for (let i = 0; i < n; i++, o += step) out[i] = v.getInt32(o, true) / 2147483648;
  return out;
}

export type WavSampleFormat = "pcm16" | "pcm24" | "float32";

/** Float → integer the way it is read back: round(x · 2^(bits−1)), clamped to the integer range. */
export function quantize(x: number, bits: 16 | 24): number {
  const full = bits === 16 ? 32768 : 8388608;
  const q = Math.round(x * full);
  return q >= full ? full - 1 : q < -full ? -full : q;
}

/** Writes a canonical WAV (EXTENSIBLE for > 2 channels; float files carry a 'fact' chunk). */
export function encodeWav(audio: Audio, sampleFormat: WavSampleFormat = "pcm16"): Uint8Array {
  assertAudio(audio);
  const ch = audio.channels.length;
  const n = frames(audio);
  const bytes = sampleFormat === "pcm16" ? 2 : sampleFormat === "pcm24" ? 3 : 4;
  const float = sampleFormat === "float32";
  const extensible = ch > 2;
  const fmtSize = extensible ? 40 : float ? 18 : 16;
  const factSize = float ? 12 : 0;
  const dataBytes = n * ch * bytes;
  const headerBytes = 12 + 8 + fmtSize + factSize + 8;
  if (headerBytes + dataBytes > 0xffffffff)
    throw new AudioEncodeError(`WAV output of ${dataBytes} bytes exceeds the 4 GiB RIFF limit`);
  const out = new Uint8Array(headerBytes + dataBytes + (dataBytes % 2));
  const v = new DataView(out.buffer);
  const str = (o: number, s: string) => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  str(0, "RIFF");
  v.setUint32(4, out.length - 8, true);
  str(8, "WAVE");
  str(12, "fmt ");
  v.setUint32(16, fmtSize, true);
  v.setUint16(20, extensible ? TAG_EXTENSIBLE : float ? TAG_FLOAT : TAG_PCM, true);
  v.setUint16(22, ch, true);
  v.setUint32(24, audio.sampleRate, true);
  v.setUint32(28, audio.sampleRate * ch * bytes, true);
  v.setUint16(32, ch * bytes, true);
  v.setUint16(34, bytes * 8, true);
  let p = 36;
  if (fmtSize > 16) v.setUint16(p, fmtSize - 18, true);
  if (extensible) {
    v.setUint16(38, bytes * 8, true); // valid bits
    v.setUint32(40, ch <= 18 ? 2 ** ch - 1 : 0, true); // channel mask: first ch speakers
    // SubFormat GUID xxxxxxxx-0000-0010-8000-00aa00389b71
    out.set([float ? TAG_FLOAT : TAG_PCM, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], 44);
  }
  p = 20 + fmtSize;
  if (float) {
    str(p, "fact");
    v.setUint32(p + 4, 4, true);
    v.setUint32(p + 8, n, true);
    p += 12;
  }
  str(p, "data");
  v.setUint32(p + 4, dataBytes, true);
  p += 8;
  const cs = audio.channels;
  if (sampleFormat === "float32") {
    for (let i = 0; i < n; i++) for (let c = 0; c < ch; c++, p += 4) v.setFloat32(p, cs[c][i], true);
  } else if (sampleFormat === "pcm16") {
    for (let i = 0; i < n; i++) for (let c = 0; c < ch; c++, p += 2) v.setInt16(p, quantize(cs[c][i], 16), true);
  } else {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < ch; c++, p += 3) {
        const q = quantize(cs[c][i], 24);
        out[p] = q & 0xff;
        out[p + 1] = (q >> 8) & 0xff;
        out[p + 2] = (q >> 16) & 0xff;
      }
    }
  }
  return out;
}
