// Example workflows shipped in graphs/: listed by the editor's examples menu and run by tests.
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const GRAPHS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "graphs");

export interface ExampleGraph {
  id: string;
  name: string;
  description: string;
  graph: unknown;
}

export function listExamples(dir = GRAPHS_DIR): ExampleGraph[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const graph = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
        meta?: { name?: string; description?: string };
      };
      return {
        id: f.replace(/\.json$/, ""),
        name: graph.meta?.name ?? f,
        description: graph.meta?.description ?? "",
        graph,
      };
    });
}
