// Markdown reference of every node, generated from the declarations (docs/nodes.md).
import type { NodeRegistry } from "../../nodes/registry";
import { describeRegistry, type NodeDescription } from "./describe";

function paramRows(n: NodeDescription): string[] {
  const props = (n.params as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
  return Object.entries(props).map(([k, p]) => {
    const bound = (v: unknown) => v !== undefined && Math.abs(Number(v)) < Number.MAX_SAFE_INTEGER;
    const range = [
      bound(p.minimum) ? `≥ ${p.minimum}` : "",
      bound(p.maximum) ? `≤ ${p.maximum}` : "",
      p.enum
        ? (p.enum as unknown[]).length > 12
          ? `${(p.enum as unknown[]).length} options`
          : (p.enum as unknown[]).map((x) => `\`${x === "" ? '""' : String(x)}\``).join(" ")
        : "",
    ]
      .filter(Boolean)
      .join(", ");
    const type = p.type === "integer" ? "int" : p.type === "number" ? "float" : String(p.type ?? "");
    const link = n.paramPorts[k] ? " (linkable)" : "";
    return `| \`${k}\`${link} | ${type} | \`${JSON.stringify(p.default)}\` | ${range} | ${String(p.description ?? "")
      .replace(/\|/g, "\\|")
      .replace(/\n/g, " ")} |`;
  });
}

export function nodeDocsMarkdown(registry: NodeRegistry): string {
  const list = describeRegistry(registry);
  const cats = [...new Set(list.map((n) => n.category))];
  const out = [
    "# Node reference",
    "",
    "Generated from the node declarations in `nodes/` by `npm run gen:docs` (a test keeps it in sync). Ports carry the types",
    "AUDIO, LATENT, CONDITIONING, AUDIO_CODES, SONG, DIT, LM, VAE, TEXT_ENCODER, STRING, INT, FLOAT, BOOLEAN; INT widens to FLOAT.",
    "Params marked *linkable* can also be fed by a link of their type.",
    "",
  ];
  for (const c of cats) {
    out.push(`## ${c}`, "");
    for (const n of list.filter((x) => x.category === c)) {
      out.push(`### ${n.title} — \`${n.type}\`${n.output ? " (output node)" : ""}`, "", n.description, "");
      const ins = Object.entries(n.inputs).map(([k, v]) => `\`${k}\`: ${v.type}${v.optional ? " (optional)" : ""}`);
      const outs = Object.entries(n.outputs).map(([k, v]) => `\`${k}\`: ${v.type}`);
      out.push(`Inputs: ${ins.join(", ") || "none"}. Outputs: ${outs.join(", ") || "none"}.`, "");
      const rows = paramRows(n);
      if (rows.length)
        out.push("| param | type | default | range | description |", "|---|---|---|---|---|", ...rows, "");
    }
  }
  return out.join("\n");
}
