// Safe parsing of untrusted graph input: size, depth, number and prototype-key guards that run
// before any schema code (or any override or copy) touches the value, so hostile input yields
// issues, not crashes; duplicate keys in JSON text are reported instead of the last one silently winning.
import { visit } from "jsonc-parser";
import { preview, type ValidationIssue } from "./issues";

export const INPUT_LIMITS = {
  maxBytes: 5 * 1024 * 1024,
  maxDepth: 24,
  maxNodes: 2000,
  maxStringLength: 200_000,
  /** Object keys longer than this are refused (names in the format are at most 128 characters). */
  maxKeyLength: 256,
};

/** Keys that would alter an object's prototype when assigned: refused at any depth. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Names that every plain JavaScript object already has (toString, hasOwnProperty, valueOf, …): as node ids,
 * port names or param names they would resolve to Object.prototype members, so the graph format refuses them.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  "prototype",
]);

export function isReservedName(name: string): boolean {
  return RESERVED_NAMES.has(name);
}

/** Parses JSON text into an unknown value, or returns the issues that stop it. */
export function parseGraphText(text: string, limits = INPUT_LIMITS): { value?: unknown; issues: ValidationIssue[] } {
  if (Buffer.byteLength(text, "utf8") > limits.maxBytes)
    return { issues: [{ code: "input_too_large", message: `the graph is larger than ${limits.maxBytes} bytes` }] };
  if (text.trim() === "")
    return { issues: [{ code: "input_not_json", message: "the input is empty; expected a graph JSON object" }] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof RangeError ? "it is nested too deeply to parse" : (e as Error).message;
    return { issues: [{ code: "input_not_json", message: `the input is not valid JSON: ${reason}` }] };
  }
  const shape = checkShape(value, limits);
  if (shape.length > 0) return { value, issues: shape };
  return { value, issues: duplicateKeyIssues(text) };
}

/** A path of keys as the issue `field` shows it: node params as nodeId + param name, others dotted. */
function locate(path: string[]): { nodeId?: string; field?: string } {
  if (path[0] === "nodes" && path.length >= 2) {
    const rest = path.slice(2);
    const field = rest[0] === "params" || rest[0] === "inputs" ? rest.slice(1) : rest;
    return { nodeId: path[1], field: field.length > 0 ? field.join(".") : undefined };
  }
  return { field: path.length > 0 ? path.join(".") : undefined };
}

const where = (path: string[]) => (path.length > 0 ? path.map((k) => String(preview(k, 64))).join(".") : "/");

/** Iterative walk (no recursion, so no stack overflow) checking depth, keys, numbers and string sizes. */
export function checkShape(value: unknown, limits = INPUT_LIMITS): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: Array<{ v: unknown; depth: number; path: string[] }> = [{ v: value, depth: 0, path: [] }];
  let visited = 0;
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (++visited > 1_000_000) {
      issues.push({ code: "input_too_large", message: "the graph has too many values" });
      break;
    }
    if (typeof v === "string") {
      if (v.length > limits.maxStringLength)
        issues.push({
          code: "input_too_large",
          ...locate(path),
          message: `the string at "${where(path)}" is ${v.length} characters; the limit is ${limits.maxStringLength}`,
        });
      continue;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v))
        issues.push({
          code: "not_a_finite_number",
          ...locate(path),
          received: String(v),
          message: `the value at "${where(path)}" must be a finite number, got ${String(v)} (a literal such as 1e999 overflows)`,
        });
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= limits.maxDepth) {
      issues.push({
        code: "input_too_deep",
        message: `the value at "${where(path)}" is nested deeper than ${limits.maxDepth} levels`,
      });
      return issues;
    }
    for (const key of Object.keys(v)) {
      if (key.length > limits.maxKeyLength) {
        issues.push({
          code: "input_too_large",
          message: `a key at "${where(path)}" is ${key.length} characters; the limit is ${limits.maxKeyLength} (key: ${JSON.stringify(preview(key, 40))})`,
        });
        continue;
      }
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push({
          code: "forbidden_key",
          ...locate([...path, key]),
          message: `the key "${key}" at "${where(path)}" is not allowed`,
        });
        continue;
      }
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: [...path, key] });
    }
  }
  return issues;
}

/**
 * Every key that appears twice in one object of the JSON text (JSON.parse keeps only the last one). Call it on text
 * that JSON.parse accepted and whose depth was checked: the scanner recurses per nesting level.
 */
export function findDuplicateKeys(text: string, max = 20): string[][] {
  const found: string[][] = [];
  const open: Array<Set<string>> = [];
  visit(text, {
    onObjectBegin: () => void open.push(new Set()),
    onObjectEnd: () => void open.pop(),
    onObjectProperty: (key, _offset, _length, _line, _column, pathSupplier) => {
      const keys = open[open.length - 1];
      if (!keys) return;
      if (keys.has(key)) {
        if (found.length < max) found.push([...pathSupplier().map(String), key]);
      } else keys.add(key);
    },
  });
  return found;
}

export function duplicateKeyIssues(text: string): ValidationIssue[] {
  return findDuplicateKeys(text).map((path) => ({
    code: "duplicate_key" as const,
    ...locate(path),
    message: `the key "${String(preview(path[path.length - 1], 64))}" appears twice in "${where(path.slice(0, -1))}"; JSON keeps only the last one, so remove or rename one`,
  }));
}
