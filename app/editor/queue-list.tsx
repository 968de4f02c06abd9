"use client";
// The queue: the running run and the waiting ones in the order they will start, each waiting one movable
// up/down (runs.move) and each removable (cancelled).
import { useQuery } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "./trpc";

/** `active` false holds the polling back (until the editor is interactive). */
export function QueueList({ onChanged, active = true }: { onChanged(): void; active?: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const running = useQuery({
    ...trpc.runs.list.queryOptions({ limit: 20, status: "running" }),
    refetchInterval: 2000,
    enabled: active,
  });
  const queued = useQuery({
    ...trpc.runs.list.queryOptions({ limit: 100, status: "queued" }),
    refetchInterval: 2000,
    enabled: active,
  });
  // runs.list is newest first; the server gives each waiting run its place in the queue
  const waiting = [...(queued.data ?? [])].sort((a, b) => a.position - b.position || a.createdAt - b.createdAt);
  const rows = [
    ...(running.data ?? []).map((r) => ({ ...r, label: "running", place: 0 })),
    ...waiting.map((r, i) => ({ ...r, label: `#${i + 1}`, place: i + 1 })),
  ];
  if (rows.length === 0) return null;
  const refresh = () => {
    void running.refetch();
    void queued.refetch();
    onChanged();
  };
  const remove = async (runId: string) => {
    await client.runs.cancel.mutate({ runId }).catch(() => {});
    refresh();
  };
  // (a run that started meanwhile answers CONFLICT: the refreshed list shows where things are)
  const move = async (runId: string, to: number) => {
    await client.runs.move.mutate({ runId, to }).catch(() => {});
    refresh();
  };
  return (
    <div className="flex flex-col border-b border-neutral-800 pb-1" data-testid="queue-list">
      <div className="px-2 py-1.5 text-[11px] font-semibold uppercase tracking-wide text-neutral-500">Queue</div>
      <ul>
        {rows.map(({ place, ...r }) => {
          return (
            <li
              key={r.id}
              className="flex items-center gap-1.5 px-2 py-0.5 text-xs"
              data-run-id={r.id}
              data-queue-status={r.status}
            >
              <span className={r.status === "running" ? "text-sky-400" : "text-neutral-300"}>{r.label}</span>
              <span className="min-w-0 flex-1 truncate text-neutral-400" title={r.id}>
                {r.graphName ?? r.id.slice(0, 8)}
              </span>
              {place > 0 && (
                <>
                  <button
                    type="button"
                    className="text-neutral-500 hover:text-neutral-200 disabled:opacity-30"
                    title="Start earlier"
                    aria-label="move up"
                    disabled={place === 1}
                    onClick={() => void move(r.id, place - 1)}
                  >
                    ▲
                  </button>
                  <button
                    type="button"
                    className="text-neutral-500 hover:text-neutral-200 disabled:opacity-30"
                    title="Start later"
                    aria-label="move down"
                    disabled={place === waiting.length}
                    onClick={() => void move(r.id, place + 1)}
                  >
                    ▼
                  </button>
                </>
              )}
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
          );
        })}
      </ul>
    </div>
  );
}
