// Content sniffing for uploads: what the bytes are, whatever the file name says.

export type SniffedAudio = "wav" | "flac" | "mp3" | "ogg" | "aiff";

export function sniffAudio(b: Uint8Array): SniffedAudio | null {
  const ascii = (o: number, s: string) => s.split("").every((c, i) => b[o + i] === c.charCodeAt(0));
  if (b.length >= 12 && (ascii(0, "RIFF") || ascii(0, "RF64")) && ascii(8, "WAVE")) return "wav";
  if (b.length >= 4 && ascii(0, "fLaC")) return "flac";
  if (b.length >= 4 && ascii(0, "OggS")) return "ogg";
  if (b.length >= 12 && ascii(0, "FORM") && (ascii(8, "AIFF") || ascii(8, "AIFC"))) return "aiff";
  if (b.length >= 3 && ascii(0, "ID3")) return "mp3";
  // MPEG audio frame sync: 11 set bits, layer != 0, bitrate index != 15, sample-rate index != 3.
  if (b.length >= 4 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0 && (b[2] & 0xf0) !== 0xf0 && (b[2] & 0x0c) !== 0x0c) return "mp3";
  return null;
}

export const MIME: Record<string, string> = {
  wav: "audio/wav",
  flac: "audio/flac",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  aiff: "audio/aiff",
  json: "application/json",
  png: "image/png",
  txt: "text/plain; charset=utf-8",
};
