"use client";
// Param widgets generated from a param's JSON Schema (with our `ui` hints): number inputs
// and sliders with ranges, selects for enums, text and textareas, seed, toggle, file upload.
import { memo, useRef, useState, type ReactNode } from "react";
import type { ParamSchema } from "../graph-model/decls";
import { widgetKind } from "../graph-model/decls";
import { MESSAGES } from "./messages";
import { NumberField } from "./number-field";
import { ModelWidget } from "./model-widget";
import { rangeText, type NumberRange } from "../graph-model/number-input";
import { MAX_SEED, SEED_CONTROLS, type SeedControl } from "../graph-model/seed-control";

export interface WidgetProps {
  name: string;
  schema: ParamSchema;
  value: unknown;
  onChange(value: unknown): void;
  onError(message: string): void;
  invalid: boolean;
  /** Seed params: what happens to the seed after each run, and the seed the last run used. */
  seedControl?: SeedControl;
  onSeedControl?(c: SeedControl): void;
  usedSeed?: number;
}

const inputCls = (invalid: boolean, width = "w-full") =>
  `nodrag nowheel ${width} rounded border bg-neutral-900 px-1.5 py-0.5 text-xs text-neutral-100 outline-none focus:border-sky-500 ${invalid ? "border-red-500" : "border-neutral-700"}`;

export const ParamWidget = memo(function ParamWidget(p: WidgetProps) {
  const kind = widgetKind(p.schema);
  switch (kind) {
    case "select":
      return <SelectWidget {...p} />;
    case "toggle":
      return <ToggleWidget {...p} />;
    case "textarea":
      return <TextWidget {...p} multiline />;
    case "text":
      return <TextWidget {...p} />;
    case "model":
      return <ModelWidget {...p} className={inputCls(p.invalid)} />;
    case "seed":
      return <SeedWidget {...p} />;
    case "file":
      return <FileWidget {...p} />;
    case "slider":
      return <NumberWidget {...p} slider />;
    default:
      return <NumberWidget {...p} />;
  }
});

function Label({ name, schema, children }: { name: string; schema: ParamSchema; children?: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-2 text-[11px] text-neutral-400" title={schema.description}>
      <span className="truncate">{schema.title ?? name}</span>
      {children}
    </div>
  );
}

function rangeOf(s: ParamSchema): NumberRange {
  return {
    integer: s.type === "integer",
    min: s.minimum ?? s.exclusiveMinimum,
    max: s.maximum ?? s.exclusiveMaximum,
    exclusiveMin: s.minimum === undefined && s.exclusiveMinimum !== undefined,
    exclusiveMax: s.maximum === undefined && s.exclusiveMaximum !== undefined,
  };
}

function NumberWidget({ name, schema, value, onChange, invalid, slider }: WidgetProps & { slider?: boolean }) {
  const range = rangeOf(schema);
  const { min, max } = range;
  const step = schema.step ?? (range.integer ? 1 : undefined);
  const num = typeof value === "number" ? value : undefined;
  const out = num !== undefined && ((min !== undefined && num < min) || (max !== undefined && num > max));
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema}>
        {rangeText(range) && (
          <span className="text-[10px] text-neutral-500" data-testid="range">
            {rangeText(range)}
          </span>
        )}
      </Label>
      <div className="flex items-start gap-1.5">
        {slider && min !== undefined && max !== undefined && (
          <input
            type="range"
            aria-label={`${name} slider`}
            className="nodrag nowheel mt-1.5 h-1 flex-1 accent-sky-500"
            min={min}
            max={max}
            step={step ?? "any"}
            value={num ?? min}
            onChange={(e) => onChange(Number(e.target.value))}
          />
        )}
        <div className={slider ? "w-16 flex-none" : "min-w-0 flex-1"}>
          <NumberField
            name={name}
            value={num}
            range={range}
            step={step}
            onChange={onChange}
            invalid={invalid || out}
            className={(bad) => inputCls(bad, "w-full")}
          />
        </div>
      </div>
    </div>
  );
}

function SelectWidget({ name, schema, value, onChange, invalid }: WidgetProps) {
  // The offered choices, plus the graph's value when it is an accepted spelling not offered (so it always shows).
  const current = String(value ?? schema.default ?? "");
  const offered = schema.choices ?? (schema.enum ?? []).map(String);
  const options = offered.includes(current) ? offered : [...offered, current];
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema} />
      <select
        aria-label={name}
        data-param={name}
        className={inputCls(invalid)}
        value={current}
        onChange={(e) => onChange(e.target.value)}
      >
        {options.map((o) => (
          <option key={o} value={o}>
            {o === "" ? "(not set)" : o}
          </option>
        ))}
      </select>
    </div>
  );
}

function ToggleWidget({ name, schema, value, onChange }: WidgetProps) {
  const on = value === true;
  return (
    <label
      className="nodrag flex cursor-pointer items-center justify-between gap-2 text-[11px] text-neutral-400"
      title={schema.description}
    >
      <span className="truncate">{schema.title ?? name}</span>
      <input
        type="checkbox"
        aria-label={name}
        data-param={name}
        className="nodrag accent-sky-500"
        checked={on}
        onChange={(e) => onChange(e.target.checked)}
      />
    </label>
  );
}

