"use client";
// The status bar from system.info: execution provider, models, queue; and the demo-weights banner.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./trpc";

/**
 * system.info, polled every second while anything is queued or running, so the queue count follows the run's end.
 * `enabled` false holds the first request back (the editor asks once its node list is in: see Studio's `ready`).
 */
export function useSystemInfo(enabled = true) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.system.info.queryOptions(),
    enabled,
    refetchInterval: (q) =>
      q.state.data && q.state.data.queue.running + q.state.data.queue.waiting > 0 ? 1000 : 10_000,
  });
}

export function DemoBanner({ active = true }: { active?: boolean }) {
  const info = useSystemInfo(active).data;
  if (!info?.demoWeights) return null;
  return (
    <div
      className="border-b border-amber-700 bg-amber-900/80 px-3 py-1 text-center text-xs text-amber-100"
      role="note"
      data-testid="demo-banner"
    >
      <b>Demo weights:</b> no real ACE-Step checkpoints are configured, so the models are tiny random-weight stand-ins.
      Their audio is noise. Set ACESTEP_MODELS to use real models.
    </div>
  );
}

export function StatusBar({ active = true }: { active?: boolean }) {
  const q = useSystemInfo(active);
  const info = q.data;
  // Scale-out: the worker processes (the coordinator's own process is listed too, with role "serve").
  const remote = info?.queue.workers.filter((w) => w.role === "worker") ?? [];
  return (
    <footer
      className="flex h-7 items-center gap-4 border-t border-neutral-800 bg-neutral-900 px-3 text-[11px] text-neutral-400"
      data-testid="status-bar"
    >
      {q.isError ? (
        <span className="text-red-400">server unreachable</span>
      ) : !info ? (
        <span>connecting…</span>
      ) : (
        <>
          <span>
            provider{" "}
            <b className="text-neutral-200" data-testid="execution-provider">
              {info.executionProvider.toUpperCase()}
            </b>
            {` · ${info.threads} threads`}
          </span>
          <span className="truncate">
            models:{" "}
            {info.models.length === 0 ? (
              <span className="text-neutral-500">{info.preparingModels ? "preparing…" : "none"}</span>
            ) : (
              info.models.map((m) => (
                <span
                  key={m.name}
                  className={`mr-2 ${m.loaded ? "text-emerald-400" : "text-neutral-500"}`}
                  title={`${m.kind}${m.demo ? " (demo weights)" : ""}${m.loaded ? ", loaded" : ""}`}
                >
                  {m.name}
                  {m.demo ? "*" : ""}
                </span>
              ))
            )}
          </span>
          {info.memory && (
            <span title="resident model sessions / memory budget (ACESTEP_MEMORY_BUDGET)" data-testid="memory-budget">
              {`${(info.memory.usedBytes / 2 ** 30).toFixed(1)} / ${(info.memory.budgetBytes / 2 ** 30).toFixed(1)} GiB`}
            </span>
          )}
          {info.memory?.tier && (
            <span
              data-testid="memory-tier"
              title={`memory tier (after upstream's GPU tiers): LM ${info.memory.tier.lmSizes.join(", ") || "none"}; batch ≤ ${info.memory.tier.maxBatchWithLm} with the LM, ≤ ${info.memory.tier.maxBatchWithoutLm} without; songs ≤ ${info.memory.tier.maxDurationWithLm} s with the LM, ≤ ${info.memory.tier.maxDurationWithoutLm} s without; ${info.memory.tier.offload ? "models released between stages (offload)" : "models kept warm within the budget"}`}
            >
              {`${info.memory.tier.tier} · LM ${info.memory.tier.recommendedLm ?? "none"} · batch ≤ ${info.memory.tier.maxBatchWithLm}${info.memory.tier.offload ? " · offload" : ""}`}
            </span>
          )}
          <span className="ml-auto">
            queue {info.queue.running} running · {info.queue.waiting} waiting
            <span
              className="ml-2 text-neutral-500"
              data-testid="queue-workers"
              title={info.queue.workers
                .map(
                  (w) =>
                    `${w.role} on ${w.host} (pid ${w.pid}${w.provider ? `, ${w.provider}` : ""}${
                      w.concurrency ? `, ${w.concurrency} at a time` : ""
                    })${w.jobs.length ? `: running ${w.jobs.join(", ")}` : ": idle"}`,
                )
                .join("\n")}
            >
              {info.queue.backend === "redis"
                ? `${remote.length} ${remote.length === 1 ? "worker" : "workers"} · ${remote.filter((w) => w.jobs.length).length} busy`
                : `${info.queue.workers.length} ${info.queue.workers.length === 1 ? "process" : "processes"}`}
            </span>
          </span>
          {info.demoWeights && <span className="rounded bg-amber-800 px-1.5 text-amber-100">DEMO WEIGHTS</span>}
          <span>v{info.version}</span>
        </>
      )}
    </footer>
  );
}
