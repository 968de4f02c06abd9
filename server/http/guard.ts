// Browser-borne attacks on a studio that needs no token (loopback, the default): DNS rebinding and
// cross-site requests. Every request, on every route (tRPC, REST facade, uploads, files, pages), passes
// here before authentication and before any body is read.
//  - Host: without a token, the Host header must name this machine (localhost, 127.x, [::1], the bound
//    address or ACESTEP_ALLOWED_HOSTS): a rebound name like evil.example is refused.
//  - State-changing methods (anything but GET/HEAD/OPTIONS): refused when Sec-Fetch-Site says the request
//    comes from another site, or Origin names another origin than the one requested (or one listed in
//    ACESTEP_ALLOWED_ORIGINS); the tRPC API also refuses the "simple" content types that a plain HTML form
//    can send cross-site without a preflight (clients send application/json).
// See README "Security" for the rules and the settings for a reverse proxy.
import type { IncomingMessage } from "node:http";
import { isLoopback } from "../config";

export interface GuardConfig {
  host: string;
  apiToken: string | null;
  /** Extra Host names accepted (ACESTEP_ALLOWED_HOSTS, comma-separated; "*" accepts any). */
  allowedHosts?: string[];
  /** Extra origins accepted for state-changing requests (ACESTEP_ALLOWED_ORIGINS, e.g. https://studio.example). */
  allowedOrigins?: string[];
}

export interface Refusal {
  status: 403 | 415 | 421;
  message: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Content types a cross-site HTML form or a no-cors fetch can send without a CORS preflight. */
const SIMPLE_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** The host name of a Host header value, lower-case, without the port ("[::1]:3000" → "[::1]"). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.indexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

function isLocalName(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost") || isLoopback(name);
}

export function createGuard(config: GuardConfig): (req: IncomingMessage) => Refusal | null {
  const tokenRequired = !isLoopback(config.host) || config.apiToken !== null;
  const extraHosts = new Set((config.allowedHosts ?? []).map((h) => hostName(h)));
  const anyHost = extraHosts.has("*");
  const bound = hostName(config.host);
  const allowedOrigins = new Set((config.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, "")));

  const hostAllowed = (name: string) =>
    anyHost || isLocalName(name) || extraHosts.has(name) || (!WILDCARD_BINDS.has(bound) && name === bound);

  return (req) => {
    const host = req.headers.host;
    // With a token, a rebound page has no token to send; without one, the Host header is the only defence.
    if (!tokenRequired && host !== undefined && !hostAllowed(hostName(host)))
      return {
        status: 421,
        message: `the Host "${host.slice(0, 100)}" is not this server; open it as http://localhost or set ACESTEP_ALLOWED_HOSTS`,
      };
    if (SAFE_METHODS.has(req.method ?? "GET")) return null;
    const origin = typeof req.headers.origin === "string" ? req.headers.origin.replace(/\/+$/, "") : undefined;
    const sameOrigin =
      origin !== undefined &&
      host !== undefined &&
      /^https?:\/\//i.test(origin) &&
      new URL(origin).host.toLowerCase() === host.toLowerCase();
    const originAllowed = origin !== undefined && (sameOrigin || allowedOrigins.has(origin.toLowerCase()));
    const site = req.headers["sec-fetch-site"];
    if (typeof site === "string" && site !== "same-origin" && site !== "none" && !originAllowed)
      return {
        status: 403,
        message: `cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 40)}); list the origin in ACESTEP_ALLOWED_ORIGINS if it is yours`,
      };
    if (origin !== undefined && !originAllowed)
      return {
        status: 403,
        message: `cross-origin request refused (Origin: ${origin.slice(0, 100)}); list the origin in ACESTEP_ALLOWED_ORIGINS if it is yours`,
      };
    const mime = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if ((req.url ?? "").startsWith("/api/trpc/") && (mime === "" || SIMPLE_TYPES.has(mime)) && !originAllowed)
      return { status: 415, message: `the API takes Content-Type application/json, not ${mime || "no content type"}` };
    return null;
  };
}
