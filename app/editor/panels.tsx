"use client";
// Side panels: the node palette (from nodes.list) and the run history (runs.list).
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { searchDecls, type NodeDecl } from "../graph-model/decls";
import { useTRPC } from "./trpc";

export const NODE_DRAG_TYPE = "application/x-acestep-node";

export function Palette({ decls, onAdd }: { decls: NodeDecl[]; onAdd(d: NodeDecl): void }) {
  const [q, setQ] = useState("");
  const groups = useMemo(() => {
    const hits = q ? searchDecls(decls, q) : [...decls].sort((a, b) => a.title.localeCompare(b.title));
    const m = new Map<string, NodeDecl[]>();
    for (const d of hits) m.set(d.category, [...(m.get(d.category) ?? []), d]);
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [decls, q]);
  return (
    <aside className="flex w-52 flex-none flex-col border-r border-neutral-800 bg-neutral-900/80" data-testid="palette">
      <input
        className="m-2 rounded border border-neutral-700 bg-neutral-950 px-2 py-1 text-xs outline-none"
        placeholder="Filter nodes…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        aria-label="Filter palette"
      />
      <div className="flex-1 overflow-auto pb-2">
        {groups.map(([cat, list]) => (
          <div key={cat}>
            <div className="px-2 pt-2 text-[10px] font-semibold uppercase tracking-wide text-neutral-500">{cat}</div>
            {list.map((d) => (
              <button
                key={d.type}
                type="button"
                draggable
                data-type={d.type}
                title={`${d.description}\n(${d.type}) — click to add, or drag onto the canvas`}
                className="block w-full truncate px-3 py-0.5 text-left text-xs text-neutral-300 hover:bg-neutral-800"
                onClick={() => onAdd(d)}
                onDragStart={(e) => {
                  e.dataTransfer.setData(NODE_DRAG_TYPE, d.type);
                  e.dataTransfer.effectAllowed = "copy";
                }}
              >
                {d.title}
              </button>
            ))}
          </div>
        ))}
      </div>
    </aside>
  );
}

const STATUS_COLOR: Record<string, string> = {
  finished: "text-emerald-400",
  failed: "text-red-400",
  cancelled: "text-neutral-400",
  interrupted: "text-amber-400",
  running: "text-sky-400",
  queued: "text-neutral-300",
};

export function RunHistory({
  currentRunId,
  onOpen,
  active = true,
}: {
  currentRunId?: string;
  onOpen(runId: string): void;
  /** false holds the first request back (until the editor is interactive) */
  active?: boolean;
}) {
  const trpc = useTRPC();
  const runs = useQuery({ ...trpc.runs.list.queryOptions({ limit: 50 }), refetchInterval: 5000, enabled: active });
  return (
    <div className="flex flex-col" data-testid="run-history">
      <div className="flex items-center justify-between px-2 py-1.5 text-[11px] font-semibold uppercase tracking-wide text-neutral-500">
        Runs
        <button
          type="button"
          className="text-neutral-500 hover:text-neutral-200"
          onClick={() => void runs.refetch()}
          title="Refresh"
        >
          ↻
        </button>
      </div>
      {runs.data?.length === 0 && (
        <div className="px-2 text-xs text-neutral-500">No runs yet. Ctrl+Enter runs the graph.</div>
      )}
      <ul>
        {runs.data?.map((r) => (
          <li key={r.id}>
            <button
              type="button"
              data-run-id={r.id}
              className={`w-full px-2 py-1 text-left text-xs hover:bg-neutral-800 ${r.id === currentRunId ? "bg-neutral-800" : ""}`}
              onClick={() => onOpen(r.id)}
              title="Reopen this run with its graph and outputs"
            >
              <div className="flex justify-between">
                <span className={STATUS_COLOR[r.status] ?? ""}>
                  {r.status}
                  {r.attempts > 1 && (
                    <span
                      className="ml-1 text-amber-400"
                      data-testid="run-attempt"
                      title={`started ${r.attempts} times (a worker stopped or the server restarted during an earlier attempt)${r.worker ? `; last on worker ${r.worker}` : ""}`}
                    >
                      · attempt {r.attempts}
                    </span>
                  )}
                </span>
                <span className="text-neutral-500">{new Date(r.createdAt).toLocaleTimeString()}</span>
              </div>
              <div className="flex justify-between text-[10px] text-neutral-500">
                <span className="font-mono">{r.id.slice(0, 8)}</span>
                <span>
                  {r.finishedAt && r.startedAt ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s` : ""}
                  {r.demo ? " · demo" : ""}
                </span>
              </div>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
