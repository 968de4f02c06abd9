// Which files of the data folder the file routes (/api/files/<path>, /v1/audio?path=) may serve: finished
// outputs recorded in the run store and uploaded audio. Never the database and its WAL, temp files of
// writes in progress, converted models or anything else that lives in the data folder.
import { readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { RunStore } from "../runs/store";

/** A temp file of writeFileAtomic (server/files/atomic.ts): `.<name>.<hex>.tmp`. */
const TEMP_FILE = /^\..+\.[0-9a-f]+\.tmp$/;
/** Folders whose temp files are swept at start. */
const WRITE_FOLDERS = ["outputs", "uploads"];
/** A temp file untouched this long belongs to an interrupted write (another live process may share the folder). */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * Whether `rel` (a data-relative path, already confined to the data folder) may be served: `uploads/<file>`, or
 * `outputs/<run>/…` recorded as an output of that run. No segment may start with a dot (temp and hidden files).
 */
export function isServedPath(store: Pick<RunStore, "listOutputs">, rel: string): boolean {
  const parts = rel.split("/").filter((p) => p !== "");
  if (parts.length < 2 || parts.some((p) => p.startsWith("."))) return false;
  if (parts[0] === "uploads") return parts.length === 2;
  if (parts[0] !== "outputs" || parts.length < 3) return false;
  const path = parts.join("/");
  return store.listOutputs(parts[1]).some((o) => o.path === path);
}

/** Removes temp files of interrupted atomic writes under outputs/ and uploads/; returns how many. */
export function removeStaleTempFiles(dataDir: string, now = Date.now(), staleMs = STALE_TEMP_MS): number {
  let removed = 0;
  const sweep = (dir: string, depth: number) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // the folder does not exist yet
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory() && depth < 3) sweep(full, depth + 1);
      else if (e.isFile() && TEMP_FILE.test(e.name)) {
        try {
          if (now - statSync(full).mtimeMs < staleMs) continue;
          unlinkSync(full);
          removed++;
        } catch {
          /* gone meanwhile */
        }
      }
    }
  };
  for (const f of WRITE_FOLDERS) sweep(join(dataDir, f), 0);
  return removed;
}
