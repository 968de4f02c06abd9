// Safe parsing of untrusted graph input: size, depth and prototype-key guards that run
// before any schema code touches the value, so hostile input yields issues, not crashes.
import type { ValidationIssue } from "./issues";

export const INPUT_LIMITS = {
  maxBytes: 5 * 1024 * 1024,
  maxDepth: 24,
  maxNodes: 2000,
  maxStringLength: 200_000,
};

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Parses JSON text into an unknown value, or returns the issue that stops it. */
export function parseGraphText(text: string, limits = INPUT_LIMITS): { value?: unknown; issues: ValidationIssue[] } {
  if (Buffer.byteLength(text, "utf8") > limits.maxBytes)
    return { issues: [{ code: "input_too_large", message: `the graph is larger than ${limits.maxBytes} bytes` }] };
  if (text.trim() === "") return { issues: [{ code: "input_not_json", message: "the input is empty; expected a graph JSON object" }] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof RangeError ? "it is nested too deeply to parse" : (e as Error).message;
    return { issues: [{ code: "input_not_json", message: `the input is not valid JSON: ${reason}` }] };
  }
  return { value, issues: checkShape(value, limits) };
}

/** Iterative walk (no recursion, so no stack overflow) checking depth, keys and string sizes. */
export function checkShape(value: unknown, limits = INPUT_LIMITS): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 0, path: "" }];
  let visited = 0;
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (++visited > 1_000_000) {
      issues.push({ code: "input_too_large", message: "the graph has too many values" });
      break;
    }
    if (typeof v === "string") {
      if (v.length > limits.maxStringLength)
        issues.push({ code: "input_too_large", message: `the string at "${path || "/"}" is ${v.length} characters; the limit is ${limits.maxStringLength}`, field: path });
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= limits.maxDepth) {
      issues.push({ code: "input_too_deep", message: `the value at "${path || "/"}" is nested deeper than ${limits.maxDepth} levels` });
      return issues;
    }
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push({ code: "forbidden_key", message: `the key "${key}" at "${path || "/"}" is not allowed`, field: path ? `${path}.${key}` : key });
        continue;
      }
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
  return issues;
}
