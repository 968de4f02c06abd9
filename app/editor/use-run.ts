"use client";
// Starting, following and cancelling runs. The view is folded from the run's SSE event
// stream by the pure applyRunEvent; reopening a past run replays its stored events.
import { useCallback, useEffect, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { Graph } from "../../server/graph/format";
import { applyRunEvent, isTerminal, startRunView, withRunParams, type RunView } from "../graph-model/run-state";
import { issuesOf, type Issue } from "../graph-model/issues";
import type { EngineEvent } from "../../server/engine/events";
import { useTRPC, useTRPCClient } from "./trpc";
import { MESSAGES } from "./messages";

export interface RunControls {
  view: RunView | null;
  issues: Issue[] | null;
  /** The last start was refused by validation (the issues are on the nodes); cleared by the next start. */
  refused: boolean;
  /** Starts a run of the graph; resolves true when the server accepted it. */
  start(graph: Graph): Promise<boolean>;
  follow(runId: string, position?: number): void;
  cancel(): Promise<void>;
  /** Stops showing the run (another graph was opened): its results do not belong to that graph. */
  detach(): void;
  clearIssues(): void;
  setIssues(issues: Issue[] | null): void;
}

export function useRun(
  notify: (m: string, kind?: "info" | "error") => void,
  onEnd?: (v: RunView) => void,
): RunControls {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const [view, setView] = useState<RunView | null>(null);
  const [issues, setIssues] = useState<Issue[] | null>(null);
  const [refused, setRefused] = useState(false);
  const sub = useRef<{ unsubscribe(): void } | null>(null);
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;

  // Once a run is over, its stored graph tells the seeds each node actually used.
  const addRunParams = useCallback(
    async (runId: string) => {
      const r = await client.runs.get.query({ runId }).catch(() => null);
      if (r)
        setView((v) => (v && v.runId === runId ? withRunParams(v, r.graph as Parameters<typeof withRunParams>[1]) : v));
    },
    [client],
  );

  const follow = useCallback(
    (runId: string, position?: number) => {
      sub.current?.unsubscribe();
      setRefused(false);
      setView(startRunView(runId, position));
      sub.current = client.runs.events.subscribe(
        { runId },
        {
          onData: (item) => {
            const d = item.data as { seq: number; event: EngineEvent };
            setView((v) => {
              if (!v || v.runId !== runId) return v;
              const next = applyRunEvent(v, { seq: d.seq, event: d.event });
              if (next !== v && isTerminal(next.status) && !isTerminal(v.status)) {
                queueMicrotask(() => onEndRef.current?.(next));
                queueMicrotask(() => void addRunParams(runId));
              }
              return next;
            });
          },
          onError: (e) => notify(MESSAGES.events_lost(e.message), "error"),
        },
      );
    },
    [client, notify, addRunParams],
  );

  useEffect(() => () => sub.current?.unsubscribe(), []);

  // While queued, the queue position comes from runs.get.
  const queued = view?.status === "queued" || view?.status === "starting";
  const pos = useQuery({
    ...trpc.runs.get.queryOptions({ runId: view?.runId ?? "00000000-0000-0000-0000-000000000000" }),
    enabled: !!view && queued,
    refetchInterval: 1000,
  });
  const position = pos.data?.position;
  useEffect(() => {
    if (position === undefined || position === null) return;
    setView((v) =>
      v && (v.status === "queued" || v.status === "starting") && v.position !== position ? { ...v, position } : v,
    );
  }, [position]);

  const start = useCallback(
    async (graph: Graph) => {
      setIssues(null);
      setRefused(false);
      try {
        const r = await client.runs.start.mutate({ graph });
        follow(r.runId, r.position);
        return true;
      } catch (e) {
        const list = issuesOf(e);
        if (list?.length) {
          setIssues(list);
          setRefused(true);
          notify(MESSAGES.run_invalid(list.length), "error");
        } else notify(MESSAGES.run_start_failed((e as Error).message), "error");
        return false;
      }
    },
    [client, follow, notify],
  );

  const cancel = useCallback(async () => {
    if (!view || isTerminal(view.status)) return;
    await client.runs.cancel.mutate({ runId: view.runId }).catch((e: Error) => notify(e.message, "error"));
  }, [client, view, notify]);

  const detach = useCallback(() => {
    sub.current?.unsubscribe();
    sub.current = null;
    setView(null);
    setIssues(null);
    setRefused(false);
  }, []);

  const clearIssues = useCallback(() => {
    setIssues(null);
    setRefused(false);
  }, []);
  const setShownIssues = useCallback((list: Issue[] | null) => {
    setIssues(list);
    if (!list) setRefused(false);
  }, []);
  return { view, issues, refused, start, follow, cancel, detach, clearIssues, setIssues: setShownIssues };
}
