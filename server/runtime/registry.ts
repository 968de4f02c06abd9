// Model registry over a SessionHost: named models (id → file + load options) load lazily on first
// get(), concurrent get()s share one load, and least-recently-used models are unloaded to stay
// under a memory budget. Sizes are file sizes (plus external-data files) unless given explicitly.
// Optional policy keepBigResident: the most recently used "big" model is never evicted to make room
// for a smaller one (e.g. the DiT stays while encoders cycle); a new big model may replace it.
import { stat } from "node:fs/promises";
import { ModelLoadError } from "./errors";
import type { LoadOptions, LoadedSession, RunOptions, SessionHost, TensorData } from "./session-host";

export interface ModelSpec {
  path: string;
  options?: LoadOptions;
  /** Bytes this model holds when loaded (default: size of path + dataFiles). */
  sizeBytes?: number;
  /** External-data files next to the model, counted in the default size. */
  dataFiles?: string[];
  /** Never unloaded by the LRU policy. */
  pinned?: boolean;
}

export interface RegistryOptions {
  host: SessionHost;
  /** Memory budget for loaded models in bytes (default: unlimited). */
  budgetBytes?: number;
  models?: Record<string, ModelSpec>;
  /** Keep the most recently used model of at least minBytes resident while smaller ones cycle. */
  keepBigResident?: { minBytes: number };
  logger?: (message: string) => void;
}

export interface LoadedModel extends LoadedSession {
  id: string;
  sizeBytes: number;
}

export interface RegistryEntryStatus {
  id: string;
  sizeBytes: number;
  lastUsed: number;
  pinned: boolean;
  big: boolean;
  busy: number;
}

export interface ModelRegistry {
  register(id: string, spec: ModelSpec): void;
  /** Loads the model if needed (evicting LRU models over budget) and marks it used. */
  get(id: string): Promise<LoadedModel>;
  /** get() + host.run(); the model is not evicted while its run is in progress. */
  run(id: string, feeds: Record<string, TensorData>, options?: RunOptions): Promise<Record<string, TensorData>>;
  unload(id: string): Promise<void>;
  unloadAll(): Promise<void>;
  status(): { budgetBytes: number; usedBytes: number; loaded: RegistryEntryStatus[] };
  /**
   * Bytes a model holds outside this registry's worker (the LM worker, server/runtime/lm/lm-worker.ts); 0 forgets
   * it. They count toward the budget (loads evict more to fit) and show in status() as pinned; the LRU policy
   * never evicts them, but unload(id) calls `release` when one was given (and `busy` says it is not in use).
   */
  setResident(id: string, bytes: number, hooks?: ResidentHooks): void;
}

export interface ResidentHooks {
  /** Frees the model (unload(id) calls it, then forgets the bytes). */
  release?: () => Promise<void>;
  /** Whether the model is in use now (status() reports it as busy; it is not released then). */
  busy?: () => boolean;
}

interface Entry {
  id: string;
  sizeBytes: number;
  lastUsed: number;
  busy: number;
  session?: LoadedSession;
  loading?: Promise<LoadedModel>;
}

