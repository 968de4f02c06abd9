// API token check: required whenever the server binds beyond loopback. The token may come
// as a Bearer header, an `acestep_token` cookie or a `token` query parameter (for <audio>
// and EventSource, which cannot set headers).
import type { IncomingMessage } from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";

export function requestToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const cookie = req.headers.cookie?.split(";").map((c) => c.trim()).find((c) => c.startsWith("acestep_token="));
  if (cookie) return decodeURIComponent(cookie.slice("acestep_token=".length));
  return url.searchParams.get("token");
}

/** Constant-time comparison over SHA-256 digests: equal lengths always, so not even the token's length leaks. */
export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected)) && given !== "";
}
