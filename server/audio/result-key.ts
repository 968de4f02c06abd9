// Deterministic output key, as upstream generate_uuid_from_params: SHA-256 of
// json.dumps(params, sort_keys=True, ensure_ascii=False), first 32 hex digits shaped 8-4-4-4-12.
import { createHash } from "node:crypto";

/** Marks a number that Python holds as a float, so 1 serialises as "1.0". */
export class PyFloat {
  constructor(readonly value: number) {}
}
export const pyFloat = (value: number) => new PyFloat(value);

export type PyJson =
  null | boolean | number | bigint | string | PyFloat | PyJson[] | { [key: string]: PyJson | undefined };

export interface PyJsonOptions {
  /** Keys (at any depth) whose numeric values are Python floats, e.g. "guidance_scale". */
  floatKeys?: Iterable<string>;
}

/** Python repr(float): shortest round-trip digits; exponent form when exp < −4 or ≥ 16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expStr] = x.toExponential().split("e"); // shortest digits, e.g. "1.5e+16"
  const exp = Number(expStr);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${neg ? "-" : ""}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  let s: string;
  if (exp < 0) s = `0.${"0".repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) s = `${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  else s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return (neg ? "-" : "") + s;
}

/** Python code-point order (JS sort compares UTF-16 units, which differs above U+FFFF). */
function cmpCodePoints(a: string, b: string): number {
  const A = Array.from(a, (c) => c.codePointAt(0)!);
  const B = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(A.length, B.length); i++) if (A[i] !== B[i]) return A[i] - B[i];
  return A.length - B.length;
}

/** json.dumps(value, sort_keys=True, ensure_ascii=False) with default separators ", " and ": ". */
export function pythonJsonDumps(value: PyJson, opts: PyJsonOptions = {}): string {
  const floatKeys = new Set(opts.floatKeys ?? []);
  const enc = (v: PyJson | undefined, asFloat: boolean): string => {
    if (v === null || v === undefined) return "null";
    if (v instanceof PyFloat) return pythonFloatRepr(v.value);
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false";
      case "bigint":
        return v.toString();
      case "number":
        if (asFloat || !Number.isInteger(v)) return pythonFloatRepr(v);
        return Math.abs(v) < 1e21 ? BigInt(v).toString() : pythonFloatRepr(v);
      case "string":
        return JSON.stringify(v); // same escapes as Python with ensure_ascii=False (control chars, \", \\)
    }
    if (Array.isArray(v)) return v.length ? `[${v.map((x) => enc(x, asFloat)).join(", ")}]` : "[]";
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort(cmpCodePoints);
    return keys.length
      ? `{${keys.map((k) => `${JSON.stringify(k)}: ${enc(v[k], floatKeys.has(k))}`).join(", ")}}`
      : "{}";
  };
  return enc(value, false);
}

/** The "UUID" shaped key upstream names output files with (`<save_dir>/<key>.<format>`). */
export function generateUuidFromParams(params: PyJson, opts: PyJsonOptions = {}): string {
  const h = createHash("sha256").update(pythonJsonDumps(params, opts), "utf8").digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
