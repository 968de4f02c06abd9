// File routes: download/stream outputs with HTTP range support (for audio players), and
// audio upload (multipart, size-capped, content-sniffed) — all confined to the data folder.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { extname, join } from "node:path";
import { confinePath, PathEscapeError } from "../files/confine";
import { sniffAudio, MIME } from "../files/sniff";
import { writeFileAtomic } from "../files/atomic";
import { sendJson } from "./respond";
import { HttpError, readBody, type RequestBody } from "./body";

/**
 * GET/HEAD /api/files/<path> (and /v1/audio): the file, if `served` allows its data-relative path (see served.ts:
 * recorded outputs and uploads only); anything else is answered 404, as if it did not exist.
 */
export function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  dataDir: string,
  rawPath: string,
  served: (rel: string) => boolean,
): void {
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath);
  } catch {
    return sendJson(res, 400, { error: "the file path is not valid URL encoding" });
  }
  let full: string;
  try {
    full = confinePath(dataDir, rel);
  } catch (e) {
    if (e instanceof PathEscapeError) return sendJson(res, 403, { error: e.message });
    throw e;
  }
  if (
    !served(
      rel
        .split("/")
        .filter((p) => p !== "")
        .join("/"),
    )
  )
    return sendJson(res, 404, { error: `no file "${rel.slice(0, 200)}" is served (only run outputs and uploads are)` });
  let size: number;
  try {
    const st = statSync(full);
    if (!st.isFile()) return sendJson(res, 404, { error: `no file "${rel}"` });
    size = st.size;
  } catch {
    return sendJson(res, 404, { error: `no file "${rel}"` });
  }
  const type = MIME[extname(full).slice(1).toLowerCase()] ?? "application/octet-stream";
  const headers: Record<string, string | number> = {
    "Content-Type": type,
    "Accept-Ranges": "bytes",
    "Cache-Control": "no-cache",
  };
  const range = req.headers.range;
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range) {
    const r = parseRange(range, size);
    if (r === "unsatisfiable") {
      res.writeHead(416, { "Content-Range": `bytes */${size}` });
      res.end();
      return;
    }
    if (r) {
      [start, end] = r;
      status = 206;
      headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers["Content-Length"] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(full, { start, end });
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

/** Parses a single-range `Range` header. null = ignore (serve whole file). */
export function parseRange(header: string, size: number): [number, number] | "unsatisfiable" | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return [start, end];
}

/** POST /api/files/upload — multipart/form-data with one `file` field. */
export async function handleUpload(
  req: IncomingMessage,
  res: ServerResponse,
  dataDir: string,
  maxBytes: number,
): Promise<void> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data"))
    return sendJson(res, 415, { error: "upload with Content-Type multipart/form-data and a 'file' field" });
  let body: RequestBody;
  try {
    body = await readBody(req, maxBytes + 64 * 1024);
  } catch (e) {
    if (e instanceof HttpError)
      return sendJson(res, e.status, {
        error: e.status === 413 ? `the upload is larger than the limit of ${maxBytes} bytes` : e.message,
      });
    throw e;
  }
  const file = body.files.file;
  if (!file) return sendJson(res, 400, { error: "the upload has no 'file' field" });
  const bytes = file.bytes;
  if (bytes.length === 0) return sendJson(res, 400, { error: `the file "${file.name}" is empty` });
  if (bytes.length > maxBytes)
    return sendJson(res, 413, {
      error: `the file "${file.name}" is ${bytes.length} bytes; the limit is ${maxBytes} bytes`,
    });
  const format = sniffAudio(bytes);
  if (!format)
    return sendJson(res, 415, {
      error: `the file "${file.name}" is not audio this server can read (wav, flac, mp3, ogg)`,
    });
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const base =
    (file.name || "upload")
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9_-]+/g, "_")
      .slice(0, 60) || "upload";
  const rel = `uploads/${hash}-${base}.${format}`;
  await writeFileAtomic(join(dataDir, rel), bytes);
  sendJson(res, 201, { path: rel, bytes: bytes.length, format, name: file.name });
}
