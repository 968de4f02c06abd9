// MPEG audio (MP3, and layers I/II): frame-header walk for sniffing/duration/truncation, mpg123 decoding, LAME encoding.
import { MPEGDecoder } from "mpg123-decoder";
import { createMp3Encoder } from "wasm-media-encoders";
import {
  checkDuration,
  encodeInBlocks,
  fail,
  runWasmDecoder,
  truncated,
  type DecodeContext,
  type DecodedSource,
} from "./context";
import { concatBytes } from "./flac";
import { AudioEncodeError, assertAudio, describeError, type Audio } from "./types";

export interface MpegFrame {
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  sampleRate: number;
  channels: 1 | 2;
  bytes: number;
  samples: number;
}

const BITRATES: Record<string, number[]> = {
  "1-1": [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  "1-2": [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  "1-3": [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  "2-1": [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  "2-2": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] } as const;

/** Parses a 4-byte MPEG audio frame header; null when invalid (free-format bitrate counts as invalid). */
export function parseFrameHeader(b: Uint8Array, o: number): MpegFrame | null {
  if (o + 4 > b.length || b[o] !== 0xff || (b[o + 1] & 0xe0) !== 0xe0) return null;
  const v = (b[o + 1] >> 3) & 3;
  const l = (b[o + 1] >> 1) & 3;
  const bi = b[o + 2] >> 4;
  const si = (b[o + 2] >> 2) & 3;
  if (v === 1 || l === 0 || bi === 0 || bi === 15 || si === 3) return null;
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
  const layer = (4 - l) as 1 | 2 | 3;
  const table = version === 1 ? `1-${layer}` : layer === 1 ? "2-1" : "2-2";
  const kbps = BITRATES[table][bi];
  const sampleRate = RATES[version][si];
  const pad = (b[o + 2] >> 1) & 1;
  const channels = b[o + 3] >> 6 === 3 ? 1 : 2;
  let bytes: number, samples: number;
  if (layer === 1) {
    bytes = (Math.floor((12000 * kbps) / sampleRate) + pad) * 4;
    samples = 384;
  } else {
    const slot = layer === 3 && version !== 1 ? 72000 : 144000;
    bytes = Math.floor((slot * kbps) / sampleRate) + pad;
    samples = layer === 3 && version !== 1 ? 576 : 1152;
  }
  return { version, layer, sampleRate, channels, bytes, samples };
}

const sameStream = (a: MpegFrame, f: MpegFrame) =>
  a.version === f.version && a.layer === f.layer && a.sampleRate === f.sampleRate;

/** True when `o` starts `need` chained frames (fewer if the data ends cleanly after them). */
export function isFrameChain(b: Uint8Array, o: number, need = 3): boolean {
  const first = parseFrameHeader(b, o);
  if (!first) return false;
  let p = o;
  for (let k = 0; k < need; k++) {
    const f = parseFrameHeader(b, p);
    if (!f || !sameStream(first, f)) return false;
    p += f.bytes;
    if (p >= b.length) return p === b.length || k > 0;
  }
  return true;
}

/** Offset of the first frame chain within `window` bytes of `start`, or -1. */
export function findFrameSync(b: Uint8Array, start: number, window: number): number {
  const end = Math.min(b.length - 4, start + window);
  for (let o = start; o <= end; o++) if (b[o] === 0xff && isFrameChain(b, o)) return o;
  return -1;
}

/** Frame count from a Xing/Info or VBRI header in the first frame (which then carries no audio), else -1. */
function vbrFrameCount(b: Uint8Array, o: number, f: MpegFrame): number {
  const side = f.version === 1 ? (f.channels === 1 ? 17 : 32) : f.channels === 1 ? 9 : 17;
  const x = o + 4 + side;
  const tag = String.fromCharCode(b[x], b[x + 1], b[x + 2], b[x + 3]);
  if ((tag === "Xing" || tag === "Info") && b[x + 7] & 1)
    return ((b[x + 8] << 24) >>> 0) + ((b[x + 9] << 16) | (b[x + 10] << 8) | b[x + 11]);
  const y = o + 36;
  if (String.fromCharCode(b[y], b[y + 1], b[y + 2], b[y + 3]) === "VBRI")
    return ((b[y + 14] << 24) >>> 0) + ((b[y + 15] << 16) | (b[y + 16] << 8) | b[y + 17]);
  return -1;
}

export interface MpegScan {
  first: MpegFrame;
  frames: number;
  /** Samples per channel the frames hold (Xing/VBRI count when present). */
  samples: number;
  truncatedBytes: number;
}

/** Walks the frame headers from `start` without decoding: exact duration, truncation check. */
export function scanMpeg(b: Uint8Array, start: number): MpegScan | null {
  const first = parseFrameHeader(b, start);
  if (!first) return null;
  const declared = vbrFrameCount(b, start, first);
  let p = declared >= 0 ? start + first.bytes : start;
  let count = 0;
  let truncatedBytes = 0;
  for (;;) {
    const f = parseFrameHeader(b, p);
    if (!f || !sameStream(first, f)) break; // end of audio: trailing tag or junk
    if (p + f.bytes > b.length) {
      truncatedBytes = b.length - p;
      break;
    }
    count++;
    p += f.bytes;
  }
  const frameCount = Math.max(count, declared);
  return { first, frames: count, samples: frameCount * first.samples, truncatedBytes };
}

export async function decodeMpeg(ctx: DecodeContext, b: Uint8Array, start: number): Promise<DecodedSource> {
  const scan = scanMpeg(b, start);
  if (!scan) fail(ctx, "no MPEG audio frame found");
  checkDuration(ctx, scan.samples, scan.first.sampleRate, "frame headers", 0.25); // slack: encoder delay + padding
  if (scan.truncatedBytes > 0)
    truncated(ctx, `last MPEG frame is cut off (${scan.truncatedBytes} of its bytes present)`);
  else if (scan.samples > scan.frames * scan.first.samples) {
    truncated(ctx, `VBR header declares ${scan.samples / scan.first.samples} frames but the file holds ${scan.frames}`);
  }
  const run = await runWasmDecoder(ctx, "MPEG audio", () => new MPEGDecoder(), b.subarray(start), "wave");
  return {
    format: `mp${scan.first.layer}`,
    sampleRate: run.sampleRate,
    sourceChannels: run.sourceChannels,
    channels: run.channels,
  };
}

export type Mp3Bitrate = 8 | 16 | 24 | 32 | 40 | 48 | 64 | 80 | 96 | 112 | 128 | 160 | 192 | 224 | 256 | 320;
const MP3_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** CBR MP3 via LAME (wasm-media-encoders). No LAME/Xing tag is written, so decoders keep the encoder delay. */
export async function encodeMp3(audio: Audio, bitrate: Mp3Bitrate = 128): Promise<Uint8Array> {
  assertAudio(audio);
  if (audio.channels.length > 2)
    throw new AudioEncodeError(`MP3 holds at most 2 channels, got ${audio.channels.length}`);
  if (!MP3_RATES.includes(audio.sampleRate))
    throw new AudioEncodeError(`MP3 cannot store sample rate ${audio.sampleRate}`);
  try {
    const enc = await createMp3Encoder();
    enc.configure({ sampleRate: audio.sampleRate, channels: audio.channels.length as 1 | 2, bitrate });
    return encodeInBlocks(enc, audio.channels, concatBytes);
  } catch (err) {
    throw new AudioEncodeError(`MP3 encoder failed: ${describeError(err)}`, { cause: err });
  }
}