export function createModelRegistry(opts: RegistryOptions): ModelRegistry {
  const { host } = opts;
  const budget = opts.budgetBytes ?? Number.POSITIVE_INFINITY;
  const log = opts.logger ?? ((m: string) => console.info(m));
  const specs = new Map<string, ModelSpec>(Object.entries(opts.models ?? {}));
  const entries = new Map<string, Entry>();
  let clock = 0;

  // Every session dies with the worker; models reload on the next get().
  host.onWorkerExit(() => {
    for (const [id, e] of entries) if (!e.loading) entries.delete(id);
  });

  const isBig = (e: { sizeBytes: number }) =>
    opts.keepBigResident !== undefined && e.sizeBytes >= opts.keepBigResident.minBytes;
  const resident = new Map<string, { bytes: number; since: number; hooks?: ResidentHooks }>();
  const residentBytes = () => [...resident.values()].reduce((a, r) => a + r.bytes, 0);
  const usedBytes = () => [...entries.values()].reduce((a, e) => a + e.sizeBytes, 0) + residentBytes();

  async function sizeOf(id: string, spec: ModelSpec): Promise<number> {
    if (spec.sizeBytes !== undefined) return spec.sizeBytes;
    let total = 0;
    for (const file of [spec.path, ...(spec.dataFiles ?? [])]) {
      try {
        total += (await stat(file)).size;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new ModelLoadError(
          `ort registry: model '${id}': ${code === "ENOENT" ? "model file not found" : `cannot stat (${code})`}: ${file}`,
          file,
          id,
        );
      }
    }
    return total;
  }

  async function evictFor(incoming: Entry): Promise<void> {
    if (usedBytes() <= budget) return;
    const protectedBig = isBig(incoming)
      ? undefined
      : [...entries.values()].filter((e) => e.session && isBig(e)).sort((a, b) => b.lastUsed - a.lastUsed)[0];
    const victims = [...entries.values()]
      .filter(
        (e) =>
          e !== incoming && e.session && !e.loading && e.busy === 0 && !specs.get(e.id)?.pinned && e !== protectedBig,
      )
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const v of victims) {
      if (usedBytes() <= budget) break;
      entries.delete(v.id);
      await host.unload(v.id);
      log(`[ort registry] unloaded '${v.id}' (${v.sizeBytes} bytes, least recently used) to fit '${incoming.id}'`);
    }
    if (usedBytes() > budget)
      log(
        `[ort registry] over budget: ${usedBytes()} > ${budget} bytes after loading '${incoming.id}' (nothing else can be unloaded)`,
      );
  }

  async function load(id: string, spec: ModelSpec, entry: Entry): Promise<LoadedModel> {
    try {
      entry.sizeBytes = await sizeOf(id, spec);
      await evictFor(entry);
      entry.session = await host.load(id, spec.path, spec.options);
      return { ...entry.session, id, sizeBytes: entry.sizeBytes };
    } catch (e) {
      if (entries.get(id) === entry) entries.delete(id);
      throw e;
    } finally {
      entry.loading = undefined;
    }
  }

  async function get(id: string): Promise<LoadedModel> {
    const spec = specs.get(id);
    if (!spec)
      throw new Error(`ort registry: unknown model '${id}' (registered: ${[...specs.keys()].join(", ") || "none"})`);
    const existing = entries.get(id);
    if (existing) {
      existing.lastUsed = ++clock;
      if (existing.loading) return existing.loading;
      return { ...existing.session!, id, sizeBytes: existing.sizeBytes };
    }
    const entry: Entry = { id, sizeBytes: 0, lastUsed: ++clock, busy: 0 };
    entries.set(id, entry);
    entry.loading = load(id, spec, entry);
    return entry.loading;
  }

  return {
    register(id, spec) {
      specs.set(id, spec);
    },
    get,
    async run(id, feeds, options) {
      const loading = get(id); // creates the entry synchronously, so it is marked busy before any await
      const entry = entries.get(id);
      if (entry) entry.busy++;
      try {
        await loading;
        return await host.run(id, feeds, options);
      } finally {
        if (entry) entry.busy--;
      }
    },
    async unload(id) {
      const r = resident.get(id);
      if (r?.hooks?.release) {
        if (r.hooks.busy?.()) return;
        resident.delete(id);
        await r.hooks.release();
        return;
      }
      const e = entries.get(id);
      if (!e) return;
      if (e.loading) await e.loading.catch(() => {});
      entries.delete(id);
      await host.unload(id);
    },
    async unloadAll() {
      for (const id of [...entries.keys()]) await this.unload(id);
    },
    status() {
      const loaded = [...entries.values()]
        .filter((e) => e.session)
        .map((e) => ({
          id: e.id,
          sizeBytes: e.sizeBytes,
          lastUsed: e.lastUsed,
          pinned: Boolean(specs.get(e.id)?.pinned),
          big: isBig(e),
          busy: e.busy,
        }));
      for (const [id, r] of resident)
        loaded.push({
          id,
          sizeBytes: r.bytes,
          lastUsed: r.since,
          pinned: true,
          big: false,
          busy: r.hooks?.busy?.() ? 1 : 0,
        });
      return { budgetBytes: budget, usedBytes: usedBytes(), loaded };
    },
    setResident(id, bytes, hooks) {
      if (!(Number.isFinite(bytes) && bytes >= 0))
        throw new Error(`ort registry: resident bytes of '${id}' must be ≥ 0 (got ${bytes})`);
      if (bytes === 0) resident.delete(id);
      else resident.set(id, { bytes, since: ++clock, hooks: hooks ?? resident.get(id)?.hooks });
    },
  };
}
