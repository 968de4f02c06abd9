// Ogg container: codec identification and length from page headers, Vorbis/Opus/FLAC decoding, Vorbis encoding.
import { OggVorbisDecoder } from "@wasm-audio-decoders/ogg-vorbis";
import { OggOpusDecoder } from "ogg-opus-decoder";
import { createOggEncoder } from "wasm-media-encoders";
import {
  checkChannels,
  checkDuration,
  checkSampleRate,
  encodeInBlocks,
  fail,
  runWasmDecoder,
  truncated,
  type DecodeContext,
  type DecodedSource,
} from "./context";
import { concatBytes, decodeFlac, parseStreamInfo } from "./flac";
import { AudioEncodeError, assertAudio, describeError, type Audio } from "./types";

export type OggCodec = "vorbis" | "opus" | "flac" | "speex" | "theora" | "unknown";

interface OggPage {
  offset: number;
  headerType: number;
  /** −1 when no packet ends on the page. */
  granule: number;
  serial: number;
  /** Header + body size; may exceed the bytes left when the file is cut. */
  size: number;
  bodyOffset: number;
}

const isOggS = (b: Uint8Array, o: number) =>
  b[o] === 0x4f && b[o + 1] === 0x67 && b[o + 2] === 0x67 && b[o + 3] === 0x53;
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;

function readPage(b: Uint8Array, o: number): OggPage | null {
  if (o + 27 > b.length || !isOggS(b, o) || b[o + 4] !== 0) return null;
  const nseg = b[o + 26];
  if (o + 27 + nseg > b.length) return null;
  let body = 0;
  for (let i = 0; i < nseg; i++) body += b[o + 27 + i];
  const lo = u32(b, o + 6);
  const hi = u32(b, o + 10);
  const granule = lo === 0xffffffff && hi === 0xffffffff ? -1 : hi * 0x100000000 + lo;
  return {
    offset: o,
    headerType: b[o + 5],
    granule,
    serial: u32(b, o + 14),
    size: 27 + nseg + body,
    bodyOffset: o + 27 + nseg,
  };
}

/** Codec of the first logical stream, from its first packet. */
export function oggCodec(b: Uint8Array): OggCodec {
  const p = readPage(b, 0);
  if (!p) return "unknown";
  const s = (o: number, n: number) => String.fromCharCode(...b.subarray(p.bodyOffset + o, p.bodyOffset + o + n));
  if (s(0, 7) === "\x01vorbis") return "vorbis";
  if (s(0, 8) === "OpusHead") return "opus";
  if (s(0, 5) === "\x7fFLAC") return "flac";
  if (s(0, 8) === "Speex   ") return "speex";
  if (s(0, 7) === "\x80theora") return "theora";
  return "unknown";
}

/** Last page of the stream with the given serial, found by scanning back from the end. */
function lastPage(b: Uint8Array, serial: number): OggPage | null {
  const floor = Math.max(0, b.length - (1 << 20));
  for (let o = b.length - 27; o >= floor; o--) {
    if (b[o] !== 0x4f || !isOggS(b, o)) continue;
    const p = readPage(b, o);
    if (p && p.serial === serial) return p;
  }
  return null;
}

export async function decodeOgg(ctx: DecodeContext, b: Uint8Array): Promise<DecodedSource> {
  const codec = oggCodec(b);
  const first = readPage(b, 0);
  if (!first) fail(ctx, "truncated Ogg page header");
  if (codec === "speex" || codec === "theora" || codec === "unknown") {
    fail(ctx, `unsupported Ogg codec: ${codec === "unknown" ? "unrecognised stream" : codec}`);
  }
  const h = first.bodyOffset;
  let rate: number,
    channels: number,
    preSkip = 0,
    opusFamily = 0;
  if (codec === "vorbis") {
    if (b.length < h + 16) fail(ctx, "truncated Vorbis header");
    channels = b[h + 11];
    rate = u32(b, h + 12);
  } else if (codec === "opus") {
    if (b.length < h + 19) fail(ctx, "truncated Opus header");
    channels = b[h + 9];
    preSkip = b[h + 10] | (b[h + 11] << 8);
    opusFamily = b[h + 18];
    rate = 48000; // Opus always decodes at 48 kHz; the header's input rate is informational
  } else {
    const info = parseStreamInfo(ctx, b, h + 9);
    channels = info.channels;
    rate = info.sampleRate;
  }
  checkChannels(ctx, channels);
  checkSampleRate(ctx, rate);

  const last = lastPage(b, first.serial);
  if (!last) truncated(ctx, "no complete Ogg page found near the end");
  else {
    if (last.granule > 0) checkDuration(ctx, Math.max(0, last.granule - preSkip), rate, "last Ogg page");
    if (last.offset + last.size > b.length)
      truncated(ctx, `last Ogg page is cut off (${b.length - last.offset} of ${last.size} bytes)`);
    else if (!(last.headerType & 4)) truncated(ctx, "Ogg stream ends without an end-of-stream page");
  }

  if (codec === "flac") return decodeFlac(ctx, b, 0, true);
  const order = codec === "opus" && opusFamily !== 1 ? "wave" : "vorbis";
  const run = await runWasmDecoder(
    ctx,
    codec === "opus" ? "Opus" : "Vorbis",
    () => (codec === "opus" ? new OggOpusDecoder() : new OggVorbisDecoder()),
    b,
    order,
  );
  return {
    format: `ogg-${codec}`,
    sampleRate: run.sampleRate,
    sourceChannels: run.sourceChannels,
    channels: run.channels,
  };
}

/** Ogg Vorbis (wasm-media-encoders); `quality` is the VBR quality, −1…10. */
export async function encodeOggVorbis(audio: Audio, quality = 5): Promise<Uint8Array> {
  assertAudio(audio);
  if (audio.channels.length > 2)
    throw new AudioEncodeError(`the Vorbis encoder takes at most 2 channels, got ${audio.channels.length}`);
  try {
    const enc = await createOggEncoder();
    enc.configure({ sampleRate: audio.sampleRate, channels: audio.channels.length as 1 | 2, vbrQuality: quality });
    return encodeInBlocks(enc, audio.channels, concatBytes);
  } catch (err) {
    throw new AudioEncodeError(`Vorbis encoder failed: ${describeError(err)}`, { cause: err });
  }
}
