// Comments and docs cite upstream sources or documents inside this repository: a reader of the repository has no
// access to the team's private reference folder, so a citation of it is a dead end.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SCANNED = ["server", "nodes", "app", "test", "bench", "scripts", "docs", "graphs", "README.md"];
const SKIP = new Set(["node_modules", ".next", "dist", "fixtures"]);
const TEXT = /\.(ts|tsx|mts|mjs|js|md|json)$/;
// Built from pieces so this file does not match itself.
const PRIVATE_REFERENCE = new RegExp(["\\.\\./", "shared/"].join("") + "|" + ["/work/", "shared"].join(""));

function* files(path: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    yield path;
    return;
  }
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const p = join(path, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (TEXT.test(e.name)) yield p;
  }
}

describe("citations", () => {
  it("no file cites the team's private reference folder", () => {
    const offenders: string[] = [];
    for (const top of SCANNED) {
      for (const file of files(join(ROOT, top))) {
        readFileSync(file, "utf8")
          .split("\n")
          .forEach((line, i) => {
            if (PRIVATE_REFERENCE.test(line)) offenders.push(`${file.slice(ROOT.length + 1)}:${i + 1}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });
});
