// Audio a REST request brings (multipart files of /release_task, base64 `input_audio` parts of
// /v1/chat/completions): sniffed, stored under uploads/ in the data folder and deleted when the task ends,
// as upstream deletes its temp files (acestep/api_server.py `job_temp_files`).
import { createHash, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { AppContext } from "../../app-context";
import { HttpError } from "../../http/body";
import { sniffAudio } from "../../files/sniff";
import { writeFileAtomic } from "../../files/atomic";

/** Writes uploaded audio into uploads/ and returns its data-relative path; 415 when it is not audio. */
export async function storeUpload(app: AppContext, bytes: Uint8Array, what: string): Promise<string> {
  const format = sniffAudio(bytes);
  if (!format) throw new HttpError(415, `${what} is not audio this server can read (wav, flac, mp3, ogg)`);
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const rel = `uploads/api-${hash}-${randomUUID().slice(0, 8)}.${format}`;
  await writeFileAtomic(join(app.config.dataDir, rel), bytes);
  return rel;
}

/** A path in the data folder: relative, or absolute under the data folder (403 otherwise). */
export function dataRelative(dataDir: string, p: string, field: string): string {
  if (!isAbsolute(p)) return p;
  const root = resolve(dataDir);
  const full = resolve(p);
  if (full.startsWith(root + sep)) return relative(root, full).split(sep).join("/");
  throw new HttpError(403, `${field} "${p}" is outside the data folder`);
}

/** Deletes uploads (data-relative paths); missing files are fine. */
export async function removeUploads(dataDir: string, uploads: readonly string[]): Promise<void> {
  for (const u of uploads) await rm(join(dataDir, u), { force: true }).catch(() => {});
}
