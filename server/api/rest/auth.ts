// The REST facade's token rule with upstream's messages (acestep/api_server.py `verify_api_key`,
// `verify_token_from_request`): a header token, or an `ai_token` body field read from a small body only.
import type { IncomingMessage } from "node:http";
import type { AppContext } from "../../app-context";
import { authorize, type AuthResult } from "../../http/auth";
import { HttpError, readBody, type RequestBody } from "../../http/body";

const AUTH_MESSAGES: Record<Exclude<AuthResult, { ok: true }>["reason"], string> = {
  unconfigured: "the server is bound beyond loopback without ACESTEP_API_TOKEN",
  missing: "Missing ai_token or Authorization header",
  wrong: "Invalid API key",
  "wrong-body-token": "Invalid ai_token",
};

/** The server's token rule, with upstream's messages; throws the 401 (or 500) to answer. */
export function requireAuth(app: AppContext, req: IncomingMessage, url: URL, bodyToken?: unknown): void {
  const r = authorize(app.config, req, url, bodyToken);
  if (!r.ok) throw new HttpError(r.status, AUTH_MESSAGES[r.reason]);
}

/** Bodies read before the token is known (for upstream's ai_token field) are capped at this. */
export const UNAUTHENTICATED_BODY_BYTES = 64 * 1024;

/**
 * The token before the body: with a valid header (or query/cookie) token, or none needed, the body is read up to
 * `max`. Otherwise it is read only up to 64 KiB, for an `ai_token` field; a larger or unreadable body is refused
 * 401 without being read (an unauthenticated client never gets memory or a parse error out of the server).
 */
export async function readAuthenticated(
  app: AppContext,
  req: IncomingMessage,
  url: URL,
  max: number,
): Promise<RequestBody> {
  const header = authorize(app.config, req, url);
  if (header.ok) return readBody(req, max);
  if (header.reason === "unconfigured") requireAuth(app, req, url);
  let body: RequestBody;
  try {
    body = await readBody(req, Math.min(max, UNAUTHENTICATED_BODY_BYTES));
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    if (header.reason === "wrong") requireAuth(app, req, url);
    throw new HttpError(
      401,
      `Missing ai_token or Authorization header (ai_token in the body is read from bodies up to ${UNAUTHENTICATED_BODY_BYTES} bytes; send larger ones with "Authorization: Bearer <token>")`,
    );
  }
  requireAuth(app, req, url, body.fields.ai_token ?? body.fields.aiToken);
  return body;
}
