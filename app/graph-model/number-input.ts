// What a number field does with the text being typed: a value for the graph, or the reason
// it is refused (shown under the field while the graph keeps its value).

export interface NumberRange {
  integer: boolean;
  min?: number;
  max?: number;
  /** Bounds that the value must not equal (JSON Schema exclusiveMinimum/Maximum). */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

export type NumberInput = { ok: true; value: number } | { ok: false; problem: string };

/** "1 … 8", "≥ 0", "> 0", "≤ 600", or "" when unbounded. */
export function rangeText(r: NumberRange): string {
  const lo = r.min === undefined ? "" : `${r.exclusiveMin ? ">" : "≥"} ${r.min}`;
  const hi = r.max === undefined ? "" : `${r.exclusiveMax ? "<" : "≤"} ${r.max}`;
  if (r.min !== undefined && r.max !== undefined && !r.exclusiveMin && !r.exclusiveMax) return `${r.min} … ${r.max}`;
  return [lo, hi].filter(Boolean).join(", ");
}

export function parseNumberInput(text: string, r: NumberRange): NumberInput {
  const t = text.trim();
  if (t === "") return { ok: false, problem: "enter a number" };
  // Number() alone would take "0x10", "1e3" and " "; only plain decimals are numbers here.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return { ok: false, problem: `"${t}" is not a number` };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, problem: `"${t}" is not a number` };
  if (r.integer && !Number.isInteger(n)) return { ok: false, problem: "whole numbers only" };
  const below = r.min !== undefined && (r.exclusiveMin ? n <= r.min : n < r.min);
  const above = r.max !== undefined && (r.exclusiveMax ? n >= r.max : n > r.max);
  if (below || above) return { ok: false, problem: `${t} is outside ${rangeText(r)}` };
  return { ok: true, value: n };
}
