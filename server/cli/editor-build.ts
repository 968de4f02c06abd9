// Whether the editor's production build is missing or older than its sources (used by
// `acestep serve` and the e2e harness), and the project root both build in.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function needsBuild(root = ROOT): boolean {
  const id = join(root, ".next", "BUILD_ID");
  if (!existsSync(id)) return true;
  const built = statSync(id).mtimeMs;
  const newer = (dir: string): boolean => {
    if (!existsSync(dir)) return false;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() ? newer(p) : !e.name.endsWith(".test.ts") && statSync(p).mtimeMs > built) return true;
    }
    return false;
  };
  return (
    ["app", "nodes", join("server", "graph")].some((d) => newer(join(root, d))) ||
    ["next.config.mjs", "package.json"].some((f) => statSync(join(root, f)).mtimeMs > built)
  );
}
