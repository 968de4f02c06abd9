// REST facade responses in the upstream shapes (acestep/api_server.py): the `{data, code, error, timestamp,
// extra}` envelope of `_wrap_response`, and FastAPI's `{detail}` body for errors.
import type { ServerResponse } from "node:http";
import { sendJson } from "../../http/respond";

/** The upstream envelope (`_wrap_response`). */
export function wrap(data: unknown, code = 200, error: string | null = null) {
  return { data, code, error, timestamp: Date.now(), extra: null };
}

/** Answers the envelope with HTTP 200. */
export function sendData(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, wrap(data));
}

/** Answers the envelope with HTTP 200 and the given code and error (upstream reports some failures so). */
export function sendEnvelope(res: ServerResponse, data: unknown, code = 200, error: string | null = null): void {
  sendJson(res, 200, wrap(data, code, error));
}

/** FastAPI HTTPException body. */
export function sendDetail(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { detail: message });
}
