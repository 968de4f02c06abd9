// docs/api-parity.md lists every GenerationParams / GenerationConfig field of the schemas exactly once, each with
// a status, and a note wherever the status is not plain "implemented".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { camelToSnake, zGenerationConfigObject, zGenerationParamsObject } from "../server/api/params";
import { REST_PATHS } from "../server/api/rest/index";

const doc = readFileSync(join(import.meta.dirname, "..", "docs/api-parity.md"), "utf8");
const STATUSES = ["implemented", "differs", "missing", "not applicable"];

/** Rows `| \`name\` | status | notes |` of the table under `## heading`. */
function rows(heading: string): Array<{ name: string; status: string; notes: string }> {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/api-parity.md has no section "## ${heading}"`);
  const end = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return section
    .split("\n")
    .map((l) => /^\| `([^`]+)` \| ([^|]+?) \|(.*)\|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], status: m[2].trim(), notes: m[3].trim() }));
}

describe("docs/api-parity.md", () => {
  it.each([
    ["GenerationParams", zGenerationParamsObject.shape],
    ["GenerationConfig", zGenerationConfigObject.shape],
  ] as const)("lists exactly the %s schema fields", (heading, shape) => {
    const names = rows(heading).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(shape).map(camelToSnake).sort());
  });

  it("gives every row a known status and explains every one that is not plain implemented", () => {
    for (const heading of [
      "GenerationParams",
      "GenerationConfig",
      "GenerationResult and the audio entries",
      "Functions",
      "REST endpoints",
    ])
      for (const r of rows(heading)) {
        expect(STATUSES, `${heading}: ${r.name}`).toContain(r.status);
        if (r.status !== "implemented") expect(r.notes, `${heading}: ${r.name} needs a note`).not.toBe("");
      }
  });

  it("lists every REST route of the facade", () => {
    const listed = rows("REST endpoints").map((r) => r.name.split(" ")[1]);
    expect([...listed].sort()).toEqual([...REST_PATHS].sort());
  });

  it("covers the four official functions", () => {
    const names = rows("Functions").map((r) => r.name);
    for (const f of ["generate_music", "understand_music", "create_sample", "format_sample"])
      expect(names).toContain(f);
  });
});
