// tRPC POST bodies are read here, after the guard and the token check, with a size cap (413 for more, chunked
// or not), and checked for duplicate JSON keys (JSON.parse would keep only the last one, e.g. of two nodes
// with the same id). The text is then handed to the tRPC adapter as `req.body`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { findDuplicateKeys } from "../graph/parse";
import { isBodyError, readCapped, sendBodyError } from "./capped-read";
import { sendJson } from "./respond";

export const TRPC_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** A tRPC error answer (the shape the client reads), one per call of a batch. */
function trpcError(req: IncomingMessage, status: number, code: string, message: string, issues?: unknown[]): unknown {
  const url = new URL(req.url ?? "/", "http://localhost");
  const paths = decodeURIComponent(url.pathname.slice("/api/trpc/".length)).split(",");
  const one = (path: string) => ({
    error: { message, code: status === 413 ? -32013 : -32600, data: { code, httpStatus: status, path, issues } },
  });
  return url.searchParams.get("batch") === "1" ? paths.map(one) : one(paths[0] ?? "");
}

/** Reads and checks the body; false when it already answered the request. */
export async function prepareTrpcBody(
  req: IncomingMessage,
  res: ServerResponse,
  max = TRPC_MAX_BODY_BYTES,
): Promise<boolean> {
  if (req.method !== "POST") return true;
  let text: string;
  try {
    text = (await readCapped(req, max)).toString("utf8");
  } catch (e) {
    if (!isBodyError(e)) throw e;
    sendBodyError(res, e, (message) =>
      trpcError(req, e.status, e.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", message),
    );
    return false;
  }
  let duplicates: string[][] = [];
  try {
    JSON.parse(text);
    duplicates = findDuplicateKeys(text, 5);
  } catch {
    /* not JSON, or nested too deeply to scan: tRPC and the graph checks answer that */
  }
  if (duplicates.length > 0) {
    const issues = duplicates.map((p) => {
      const key = p[p.length - 1].slice(0, 64);
      return {
        code: "duplicate_key",
        field: p.map((k) => k.slice(0, 64)).join("."),
        message: `the key "${key}" appears twice in one object; JSON keeps only the last one`,
      };
    });
    const message = `the request has duplicate keys: ${issues.map((i) => i.field).join(", ")}`;
    sendJson(res, 400, trpcError(req, 400, "BAD_REQUEST", message, issues));
    return false;
  }
  // An empty body is no input (as the adapter reads an empty stream), not a JSON syntax error.
  (req as IncomingMessage & { body?: string }).body = text.trim() === "" ? undefined : text;
  return true;
}
