"use client";
// A model-name param as a dropdown of the installed models of its component (tRPC
// models.list), the empty default first, and the missing upstream models listed disabled
// with the command that installs them.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./trpc";
import type { WidgetProps } from "./widgets";

export function ModelWidget({ name, schema, value, onChange, className }: WidgetProps & { className: string }) {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.models.list.queryOptions(), staleTime: 30_000 });
  const component = typeof schema.ui === "object" ? schema.ui.component : "";
  const installed = (list.data?.installed ?? []).filter((m) => m.component === component);
  const missing = (list.data?.missing ?? []).filter((m) => m.component === component);
  const current = typeof value === "string" ? value : "";
  const known = current === "" || installed.some((m) => m.name === current);
  return (
    <div className="flex flex-col gap-0.5">
      <div className="flex items-center justify-between gap-2 text-[11px] text-neutral-400" title={schema.description}>
        <span className="truncate">{schema.title ?? name}</span>
        {list.isError && <span className="text-[10px] text-red-400">model list unavailable</span>}
      </div>
      <select
        aria-label={name}
        data-param={name}
        className={className}
        value={current}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">{`default ${component === "dit" ? "(turbo)" : ""}`.trim()}</option>
        {installed.map((m) => (
          <option key={m.name} value={m.name}>
            {`${m.label}${m.variant ? ` · ${m.variant}` : ""}${m.demo ? " · demo" : ""}`}
          </option>
        ))}
        {!known && <option value={current}>{`${current} (not installed)`}</option>}
        {missing.map((m) => (
          <option key={`missing:${m.name}`} value={`missing:${m.name}`} disabled title={m.howToInstall}>
            {`${m.label} — not installed`}
          </option>
        ))}
      </select>
      {missing.length > 0 && (
        <details className="nodrag text-[10px] text-neutral-500" data-testid="model-missing">
          <summary className="cursor-pointer">{`${missing.length} more to install`}</summary>
          {missing.map((m) => (
            <div key={m.name} className="mt-0.5">
              <span className="text-neutral-300">{m.label}</span>:{" "}
              <code className="select-all break-all text-neutral-400">{m.howToInstall}</code>
            </div>
          ))}
        </details>
      )}
    </div>
  );
}
