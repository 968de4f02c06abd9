// Comments and docs cite upstream sources or documents inside this repository: a reader of the repository has no
// access to the team's private reference folder, so a citation of it (or of one of its notes by bare file name) is a
// dead end.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SCANNED = ["server", "nodes", "app", "test", "bench", "scripts", "docs", "graphs", "bin", ".ci", "README.md"];
const SKIP = new Set(["node_modules", ".next", "dist", "fixtures"]);
const TEXT = /\.(ts|tsx|mts|mjs|js|md|json)$|^run$/;
// Built from pieces so this file does not match itself.
const PRIVATE_REFERENCE = new RegExp(["\\.\\./", "shared/"].join("") + "|" + ["/work/", "shared"].join(""));
/** A Markdown file name, with an optional relative path (`docs/nodes.md`, `../docs/nodes.md`, `README.md`). */
const MD_CITATION = /(?<![\w./-])((?:\.{1,2}\/)*(?:[\w.-]+\/)*[\w.-]+\.md)\b/g;
/** Text right before an upstream citation: a URL, or a repository `owner/name` and a space or colon. */
const UPSTREAM_PREFIX = /(https?:\/\/\S*|\b([\w.-]+)\/[\w.-]+[ :])$/;

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

function* lines(): Generator<{ file: string; line: string; where: string }> {
  for (const top of SCANNED) {
    for (const file of files(join(ROOT, top))) {
      const text = readFileSync(file, "utf8");
      const rel = file.slice(ROOT.length + 1);
      let n = 0;
      for (const line of text.split("\n")) yield { file, line, where: `${rel}:${++n}` };
    }
  }
}

/**
 * Whether a `.md` citation on a line of `file` names something a reader can open: a file of this repository
 * (relative to the citing file or to the repository root), a URL, or a file of another repository named with it
 * (`ace-step/ACE-Step-1.5 docs/en/API.md`; the owner must not be a folder of this repository).
 */
export function citable(file: string, line: string, index: number, cited: string): boolean {
  if (existsSync(join(dirname(file), cited)) || existsSync(join(ROOT, cited))) return true;
  const before = UPSTREAM_PREFIX.exec(line.slice(0, index));
  if (!before) return false;
  if (before[1].startsWith("http")) return true;
  return !existsSync(join(ROOT, before[2]));
}

describe("citations", () => {
  it("no file cites the team's private reference folder", () => {
    const offenders: string[] = [];
    for (const { line, where } of lines()) if (PRIVATE_REFERENCE.test(line)) offenders.push(where);
    expect(offenders).toEqual([]);
  });

  it("every cited Markdown document is a file of this repository or is named with its repository", () => {
    const offenders: string[] = [];
    for (const { file, line, where } of lines()) {
      for (const m of line.matchAll(MD_CITATION)) {
        if (!citable(file, line, m.index, m[1])) offenders.push(`${where} ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("tells a missing note from a repository file, a URL and an upstream document (negative control)", () => {
    const here = join(ROOT, "test", "citations.test.ts");
    const check = (line: string) => [...line.matchAll(MD_CITATION)].every((m) => citable(here, line, m.index, m[1]));
    const md = (name: string) => `${name}.${"md"}`; // so that this file does not cite them itself
    expect(check(`// Spec: ${md("sampling")} §2`)).toBe(false);
    expect(check(`// see ${md("notes/tasks")}`)).toBe(false);
    expect(check(`// server/onnx ${md("notes")}`)).toBe(false);
    expect(check("// see docs/nodes.md and ../docs/precision.md")).toBe(true);
    expect(check("// ace-step/ACE-Step-1.5 docs/en/API.md")).toBe(true);
    expect(check("// https://github.com/ace-step/ACE-Step-1.5/blob/main/docs/en/API.md")).toBe(true);
  });
});
