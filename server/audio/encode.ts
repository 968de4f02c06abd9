// encodeAudio: FLAC (default), WAV (16/24-bit PCM, 32-bit float), MP3, Ogg Vorbis. Saving to a file (atomically)
// is server/files/save-audio.ts.
import { extname } from "node:path";
import { encodeFlac } from "./flac";
import { encodeMp3, type Mp3Bitrate } from "./mp3";
import { encodeOggVorbis } from "./ogg";
import { AudioEncodeError, type Audio } from "./types";
import { encodeWav } from "./wav";

export type OutputFormat = "flac" | "wav" | "mp3" | "ogg";

export interface EncodeOptions {
  /** Default "flac" (upstream GenerationConfig.audio_format). */
  format?: OutputFormat;
  /** FLAC: 16 (default, soundfile's PCM_16) or 24. WAV: 16, 24, or 32 (= float, upstream "wav32"); default 16. */
  bitDepth?: 16 | 24 | 32;
  /** FLAC compression level 0–8 (default 5). */
  compression?: number;
  /** MP3 CBR kbps (default 128, ffmpeg's libmp3lame default). */
  bitrate?: Mp3Bitrate;
  /** Ogg Vorbis VBR quality −1…10 (default 5). */
  quality?: number;
}

export const FORMAT_EXTENSIONS: Record<OutputFormat, string> = { flac: ".flac", wav: ".wav", mp3: ".mp3", ogg: ".ogg" };

export async function encodeAudio(audio: Audio, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const format = opts.format ?? "flac";
  switch (format) {
    case "flac":
      if (opts.bitDepth === 32) throw new AudioEncodeError("FLAC output supports 16 or 24 bits");
      return encodeFlac(audio, { bitDepth: opts.bitDepth ?? 16, compression: opts.compression });
    case "wav":
      return encodeWav(audio, opts.bitDepth === 24 ? "pcm24" : opts.bitDepth === 32 ? "float32" : "pcm16");
    case "mp3":
      return encodeMp3(audio, opts.bitrate ?? 128);
    case "ogg":
      return encodeOggVorbis(audio, opts.quality ?? 5);
    default:
      throw new AudioEncodeError(`unknown output format ${String(format)}`);
  }
}

/** Output format from a path's extension, or undefined. */
export function formatFromPath(path: string): OutputFormat | undefined {
  const ext = extname(path).toLowerCase();
  return (Object.keys(FORMAT_EXTENSIONS) as OutputFormat[]).find(
    (f) => FORMAT_EXTENSIONS[f] === ext || (f === "ogg" && ext === ".oga"),
  );
}
