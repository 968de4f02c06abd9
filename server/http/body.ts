// Request bodies for the plain HTTP routes (uploads, the REST facade): size-capped reading and the JSON,
// form-urlencoded and multipart/form-data formats, with errors that carry their HTTP status.
import type { IncomingMessage } from "node:http";
import { isBodyError, readCapped } from "./capped-read";

/** A request the server refuses, with the HTTP status to answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export interface RequestBody {
  fields: Record<string, unknown>;
  files: Record<string, UploadedFile>;
}

/** Reads the whole body, refusing (413) more than `max` bytes, declared or sent. */
export async function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  try {
    return await readCapped(req, max); // 413 answered readably, chunked too (the rest is discarded, not buffered)
  } catch (e) {
    if (isBodyError(e)) throw new HttpError(e.status, e.message);
    throw e;
  }
}

function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, "the JSON body must be an object");
  return v as Record<string, unknown>;
}

/** Parses a multipart/form-data body into string fields and files. */
export async function parseMultipart(raw: Buffer, contentType: string): Promise<RequestBody> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData();
  } catch {
    throw new HttpError(400, "the body is not valid multipart/form-data");
  }
  const fields: Record<string, unknown> = {};
  const files: Record<string, UploadedFile> = {};
  for (const [k, v] of form.entries()) {
    if (typeof v === "string") fields[k] = v;
    else files[k] = { name: v.name, bytes: new Uint8Array(await v.arrayBuffer()) };
  }
  return { fields, files };
}

/** Reads JSON, *+json, multipart/form-data and x-www-form-urlencoded bodies; without a content type, sniffed. */
export async function readBody(req: IncomingMessage, max: number): Promise<RequestBody> {
  const type = req.headers["content-type"] ?? "";
  const mime = type.toLowerCase().split(";")[0].trim();
  const raw = await readRaw(req, max);
  if (mime === "application/json" || mime.endsWith("+json"))
    return { fields: parseJsonObject(raw.toString("utf8")), files: {} };
  if (mime === "application/x-www-form-urlencoded")
    return { fields: Object.fromEntries(new URLSearchParams(raw.toString("utf8"))), files: {} };
  if (mime === "multipart/form-data") return parseMultipart(raw, type);
  if (mime === "") {
    const text = raw.toString("utf8").trim();
    if (text === "") return { fields: {}, files: {} };
    if (text.startsWith("{")) return { fields: parseJsonObject(text), files: {} };
    return { fields: Object.fromEntries(new URLSearchParams(text)), files: {} };
  }
  throw new HttpError(
    415,
    `Unsupported Content-Type: ${mime}; use application/json, multipart/form-data or application/x-www-form-urlencoded`,
  );
}
