import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createDefaultRegistry } from "../nodes/index";
import { nodeDocsMarkdown } from "../server/graph/node-docs";

describe("docs/nodes.md", () => {
  it("is generated from the current node declarations (run `npm run gen:docs` after changing a node)", () => {
    const onDisk = readFileSync(new URL("../docs/nodes.md", import.meta.url), "utf8");
    expect(onDisk).toBe(nodeDocsMarkdown(createDefaultRegistry()));
  });

  it("documents every node type with its params", () => {
    const md = nodeDocsMarkdown(createDefaultRegistry());
    for (const def of createDefaultRegistry().list()) expect(md).toContain(`\`${def.type}\``);
    expect(md).toMatch(/\| `guidanceScale` \(linkable\) \| float \| `7` \| ≥ 1, ≤ 20 \|/);
  });
});
