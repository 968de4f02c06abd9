// Cache signatures: a hash of node type + params + upstream signatures (+ optional fingerprint).
import { createHash } from "node:crypto";

/** JSON with sorted keys, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const rec = value as Record<string, unknown>;
  return `{${Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`)
    .join(",")}}`;
}

export function nodeSignature(parts: {
  type: string;
  params: Record<string, unknown>;
  upstream: Record<string, string>;
  fingerprint?: string;
}): string {
  return createHash("sha256").update(canonicalJson(parts)).digest("hex");
}
