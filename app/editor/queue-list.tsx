"use client";
// The queue: the running run and the waiting ones in order, each removable (cancelled).
import { useQuery } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "./trpc";

export function QueueList({ onChanged }: { onChanged(): void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const running = useQuery({ ...trpc.runs.list.queryOptions({ limit: 20, status: "running" }), refetchInterval: 2000 });
  const queued = useQuery({ ...trpc.runs.list.queryOptions({ limit: 100, status: "queued" }), refetchInterval: 2000 });
  // runs.list is newest first; the queue runs oldest first
  const waiting = [...(queued.data ?? [])].sort((a, b) => a.createdAt - b.createdAt);
  const rows = [
    ...(running.data ?? []).map((r) => ({ ...r, label: "running" })),
    ...waiting.map((r, i) => ({ ...r, label: `#${i + 1}` })),
  ];
  if (rows.length === 0) return null;
  const remove = async (runId: string) => {
    await client.runs.cancel.mutate({ runId }).catch(() => {});
    void running.refetch();
    void queued.refetch();
    onChanged();
  };
  return (
    <div className="flex flex-col border-b border-neutral-800 pb-1" data-testid="queue-list">
      <div className="px-2 py-1.5 text-[11px] font-semibold uppercase tracking-wide text-neutral-500">Queue</div>
      <ul>
        {rows.map((r) => (
          <li
            key={r.id}
            className="flex items-center gap-2 px-2 py-0.5 text-xs"
            data-run-id={r.id}
            data-queue-status={r.status}
          >
            <span className={r.status === "running" ? "text-sky-400" : "text-neutral-300"}>{r.label}</span>
            <span className="min-w-0 flex-1 truncate text-neutral-400" title={r.id}>
              {r.graphName ?? r.id.slice(0, 8)}
            </span>
            <button
              type="button"
              className="text-neutral-500 hover:text-red-400"
              title={r.status === "running" ? "Cancel this run" : "Remove from the queue"}
              aria-label="remove"
              onClick={() => void remove(r.id)}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
