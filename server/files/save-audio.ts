// saveAudioFile: encodes audio (server/audio/encode.ts) and writes it atomically (temp file in the same folder,
// fsync, rename; ./atomic.ts).
import type { Audio } from "../audio/types";
import { AudioEncodeError, describeError } from "../audio/types";
import { encodeAudio, formatFromPath, type EncodeOptions } from "../audio/encode";
import { writeFileAtomic } from "./atomic";

/** Encodes and saves; the format comes from `opts.format`, else the extension, else FLAC. Returns the bytes written. */
export async function saveAudioFile(path: string, audio: Audio, opts: EncodeOptions = {}): Promise<number> {
  const format = opts.format ?? formatFromPath(path) ?? "flac";
  const bytes = await encodeAudio(audio, { ...opts, format });
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new AudioEncodeError(`cannot write ${path}: ${describeError(err)}`, { cause: err });
  }
  return bytes.length;
}
