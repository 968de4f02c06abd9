// Container/codec detection from content (magic bytes), never from the file extension.
import { findFrameSync, isFrameChain } from "./mp3";
import { oggCodec, type OggCodec } from "./ogg";

export type Sniffed =
  | { kind: "wav" }
  | { kind: "flac"; offset: number }
  | { kind: "mpeg"; offset: number }
  | { kind: "ogg"; codec: OggCodec }
  | { kind: "unsupported"; what: string }
  | { kind: "unknown" };

const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, Math.min(b.length, o + n)));

/** Length of any ID3v2 tags at the start (they may precede MP3 and, rarely, FLAC data). */
export function id3v2Length(b: Uint8Array): number {
  let o = 0;
  while (
    o + 10 <= b.length &&
    ascii(b, o, 3) === "ID3" &&
    b[o + 3] < 0x80 &&
    b[o + 6] < 0x80 &&
    b[o + 7] < 0x80 &&
    b[o + 8] < 0x80 &&
    b[o + 9] < 0x80
  ) {
    const size = (b[o + 6] << 21) | (b[o + 7] << 14) | (b[o + 8] << 7) | b[o + 9];
    o += 10 + size + (b[o + 5] & 0x10 ? 10 : 0);
  }
  return o;
}

const OTHER: [test: (b: Uint8Array) => boolean, what: string][] = [
  [(b) => ascii(b, 0, 4) === "FORM" && ["AIFF", "AIFC"].includes(ascii(b, 8, 4)), "AIFF"],
  [(b) => ascii(b, 4, 4) === "ftyp", "MP4/M4A (AAC or ALAC)"],
  [(b) => b[0] === 0xff && (b[1] & 0xf6) === 0xf0, "AAC (ADTS)"],
  [(b) => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3, "Matroska/WebM"],
  [(b) => ascii(b, 0, 4) === "caff", "Core Audio (CAF)"],
  [(b) => ascii(b, 0, 4) === "wvpk", "WavPack"],
  [(b) => ascii(b, 0, 4) === "MAC ", "Monkey's Audio"],
  [(b) => ascii(b, 0, 4) === ".snd", "Sun/NeXT AU"],
  [(b) => ascii(b, 0, 5) === "#!AMR", "AMR"],
  [(b) => ascii(b, 0, 4) === "MThd", "MIDI (not audio)"],
  [(b) => ascii(b, 0, 4) === "RIFX", "big-endian WAV (RIFX)"],
  [(b) => ascii(b, 0, 4) === "RIFF", "RIFF file that is not WAVE"],
];

export function sniff(b: Uint8Array): Sniffed {
  const head = ascii(b, 0, 4);
  if ((head === "RIFF" || head === "RF64" || head === "BW64") && ascii(b, 8, 4) === "WAVE") return { kind: "wav" };
  if (head === "fLaC") return { kind: "flac", offset: 0 };
  if (head === "OggS") return { kind: "ogg", codec: oggCodec(b) };
  const id3 = id3v2Length(b);
  if (id3 > 0) {
    if (ascii(b, id3, 4) === "fLaC") return { kind: "flac", offset: id3 };
    const o = findFrameSync(b, id3, 1 << 16);
    if (o >= 0) return { kind: "mpeg", offset: o };
  } else if (isFrameChain(b, 0)) {
    return { kind: "mpeg", offset: 0 };
  }
  for (const [test, what] of OTHER) if (b.length >= 12 && test(b)) return { kind: "unsupported", what };
  // MP3 files sometimes start with a little junk or zero padding
  const o = findFrameSync(b, 0, 4096);
  if (o >= 0) return { kind: "mpeg", offset: o };
  return { kind: "unknown" };
}
