"use client";
// The top bar: document name and dirty mark, file and graph menus, undo/redo, run/cancel.
import { useEffect, useRef, useState, type ReactNode } from "react";
import type { RunView } from "../graph-model/run-state";
import { isTerminal } from "../graph-model/run-state";

export function Menu({
  label,
  children,
  testId,
  onOpen,
}: {
  label: string;
  children: (close: () => void) => ReactNode;
  testId?: string;
  onOpen?(): void;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const h = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener("mousedown", h);
    return () => document.removeEventListener("mousedown", h);
  }, [open]);
  return (
    <div className="relative" ref={ref}>
      <Button
        onClick={() => {
          if (!open) onOpen?.();
          setOpen(!open);
        }}
        testId={testId}
      >
        {label} ▾
      </Button>
      {open && (
        <div className="absolute left-0 top-full z-40 mt-1 min-w-56 rounded border border-neutral-700 bg-neutral-900 py-1 shadow-xl">
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}

export function MenuItem({
  children,
  onClick,
  title,
  testId,
}: {
  children: ReactNode;
  onClick(): void;
  title?: string;
  testId?: string;
}) {
  return (
    <button
      type="button"
      className="block w-full px-3 py-1 text-left text-xs text-neutral-200 hover:bg-neutral-800"
      onClick={onClick}
      title={title}
      data-testid={testId}
    >
      {children}
    </button>
  );
}

export function Button({
  children,
  onClick,
  disabled,
  title,
  testId,
  variant,
}: {
  children: ReactNode;
  onClick(): void;
  disabled?: boolean;
  title?: string;
  testId?: string;
  variant?: "run" | "danger";
}) {
  const color =
    variant === "run"
      ? "bg-emerald-700 hover:bg-emerald-600 text-white"
      : variant === "danger"
        ? "bg-red-800 hover:bg-red-700 text-white"
        : "bg-neutral-800 hover:bg-neutral-700 text-neutral-200";
  return (
    <button
      type="button"
      className={`rounded px-2.5 py-1 text-xs disabled:opacity-40 ${color}`}
      onClick={onClick}
      disabled={disabled}
      title={title}
      data-testid={testId}
    >
      {children}
    </button>
  );
}

/** The run's state; `refused` (the problem count) when the last Run was refused by validation. */
export function RunStatus({ view, refused }: { view: RunView | null; refused: number | null }) {
  if (refused !== null)
    return (
      <span
        className="max-w-md truncate text-xs text-red-400"
        data-testid="run-status"
        data-status="refused"
        title="Fix the marked fields, then run again"
      >
        {`run refused: ${refused} problem${refused === 1 ? "" : "s"}`}
      </span>
    );
  if (!view) return null;
  const nodes = Object.values(view.nodes);
  const done = nodes.filter((n) => n.status === "done" || n.status === "cached").length;
  let text: string;
  switch (view.status) {
    case "starting":
      text = "starting…";
      break;
    case "queued":
      text = `queued · position ${view.position ?? "?"}`;
      break;
    case "running":
      text = `running · ${done}/${nodes.length} nodes`;
      break;
    case "finished":
      text = `finished in ${((view.ms ?? 0) / 1000).toFixed(1)} s`;
      break;
    default:
      text = view.status + (view.error ? `: ${view.error.message}` : "");
  }
  const color =
    view.status === "failed"
      ? "text-red-400"
      : view.status === "finished"
        ? "text-emerald-400"
        : isTerminal(view.status)
          ? "text-neutral-400"
          : "text-sky-400";
  return (
    <span
      className={`max-w-md truncate text-xs ${color}`}
      data-testid="run-status"
      data-status={view.status}
      data-run-id={view.runId}
      title={text}
    >
      {text}
    </span>
  );
}
