// Regenerates schema/graph.v1.schema.json from the zod definition (npm run gen:schema).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { graphJsonSchema } from "./format";

const target = fileURLToPath(new URL("../../schema/graph.v1.schema.json", import.meta.url));
writeFileSync(target, JSON.stringify(graphJsonSchema(), null, 2) + "\n");
console.log(`wrote ${target}`);
