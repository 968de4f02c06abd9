import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { graphJsonSchema } from "../server/graph/format";

describe("graph JSON Schema file", () => {
  it("equals the schema generated from the zod definition (run `npm run gen:schema` after changing it)", () => {
    const onDisk = JSON.parse(readFileSync(new URL("../schema/graph.v1.schema.json", import.meta.url), "utf8"));
    expect(onDisk).toEqual(graphJsonSchema());
  });

  it("describes named params and ports, not positional widget arrays", () => {
    const s = graphJsonSchema() as {
      properties: {
        nodes: { additionalProperties: { properties: Record<string, unknown>; additionalProperties: boolean } };
      };
    };
    const node = s.properties.nodes.additionalProperties;
    expect(Object.keys(node.properties).sort()).toEqual(["inputs", "params", "type", "ui"]);
    expect(node.additionalProperties).toBe(false);
  });
});
