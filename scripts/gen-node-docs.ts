// Regenerates docs/nodes.md from the node declarations (npm run gen:docs).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createDefaultRegistry } from "../nodes/index";
import { nodeDocsMarkdown } from "../server/graph/node-docs";

const target = fileURLToPath(new URL("../docs/nodes.md", import.meta.url));
writeFileSync(target, nodeDocsMarkdown(createDefaultRegistry()));
console.log(`wrote ${target}`);
