"use client";
// A number field that always shows the value the graph holds, except while the user types:
// text that is not a number in range is refused on the spot (red, with the range) and the
// graph keeps its value; leaving the field shows the graph's value again.
import { useState } from "react";
import { parseNumberInput, rangeText, type NumberRange } from "../graph-model/number-input";

export interface NumberFieldProps {
  name: string;
  value: number | undefined;
  range: NumberRange;
  onChange(value: number): void;
  invalid?: boolean;
  className: (invalid: boolean) => string;
  step?: number;
}

export function NumberField({ name, value, range, onChange, invalid, className, step }: NumberFieldProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const parsed = draft === null ? null : parseNumberInput(draft, range);
  const problem = parsed && !parsed.ok ? parsed.problem : null;
  const type = (t: string) => {
    setDraft(t);
    const p = parseNumberInput(t, range);
    if (p.ok && p.value !== value) onChange(p.value);
  };
  const nudge = (dir: 1 | -1) => {
    if (typeof value !== "number") return;
    const p = parseNumberInput(String(+(value + dir * (step ?? 1)).toPrecision(12)), range);
    if (p.ok) {
      setDraft(null);
      onChange(p.value);
    }
  };
  return (
    <div className="flex min-w-0 flex-1 flex-col">
      <input
        type="text"
        inputMode={range.integer ? "numeric" : "decimal"}
        aria-label={name}
        data-param={name}
        aria-invalid={problem ? true : undefined}
        className={className(!!invalid || !!problem)}
        value={draft ?? (typeof value === "number" ? String(value) : "")}
        onChange={(e) => type(e.target.value)}
        onBlur={() => setDraft(null)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setDraft(null);
          else if (e.key === "ArrowUp") nudge(1);
          else if (e.key === "ArrowDown") nudge(-1);
          else return;
          e.preventDefault();
        }}
      />
      {problem && (
        <div className="text-[10px] leading-tight text-red-400" data-testid="number-problem" role="alert">
          {problem}
          {rangeText(range) && !problem.includes(rangeText(range)) ? ` (${rangeText(range)})` : ""}
          {typeof value === "number" ? `; keeps ${value}` : ""}
        </div>
      )}
    </div>
  );
}
