"use client";
// Starting, following and cancelling runs. The view is folded from the run's SSE event
// stream by the pure applyRunEvent; reopening a past run replays its stored events.
import { useCallback, useEffect, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { Graph } from "../../server/graph/format";
import { applyRunEvent, isTerminal, startRunView, type RunView } from "../graph-model/run-state";
import { issuesOf, type Issue } from "../graph-model/issues";
import type { EngineEvent } from "../../server/engine/events";
import { useTRPC, useTRPCClient } from "./trpc";
import { MESSAGES } from "./messages";

export interface RunControls {
  view: RunView | null;
  issues: Issue[] | null;
  start(graph: Graph): Promise<void>;
  follow(runId: string, position?: number): void;
  cancel(): Promise<void>;
  clearIssues(): void;
  setIssues(issues: Issue[] | null): void;
}

export function useRun(notify: (m: string, kind?: "info" | "error") => void, onEnd?: (v: RunView) => void): RunControls {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const [view, setView] = useState<RunView | null>(null);
  const [issues, setIssues] = useState<Issue[] | null>(null);
  const sub = useRef<{ unsubscribe(): void } | null>(null);
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;

  const follow = useCallback(
    (runId: string, position?: number) => {
      sub.current?.unsubscribe();
      setView(startRunView(runId, position));
      sub.current = client.runs.events.subscribe(
        { runId },
        {
          onData: (item) => {
            const d = item.data as { seq: number; event: EngineEvent };
            setView((v) => {
              if (!v || v.runId !== runId) return v;
              const next = applyRunEvent(v, { seq: d.seq, event: d.event });
              if (next !== v && isTerminal(next.status) && !isTerminal(v.status)) queueMicrotask(() => onEndRef.current?.(next));
              return next;
            });
          },
          onError: (e) => notify(MESSAGES.events_lost(e.message), "error"),
        },
      );
    },
    [client, notify],
  );

  useEffect(() => () => sub.current?.unsubscribe(), []);

  // While queued, the queue position comes from runs.get.
  const queued = view?.status === "queued" || view?.status === "starting";
  const pos = useQuery({ ...trpc.runs.get.queryOptions({ runId: view?.runId ?? "00000000-0000-0000-0000-000000000000" }), enabled: !!view && queued, refetchInterval: 1000 });
  const position = pos.data?.position;
  useEffect(() => {
    if (position === undefined || position === null) return;
    setView((v) => (v && (v.status === "queued" || v.status === "starting") && v.position !== position ? { ...v, position } : v));
  }, [position]);

  const start = useCallback(
    async (graph: Graph) => {
      setIssues(null);
      try {
        const r = await client.runs.start.mutate({ graph });
        follow(r.runId, r.position);
      } catch (e) {
        const list = issuesOf(e);
        if (list?.length) {
          setIssues(list);
          notify(MESSAGES.run_invalid(list.length), "error");
        } else notify(MESSAGES.run_start_failed((e as Error).message), "error");
      }
    },
    [client, follow, notify],
  );

  const cancel = useCallback(async () => {
    if (!view || isTerminal(view.status)) return;
    await client.runs.cancel.mutate({ runId: view.runId }).catch((e: Error) => notify(e.message, "error"));
  }, [client, view, notify]);

  return { view, issues, start, follow, cancel, clearIssues: useCallback(() => setIssues(null), []), setIssues };
}
