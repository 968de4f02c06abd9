// Confines user-given paths to the data folder: rejects `..`, absolute paths, encoded
// escapes, NUL bytes, backslashes and symlinks that lead outside.
import { realpathSync, existsSync } from "node:fs";
import { resolve, sep, isAbsolute } from "node:path";

export class PathEscapeError extends Error {
  constructor(
    readonly requested: string,
    reason: string,
  ) {
    super(`the path "${requested.slice(0, 200)}" is not allowed: ${reason}`);
    this.name = "PathEscapeError";
  }
}

/** Resolves a relative path (already URL-decoded once) inside `root`, or throws PathEscapeError. */
export function confinePath(root: string, requested: string): string {
  if (requested.includes("\0")) throw new PathEscapeError(requested, "it contains a NUL byte");
  if (requested.includes("\\")) throw new PathEscapeError(requested, "backslashes are not allowed");
  if (/%(2e|2f|5c|00)/i.test(requested)) throw new PathEscapeError(requested, "it contains an encoded path character");
  if (isAbsolute(requested) || /^[A-Za-z]:/.test(requested))
    throw new PathEscapeError(requested, "absolute paths are not allowed");
  const parts = requested.split("/");
  if (parts.some((p) => p === ".." || p === "."))
    throw new PathEscapeError(requested, "'.' and '..' segments are not allowed");
  const rootReal = realpathSync(resolve(root));
  const full = resolve(rootReal, ...parts.filter((p) => p !== ""));
  if (full !== rootReal && !full.startsWith(rootReal + sep))
    throw new PathEscapeError(requested, "it leads outside the data folder");
  if (existsSync(full)) {
    const real = realpathSync(full);
    if (real !== rootReal && !real.startsWith(rootReal + sep))
      throw new PathEscapeError(requested, "it is a link that leads outside the data folder");
  }
  return full;
}
