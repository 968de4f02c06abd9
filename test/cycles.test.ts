// No import cycles between folders (scripts/check-cycles.ts, also `npm run check:cycles`).
import { describe, expect, it } from "vitest";
import { folderCycles, folderGraph, folderOf, importSpecifiers } from "../scripts/check-cycles";

describe("folder cycle check", () => {
  it("reads run-time imports only: static, re-exports and dynamic ones, not `import type`", () => {
    const text = [
      'import { a } from "./a";',
      'import type { B } from "../b";',
      'export { c } from "./c";',
      'export type { D } from "./d";',
      'const e = await import("./e");',
      'import "./side-effect";',
      'import { readFileSync } from "node:fs";',
      '// import { f } from "./commented";',
    ].join("\n");
    expect(importSpecifiers(text)).toEqual(["./a", "./c", "./e", "./side-effect"]);
    expect(importSpecifiers(text, { types: true })).toEqual(["./a", "../b", "./c", "./d", "./e", "./side-effect"]);
  });

  it("groups files by top-level folder, and by sub-folder below server/", () => {
    expect(folderOf("server/engine/engine.ts")).toBe("server/engine");
    expect(folderOf("nodes/ace/tasks.ts")).toBe("nodes");
    expect(folderOf("server/config.ts")).toBe("server");
  });

  it("finds a cycle and names every folder in it", () => {
    const g = new Map([
      ["a", new Map([["b", "a/x.ts → ../b"]])],
      ["b", new Map([["c", "b/x.ts → ../c"]])],
      ["c", new Map([["a", "c/x.ts → ../a"]])],
      ["d", new Map([["a", "d/x.ts → ../a"]])],
    ]);
    expect(folderCycles(g)).toEqual([["a", "b", "c"]]);
    expect(folderCycles(new Map([["a", new Map([["b", ""]])]]))).toEqual([]);
  });

  it("the repository has no cycle between folders", () => {
    expect(folderCycles(folderGraph())).toEqual([]);
  });

  // server/runtime/README.md: every ORT session lives in server/runtime, below the models and the pipeline that use it
  it("server/runtime imports neither server/models nor server/pipeline, not even types", () => {
    const out = folderGraph(undefined, { types: true }).get("server/runtime") ?? new Map<string, string>();
    for (const folder of ["server/models", "server/pipeline"])
      expect(out.get(folder), `server/runtime → ${folder}`).toBeUndefined();
  });
});
