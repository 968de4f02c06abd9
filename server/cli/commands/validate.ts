// `acestep validate <graph.json>`: lists every issue; exit 1 when there is any.
import { createDefaultRegistry } from "../../../nodes/index";
import { validateGraph } from "../../graph/validate";
import { formatIssue } from "../../graph/issues";
import { readGraphFile } from "../read-graph";

export function validateCommand(argv: string[]): number {
  if (argv.length !== 1) {
    console.error("usage: acestep validate <graph.json>");
    return 2;
  }
  const { graph, issues } = readGraphFile(argv[0]);
  let all = issues;
  if (all.length === 0) {
    const r = validateGraph(graph, createDefaultRegistry());
    all = r.ok ? [] : r.issues;
  }
  if (all.length === 0) {
    console.log(`${argv[0]}: valid`);
    return 0;
  }
  console.error(`${argv[0]}: ${all.length} issue${all.length === 1 ? "" : "s"}`);
  for (const i of all) console.error(`  ${formatIssue(i)}`);
  return 1;
}
