// Checks of the files a library caller names (src_audio, reference_audio): every user error becomes an
// InputFileError naming the field, so generateMusic answers success=false instead of throwing. The file is
// sniffed before anything is copied into the data folder, and paths in messages are cut short.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { sniffAudio, type SniffedAudio } from "../files/sniff";

export class InputFileError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "InputFileError";
  }
}

/** A path for a message: at most 200 characters. */
export function shownPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}… (${path.length} characters)` : path;
}

const MiB = 1024 * 1024;

/**
 * The file at `path` must be a readable regular file of at most `maxBytes` holding audio this build reads
 * (wav, flac, mp3, ogg, aiff by content). `given` is the path as the caller wrote it (for messages).
 */
export function checkAudioFile(
  field: string,
  path: string,
  given: string,
  maxBytes: number,
): { size: number; format: SniffedAudio } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputFileError(field, `${field}: "${shownPath(given)}" is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(field, `${field}: no file "${shownPath(given)}"`);
  }
  if (size === 0) throw new InputFileError(field, `${field}: the file "${shownPath(given)}" is empty`);
  if (size > maxBytes)
    throw new InputFileError(
      field,
      `${field}: the file "${shownPath(given)}" is ${(size / MiB).toFixed(1)} MiB; the limit is ${(maxBytes / MiB).toFixed(1)} MiB (ACESTEP_MAX_UPLOAD_BYTES)`,
    );
  const head = Buffer.alloc(64);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    readSync(fd, head, 0, head.length, 0);
  } catch (e) {
    throw new InputFileError(
      field,
      `${field}: cannot read "${shownPath(given)}" (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const format = sniffAudio(head);
  if (!format)
    throw new InputFileError(
      field,
      `${field}: "${shownPath(given)}" is not audio this build can read (wav, flac, mp3, ogg or aiff)`,
    );
  return { size, format };
}

/** SHA-256 of a file, read in 1 MiB pieces (never the whole file in memory). */
export function hashFile(path: string): string {
  const hash = createHash("sha256");
  const buf = Buffer.alloc(MiB);
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
