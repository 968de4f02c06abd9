// `acestep nodes [type] [--json]`: node declarations as text or JSON.
import { parseArgs } from "node:util";
import { createDefaultRegistry } from "../../../nodes/index";
import { describeRegistry, type NodeDescription } from "../../graph/describe";

export function nodesCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  let list = describeRegistry(createDefaultRegistry());
  if (positionals[0]) {
    list = list.filter((n) => n.type === positionals[0]);
    if (list.length === 0) {
      console.error(`no node type "${positionals[0]}" (see \`acestep nodes\`)`);
      return 1;
    }
  }
  if (values.json) console.log(JSON.stringify(positionals[0] ? list[0] : list, null, 2));
  else
    console.log(
      list
        .map((n) => (positionals[0] ? describeText(n) : `${n.type.padEnd(28)} ${n.category.padEnd(12)} ${n.title}`))
        .join("\n"),
    );
  return 0;
}

export function describeText(n: NodeDescription): string {
  const props = (n.params as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
  const lines = [`${n.title} (${n.type}) — ${n.category}${n.output ? ", output node" : ""}`, n.description, ""];
  lines.push("inputs:");
  for (const [k, v] of Object.entries(n.inputs))
    lines.push(`  ${k}: ${v.type}${v.optional ? " (optional)" : ""}${v.description ? ` — ${v.description}` : ""}`);
  if (!Object.keys(n.inputs).length) lines.push("  none");
  lines.push("outputs:");
  for (const [k, v] of Object.entries(n.outputs))
    lines.push(`  ${k}: ${v.type}${v.description ? ` — ${v.description}` : ""}`);
  if (!Object.keys(n.outputs).length) lines.push("  none");
  lines.push("params:");
  for (const [k, p] of Object.entries(props)) {
    const range = [
      p.minimum !== undefined ? `min ${p.minimum}` : "",
      p.maximum !== undefined ? `max ${p.maximum}` : "",
      p.enum ? `one of ${(p.enum as unknown[]).join("|")}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    lines.push(
      `  ${k}: ${p.type ?? "value"} = ${JSON.stringify(p.default)}${range ? ` (${range})` : ""}${p.description ? ` — ${p.description}` : ""}`,
    );
  }
  if (!Object.keys(props).length) lines.push("  none");
  return lines.join("\n");
}
