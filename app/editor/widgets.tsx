"use client";
// Param widgets generated from a param's JSON Schema (with our `ui` hints): number inputs
// and sliders with ranges, selects for enums, text and textareas, seed, toggle, file upload.
import { memo, useEffect, useRef, useState, type ReactNode } from "react";
import type { ParamSchema } from "../graph-model/decls";
import { widgetKind } from "../graph-model/decls";
import { MESSAGES } from "./messages";

export interface WidgetProps {
  name: string;
  schema: ParamSchema;
  value: unknown;
  onChange(value: unknown): void;
  onError(message: string): void;
  invalid: boolean;
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

function bounds(s: ParamSchema): { min?: number; max?: number } {
  return { min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum };
}

/** A number field that keeps what the user types until it parses (so "0." or "-" can be typed). */
function NumberWidget({ name, schema, value, onChange, invalid, slider }: WidgetProps & { slider?: boolean }) {
  const isInt = schema.type === "integer";
  const { min, max } = bounds(schema);
  const step = schema.step ?? (isInt ? 1 : "any");
  const [text, setText] = useState(value === undefined ? "" : String(value));
  useEffect(() => {
    setText((t) => (Number(t) === value && t.trim() !== "" ? t : value === undefined ? "" : String(value)));
  }, [value]);
  const commit = (t: string) => {
    setText(t);
    const n = Number(t);
    if (t.trim() === "" || !Number.isFinite(n)) return;
    onChange(isInt ? Math.round(n) : n);
  };
  const out = typeof value === "number" && ((min !== undefined && value < min) || (max !== undefined && value > max));
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema}>
        {min !== undefined && max !== undefined && <span className="text-[10px] text-neutral-600">{`${min}…${max}`}</span>}
      </Label>
      <div className="flex items-center gap-1.5">
        {slider && min !== undefined && max !== undefined && (
          <input
            type="range"
            aria-label={`${name} slider`}
            className="nodrag nowheel h-1 flex-1 accent-sky-500"
            min={min}
            max={max}
            step={step}
            value={typeof value === "number" ? value : min}
            onChange={(e) => commit(e.target.value)}
          />
        )}
        <input
          type="number"
          aria-label={name}
          data-param={name}
          className={inputCls(invalid || out, slider ? "w-16 flex-none" : "w-full")}
          min={min}
          max={max}
          step={step}
          value={text}
          placeholder={schema.default !== undefined ? String(schema.default) : undefined}
          onChange={(e) => commit(e.target.value)}
        />
      </div>
    </div>
  );
}

function SelectWidget({ name, schema, value, onChange, invalid }: WidgetProps) {
  const options = (schema.enum ?? []).map(String);
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema} />
      <select aria-label={name} data-param={name} className={inputCls(invalid)} value={String(value ?? schema.default ?? "")} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

function ToggleWidget({ name, schema, value, onChange }: WidgetProps) {
  const on = value === true;
  return (
    <label className="nodrag flex cursor-pointer items-center justify-between gap-2 text-[11px] text-neutral-400" title={schema.description}>
      <span className="truncate">{schema.title ?? name}</span>
      <input type="checkbox" aria-label={name} data-param={name} className="nodrag accent-sky-500" checked={on} onChange={(e) => onChange(e.target.checked)} />
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

const MAX_SEED = 2 ** 32 - 1;
const randomSeed = () => Math.floor(Math.random() * MAX_SEED);

/** -1 means a new random seed every run; "fixed" keeps a concrete seed. */
function SeedWidget({ name, schema, value, onChange, invalid }: WidgetProps) {
  const seed = typeof value === "number" ? value : -1;
  const random = seed === -1;
  return (
    <div className="flex flex-col gap-0.5">
      <Label name={name} schema={schema} />
      <div className="flex items-center gap-1">
        {random ? (
          <span className="flex-1 rounded border border-dashed border-neutral-700 px-1.5 py-0.5 text-xs italic text-neutral-500">random each run</span>
        ) : (
          <input
            type="number"
            aria-label={name}
            data-param={name}
            className={inputCls(invalid)}
            min={0}
            max={MAX_SEED}
            step={1}
            value={seed}
            onChange={(e) => {
              const n = Number(e.target.value);
              if (e.target.value !== "" && Number.isInteger(n)) onChange(n);
            }}
          />
        )}
        <button
          type="button"
          className="nodrag rounded border border-neutral-700 px-1 text-[11px] text-neutral-300 hover:bg-neutral-800"
          title={random ? "Fix the seed (pick one now)" : "Random seed every run (-1)"}
          aria-label={`${name} ${random ? "fix" : "randomize"}`}
          onClick={() => onChange(random ? randomSeed() : -1)}
        >
          {random ? "fix" : "🎲"}
        </button>
        {!random && (
          <button type="button" className="nodrag rounded border border-neutral-700 px-1 text-[11px] text-neutral-300 hover:bg-neutral-800" title="New seed" onClick={() => onChange(randomSeed())}>
            ↻
          </button>
        )}
      </div>
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
        <input type="text" aria-label={name} data-param={name} className={inputCls(invalid)} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} />
        <button type="button" className="nodrag rounded border border-neutral-700 px-1.5 text-[11px] text-neutral-300 hover:bg-neutral-800" disabled={busy} onClick={() => ref.current?.click()}>
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
