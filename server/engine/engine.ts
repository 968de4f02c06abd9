// The execution engine: runs only what output nodes need, in topological order, reusing
// cached outputs by signature, streaming node events and honouring cancellation.
// It knows no specific node: everything comes from the declarations in the registry.
import { randomInt } from "node:crypto";
import type { z } from "zod";
import type { NodeContext, ProgressUpdate, UiResult } from "../../nodes/define-node";
import type { PortType } from "../../nodes/port-types";
import type { NodeServices } from "../../nodes/services";
import { uiHintOf, MAX_SEED } from "../../nodes/params";
import type { ResolvedGraph, ResolvedNode } from "../graph/validate";
import { paramIssue } from "../graph/validate";
import { OutputCache } from "./cache";
import { CancelledError, NodeError, isCancelled } from "../../nodes/errors";
import type { NodeEvent } from "./events";
import { nodeSignature } from "./signature";
import { summarizeValue } from "./summarize";
import { stageAt, type NodeStage } from "./stages";

export interface ExecuteOptions {
  runId: string;
  outputDir: string;
  cache?: OutputCache;
  signal?: AbortSignal;
  services?: NodeServices;
  onEvent?: (e: NodeEvent) => void;
  /** Minimum ms between progress events of one node (the last step always goes out). */
  progressIntervalMs?: number;
  random?: () => number;
  /**
   * Called before each node that runs (not before cache hits) with the model sessions it and the nodes after it
   * use (the memory budget releases what the rest does not need); a rejection fails that node with its message.
   */
  beforeNode?: (stage: NodeStage) => Promise<void>;
}

export interface NodeTiming {
  ms: number;
  cached: boolean;
}

export interface ExecuteOutcome {
  status: "finished" | "failed" | "cancelled";
  error?: { nodeId: string; message: string; field?: string };
  /** Nodes in the order they ran. */
  order: string[];
  timings: Record<string, NodeTiming>;
  /** Concrete values of seed params that were -1, per node. */
  resolvedSeeds: Record<string, Record<string, number>>;
  outputs: Map<string, Record<string, unknown>>;
  results: Record<string, UiResult[]>;
}

/** Nodes the output nodes depend on, in a stable topological order (graph order breaks ties). */
export function executionOrder(resolved: ResolvedGraph): string[] {
  const needed = new Set<string>();
  const stack = [...resolved.nodes.values()].filter((n) => n.def.output).map((n) => n.id);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    for (const l of upstreamLinks(resolved.nodes.get(id)!)) stack.push(l.node);
  }
  const ids = [...resolved.nodes.keys()].filter((id) => needed.has(id));
  const indeg = new Map(ids.map((id) => [id, 0]));
  const down = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of ids)
    for (const l of new Set(upstreamLinks(resolved.nodes.get(id)!).map((x) => x.node))) {
      indeg.set(id, indeg.get(id)! + 1);
      down.get(l)!.push(id);
    }
  const order: string[] = [];
  const ready = ids.filter((id) => indeg.get(id) === 0);
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const d of down.get(id)!) {
      indeg.set(d, indeg.get(d)! - 1);
      if (indeg.get(d) === 0) ready.push(d);
    }
  }
  if (order.length !== ids.length) throw new Error("the graph has a cycle (validate before executing)");
  return order;
}

function upstreamLinks(n: ResolvedNode) {
  return [...Object.values(n.inputs), ...Object.values(n.paramLinks)];
}

/** Replaces seed params of -1 by concrete seeds, so a random seed never hits a stale cache. */
export function resolveSeeds(
  resolved: ResolvedGraph,
  random: () => number = () => randomInt(0, MAX_SEED),
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const n of resolved.nodes.values())
    for (const [name, schema] of Object.entries(n.def.params as Record<string, z.ZodType>))
      if (uiHintOf(schema) === "seed" && n.params[name] === -1) {
        const seed = Math.floor(random());
        n.params[name] = seed;
        (out[n.id] ??= {})[name] = seed;
      }
  return out;
}

