// Reads a graph file for the CLI with clear errors (missing file, not JSON, too large, …).
import { readFileSync, statSync } from "node:fs";
import { parseGraphText, INPUT_LIMITS } from "../graph/parse";
import type { ValidationIssue } from "../graph/issues";

export function readGraphFile(path: string): { graph?: unknown; issues: ValidationIssue[] } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { issues: [{ code: "bad_structure", message: `"${path}" is not a file` }] };
    size = st.size;
  } catch {
    return { issues: [{ code: "bad_structure", message: `cannot read "${path}": no such file` }] };
  }
  if (size > INPUT_LIMITS.maxBytes)
    return {
      issues: [
        { code: "input_too_large", message: `"${path}" is ${size} bytes; the limit is ${INPUT_LIMITS.maxBytes}` },
      ],
    };
  const text = readFileSync(path, "utf8");
  const p = parseGraphText(text);
  return { graph: p.value, issues: p.issues.map((i) => ({ ...i, message: `${path}: ${i.message}` })) };
}
