// Upload checks and served content types. What an upload is comes from its bytes, through the decoder's own
// sniffer (server/audio/sniff.ts), so uploads accept exactly the formats Load Audio can decode.
import { sniff } from "../audio/sniff";

export type SniffedAudio = "wav" | "flac" | "mp3" | "ogg";

/** The decodable format of the bytes (its file extension for an upload), or null when the decoder refuses them. */
export function sniffAudio(b: Uint8Array): SniffedAudio | null {
  const s = sniff(b);
  switch (s.kind) {
    case "wav":
    case "flac":
      return s.kind;
    case "mpeg":
      return "mp3";
    case "ogg":
      return s.codec === "vorbis" || s.codec === "opus" || s.codec === "flac" ? "ogg" : null;
    default:
      return null;
  }
}

export const MIME: Record<string, string> = {
  wav: "audio/wav",
  flac: "audio/flac",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  json: "application/json",
  png: "image/png",
  txt: "text/plain; charset=utf-8",
};
