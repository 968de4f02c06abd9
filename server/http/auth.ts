// API token check: required whenever the server binds beyond loopback. The token may come
// as a Bearer header, an `acestep_token` cookie or a `token` query parameter (for <audio>
// and EventSource, which cannot set headers).
import type { IncomingMessage } from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopback } from "../config";

export function requestToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const cookie = req.headers.cookie
    ?.split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith("acestep_token="));
  if (cookie) return decodeURIComponent(cookie.slice("acestep_token=".length));
  return url.searchParams.get("token");
}

/** Constant-time comparison over SHA-256 digests: equal lengths always, so not even the token's length leaks. */
export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected)) && given !== "";
}

export type AuthResult =
  { ok: true } | { ok: false; status: 401 | 500; reason: "unconfigured" | "missing" | "wrong" | "wrong-body-token" };

/** Whether requests need the token: always beyond loopback, and on loopback once one is configured. */
export function needsToken(config: { host: string; apiToken: string | null }): boolean {
  return !isLoopback(config.host) || config.apiToken !== null;
}

/**
 * The one token rule for every route. The token may come as a Bearer header, a bare Authorization header (as
 * upstream's REST clients send it), the cookie, the `token` query parameter, or a body field (`bodyToken`).
 */
export function authorize(
  config: { host: string; apiToken: string | null },
  req: IncomingMessage,
  url: URL,
  bodyToken?: unknown,
): AuthResult {
  if (!needsToken(config)) return { ok: true };
  const expected = config.apiToken;
  if (!expected) return { ok: false, status: 500, reason: "unconfigured" };
  if (typeof bodyToken === "string" && bodyToken !== "")
    return tokenMatches(bodyToken, expected) ? { ok: true } : { ok: false, status: 401, reason: "wrong-body-token" };
  const header = req.headers.authorization?.trim();
  const given = header && !header.startsWith("Bearer ") ? header : requestToken(req, url);
  if (!given) return { ok: false, status: 401, reason: "missing" };
  return tokenMatches(given, expected) ? { ok: true } : { ok: false, status: 401, reason: "wrong" };
}