function TextWidget({ name, schema, value, onChange, invalid, multiline }: WidgetProps & { multiline?: boolean }) {
  const v = typeof value === "string" ? value : "";
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema} />
      {multiline ? (
        <textarea
          aria-label={name}
          data-param={name}
          rows={3}
          className={`${inputCls(invalid)} resize-y font-mono`}
          value={v}
          maxLength={schema.maxLength}
          placeholder={typeof schema.default === "string" && schema.default ? schema.default : schema.description}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : (
        <input
          type="text"
          aria-label={name}
          data-param={name}
          className={inputCls(invalid)}
          value={v}
          maxLength={schema.maxLength}
          placeholder={typeof schema.default === "string" && schema.default ? schema.default : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}

const randomSeed = () => Math.floor(Math.random() * MAX_SEED);
const SEED_RANGE: NumberRange = { integer: true, min: 0, max: MAX_SEED };
const RANDOM_EACH_RUN = "random";

/** A dice drawn in SVG (an emoji needs a font the system may lack). */
function DiceIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" fill="currentColor">
      <rect x="1.5" y="1.5" width="13" height="13" rx="2.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
      <circle cx="5" cy="5" r="1.3" />
      <circle cx="11" cy="5" r="1.3" />
      <circle cx="8" cy="8" r="1.3" />
      <circle cx="5" cy="11" r="1.3" />
      <circle cx="11" cy="11" r="1.3" />
    </svg>
  );
}

/**
 * A seed: a concrete seed with what happens to it after each run (fixed, increment,
 * randomize), or -1 for a seed the engine draws every run. The seed the last run used is
 * shown under it, with a button to keep it.
 */
function SeedWidget({ name, schema, value, onChange, invalid, seedControl, onSeedControl, usedSeed }: WidgetProps) {
  const seed = typeof value === "number" ? value : -1;
  const random = seed === -1;
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema} />
      <div className="flex items-start gap-1">
        {random ? (
          <span
            className="flex-1 rounded border border-dashed border-neutral-700 px-1.5 py-0.5 text-xs italic text-neutral-500"
            data-param={name}
          >
            random each run
          </span>
        ) : (
          <NumberField
            name={name}
            value={seed}
            range={SEED_RANGE}
            onChange={onChange}
            invalid={invalid}
            className={(bad) => inputCls(bad, "w-full")}
          />
        )}
        <select
          aria-label={`${name} after run`}
          title="What happens to the seed after each run"
          className={inputCls(false, "w-[5.5rem] flex-none")}
          value={random ? RANDOM_EACH_RUN : (seedControl ?? "fixed")}
          onChange={(e) => {
            const v = e.target.value;
            if (v === RANDOM_EACH_RUN) return onChange(-1);
            if (random) onChange(randomSeed());
            onSeedControl?.(v as SeedControl);
          }}
        >
          {SEED_CONTROLS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
          <option value={RANDOM_EACH_RUN}>random (-1)</option>
        </select>
        <button
          type="button"
          className="nodrag flex-none rounded border border-neutral-700 p-1 text-neutral-300 hover:bg-neutral-800"
          title="Pick a new random seed now"
          aria-label={`${name} new random seed`}
          onClick={() => onChange(randomSeed())}
        >
          <DiceIcon />
        </button>
      </div>
      {usedSeed !== undefined && (
        <div className="flex items-center justify-between text-[10px] text-neutral-400" data-testid="used-seed">
          <span>
            last run used <b className="font-mono text-neutral-200">{usedSeed}</b>
          </span>
          {usedSeed !== seed && (
            <button
              type="button"
              className="nodrag rounded px-1 text-sky-400 hover:bg-neutral-800"
              onClick={() => (onSeedControl?.("fixed"), onChange(usedSeed))}
              title="Set the seed to the one the last run used, fixed"
            >
              reuse
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** A file param: the path under the data folder, filled by uploading through /api/files/upload. */
function FileWidget({ name, schema, value, onChange, onError, invalid }: WidgetProps) {
  const ref = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const upload = async (f: File) => {
    setBusy(true);
    try {
      const body = new FormData();
      body.append("file", f);
      const r = await fetch("/api/files/upload", { method: "POST", body });
      const j = (await r.json().catch(() => ({}))) as { path?: string; error?: string };
      if (!r.ok || !j.path) throw new Error(j.error ?? `HTTP ${r.status}`);
      onChange(j.path);
    } catch (e) {
      onError(MESSAGES.upload_failed((e as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema} />
      <div className="flex items-center gap-1">
        <input
          type="text"
          aria-label={name}
          data-param={name}
          className={inputCls(invalid)}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value)}
        />
        <button
          type="button"
          className="nodrag rounded border border-neutral-700 px-1.5 text-[11px] text-neutral-300 hover:bg-neutral-800"
          disabled={busy}
          onClick={() => ref.current?.click()}
        >
          {busy ? "…" : "upload"}
        </button>
        <input
          ref={ref}
          type="file"
          className="hidden"
          data-upload={name}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void upload(f);
            e.target.value = "";
          }}
        />
      </div>
    </div>
  );
}