export async function executeGraph(resolved: ResolvedGraph, opts: ExecuteOptions): Promise<ExecuteOutcome> {
  const cache = opts.cache ?? new OutputCache();
  const signal = opts.signal ?? new AbortController().signal;
  const emit = opts.onEvent ?? (() => {});
  const services = opts.services ?? {};
  const interval = opts.progressIntervalMs ?? 50;
  const resolvedSeeds = resolveSeeds(resolved, opts.random ? () => opts.random!() * MAX_SEED : undefined);
  const order = executionOrder(resolved);
  const outcome: ExecuteOutcome = {
    status: "finished",
    order: [],
    timings: {},
    resolvedSeeds,
    outputs: new Map(),
    results: {},
  };
  const sigs = new Map<string, string>();

  for (const [index, id] of order.entries()) {
    const node = resolved.nodes.get(id)!;
    if (signal.aborted) {
      outcome.status = "cancelled";
      return outcome;
    }
    const started = performance.now();
    try {
      const params = { ...node.params };
      for (const [name, link] of Object.entries(node.paramLinks)) {
        const v = outcome.outputs.get(link.node)![link.output];
        const schema = (node.def.params as Record<string, z.ZodType>)[name];
        const r = schema.safeParse(v);
        if (!r.success) throw new NodeError(paramIssue(id, name, v, r.error.issues[0]).message, name);
        params[name] = r.data;
      }
      const upstream: Record<string, string> = {};
      const inputs: Record<string, unknown> = {};
      for (const [port, link] of Object.entries(node.inputs)) {
        upstream[port] = `${sigs.get(link.node)}:${link.output}`;
        inputs[port] = outcome.outputs.get(link.node)![link.output];
      }
      for (const [name, link] of Object.entries(node.paramLinks))
        upstream[`param:${name}`] = `${sigs.get(link.node)}:${link.output}`;
      const fingerprint = node.def.fingerprint ? await node.def.fingerprint(params, services) : undefined;
      const sig = nodeSignature({ type: node.type, params, upstream, fingerprint });
      sigs.set(id, sig);

      const cacheable = node.def.cache ?? !node.def.output;
      const hit = cacheable ? cache.get(sig) : undefined;
      if (hit) {
        outcome.outputs.set(id, hit.outputs);
        outcome.results[id] = hit.results;
        outcome.timings[id] = { ms: performance.now() - started, cached: true };
        outcome.order.push(id);
        emit({
          type: "node.cached",
          nodeId: id,
          nodeType: node.type,
          outputs: summarize(node, hit.outputs),
          results: hit.results,
        });
        continue;
      }

      emit({ type: "node.started", nodeId: id, nodeType: node.type });
      await opts.beforeNode?.(stageAt(resolved, order, index, outcome.outputs, opts.runId));
      const results: UiResult[] = [];
      const ctx = makeContext(id, opts, signal, services, interval, emit, results);
      const out = (await node.def.run({ inputs, params }, ctx)) as Record<string, unknown>;
      if (signal.aborted) throw new CancelledError();
      for (const name of Object.keys(node.def.outputs))
        if (!out || !(name in out))
          throw new Error(
            `node "${id}" (${node.type}) returned no value for its output "${name}" (returned: ${Object.keys(out ?? {}).join(", ") || "nothing"})`,
          );
      if (cacheable) cache.set(sig, { outputs: out, results });
      outcome.outputs.set(id, out);
      outcome.results[id] = results;
      const ms = performance.now() - started;
      outcome.timings[id] = { ms, cached: false };
      outcome.order.push(id);
      emit({ type: "node.finished", nodeId: id, ms, outputs: summarize(node, out), results });
    } catch (e) {
      outcome.timings[id] = { ms: performance.now() - started, cached: false };
      if (isCancelled(e, signal) || signal.aborted) {
        outcome.status = "cancelled";
        return outcome;
      }
      const field = e instanceof NodeError ? e.field : undefined;
      const message = e instanceof Error ? e.message : String(e);
      emit({ type: "node.failed", nodeId: id, error: message, field });
      outcome.status = "failed";
      outcome.error = { nodeId: id, message, field };
      return outcome;
    }
  }
  return outcome;
}

function summarize(node: ResolvedNode, out: Record<string, unknown>): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(node.def.outputs as Record<string, { type: PortType }>))
    s[name] = summarizeValue(spec.type, out[name]);
  return s;
}

function makeContext(
  nodeId: string,
  opts: ExecuteOptions,
  signal: AbortSignal,
  services: NodeServices,
  interval: number,
  emit: (e: NodeEvent) => void,
  results: UiResult[],
): NodeContext {
  let last = -Infinity;
  return {
    nodeId,
    runId: opts.runId,
    signal,
    outputDir: opts.outputDir,
    services,
    progress(u: ProgressUpdate) {
      const fraction = Math.min(1, Math.max(0, u.fraction ?? (u.step !== undefined && u.total ? u.step / u.total : 0)));
      const now = performance.now();
      const final = u.total !== undefined && u.step === u.total;
      if (!final && now - last < interval) return;
      last = now;
      emit({ type: "node.progress", nodeId, fraction, step: u.step, total: u.total, message: u.message });
    },
    throwIfCancelled() {
      if (signal.aborted) throw new CancelledError();
    },
    result(r: UiResult) {
      results.push(r);
    },
    log(message: string) {
      if (process.env.ACESTEP_LOG_NODES) console.error(`[${opts.runId} ${nodeId}] ${message}`);
    },
  };
}
