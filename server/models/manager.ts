// The model manager: which converted models exist (manifest), demo weights when none are
// configured (tiny checkpoints fabricated and converted on first use), and ORT sessions
// for their files through the worker-thread runtime.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { freemem } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../files/atomic";
import { cachedFilesOf, prefetchFiles } from "../runtime/ort-cache.mjs";
import { OFFICIAL_DIRS } from "../checkpoints/layout";
import { TINY_FOLDERS, writeTinyCheckpoints, type TinyFolder } from "../checkpoints/tiny";
import { ensureDemoLora } from "./lora/write";
import {
  createModelRegistry,
  createSessionHost,
  type ModelRegistry,
  type SessionHost,
  type HostInfo,
  type TensorData,
} from "../runtime";
import { convertCheckpoints } from "./convert/convert";
import { readManifest, type Manifest, type ManifestEntry, type ManifestFile } from "./convert/manifest";
import type { Component } from "../checkpoints/layout";
import type { NodeStage, NodeUses } from "../engine/stages";
import {
  MemoryBudgetError,
  fitBatch,
  fitDecodeTile,
  peakBytes,
  planRelease,
  sessionKeyOf,
  stageRefusal,
  type SessionKey,
} from "./memory-plan";
import { lmSizeOf, memoryTier, type LmSize, type MemoryTier } from "./tiers";

export interface ModelManagerOptions {
  /** Converted models (ACESTEP_MODELS); null → demo weights under dataDir. */
  modelsDir: string | null;
  dataDir: string;
  /**
   * A demo model set prepared elsewhere (ACESTEP_DEMO_MODELS: a folder whose `models/` holds converted tiny
   * models), read as it is instead of fabricating one under dataDir. The test suite shares one set this way.
   */
  demoModelsDir?: string | null;
  threads?: number;
  executionProvider?: "auto" | "cpu" | "cuda";
  /** Memory budget for loaded sessions (bytes). */
  budgetBytes?: number;
  /**
   * ORT's optimized-model cache (server/runtime/ort-worker.mjs createWithCache): a second cold process creates its
   * sessions from the saved optimized graphs. Default `<dataDir>/ort-cache`; null turns it off.
   */
  ortCacheDir?: string | null;
  /**
   * Reads files into the page cache in the background (default: server/runtime/ort-cache.mjs prefetchFiles); a
   * run's first stage hands it the files of the sessions its later stages will create (prepareStage).
   */
  prefetch?: (paths: string[]) => unknown;
  /** Below this many bytes in all the prefetcher is not started (default 64 MiB: small models load at once). */
  prefetchMinBytes?: number;
  logger?: (m: string) => void;
}

/** Demo folders fabricated and converted on first start; the others (sft, LM 1.7B / 4B) on first use. */
export const DEMO_CORE_FOLDERS: readonly TinyFolder[] = ["ditTurbo", "ditBase", "vae", "textEncoder", "lm"];

export class ModelsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelsUnavailableError";
  }
}

/**
 * Whether the run asks for offloading (a model handle with `offload`, set by a loader's `offload` param: upstream
 * offload_to_cpu, acestep/handler.py initialize_service — each model waits on the CPU and moves to the accelerator
 * only for its stage). Here: the sessions the rest of the run does not need are released before each node, as on
 * the offload tiers, and load again when a later stage or run needs them.
 */
function offloadAsked(stage: NodeStage): boolean {
  return [stage, ...stage.later].some((n) =>
    n.uses.some((u) => (u.model as { offload?: unknown } | undefined)?.offload === true),
  );
}

export class ModelManager {
  readonly demo: boolean;
  readonly modelsDir: string;
  /** The tiny checkpoints the demo models were converted from (null with configured models). */
  readonly demoCheckpointsDir: string | null;
  private manifest: Manifest | null = null;
  private preparing: Promise<Manifest> | null = null;
  private hostInstance: SessionHost | null = null;
  private registryInstance: ModelRegistry | null = null;
  private readonly registered = new Set<string>();
  /** Serialises demo conversions (they share one manifest file). */
  private demoChain: Promise<unknown> = Promise.resolve();
  private readonly constants = new Map<string, Promise<Float32Array>>();

  constructor(private readonly opts: ModelManagerOptions) {
    this.demo = opts.modelsDir === null;
    const demoRoot = opts.demoModelsDir ?? join(opts.dataDir, "demo-models");
    this.modelsDir = opts.modelsDir ?? join(demoRoot, "models");
    this.demoCheckpointsDir = this.demo ? join(demoRoot, "checkpoints") : null;
  }

  /**
   * Loads the manifest; in demo mode fabricates and converts the tiny checkpoints first (once), unless a
   * prepared demo set was given.
   */
  ready(): Promise<Manifest> {
    if (this.manifest) return Promise.resolve(this.manifest);
    this.preparing ??= this.prepare().finally(() => {
      this.preparing = null;
    });
    return this.preparing;
  }

  private async prepare(): Promise<Manifest> {
    if (this.demo && !this.opts.demoModelsDir) {
      await this.prepareDemo(DEMO_CORE_FOLDERS);
      ensureDemoLora(this.modelsDir); // so Load LoRA has something to load in the demo
    }
    const m = readManifest(this.modelsDir);
    if (!m)
      throw new ModelsUnavailableError(
        `no converted models in "${this.modelsDir}": run \`acestep models convert --from <checkpoints> --to ${this.modelsDir}\``,
      );
    this.manifest = m;
    return m;
  }

  /** Fabricates (when absent) and converts tiny demo folders; conversions run one at a time. */
  private prepareDemo(folders: readonly TinyFolder[]): Promise<void> {
    const run = async () => {
      const ck = this.demoCheckpointsDir!;
      const absent = folders.filter((f) => !existsSync(join(ck, OFFICIAL_DIRS[f], "config.json")));
      if (absent.length) {
        this.opts.logger?.(
          `creating tiny demo checkpoints ${absent.map((f) => OFFICIAL_DIRS[f]).join(", ")} (random weights; the audio will be noise)…`,
        );
        mkdirSync(ck, { recursive: true });
        writeTinyCheckpoints(ck, { only: absent });
      }
      const only = folders.map((f) => OFFICIAL_DIRS[f]);
      await convertCheckpoints({
        from: ck,
        to: this.modelsDir,
        demo: true,
        only,
        onProgress: (e) => this.opts.logger?.(`demo models: ${e.folder}: ${e.message}`),
      });
    };
    const next = this.demoChain.then(run, run);
    this.demoChain = next.catch(() => {});
    return next;
  }

  /** Names of every demo model (each is converted on first use); empty with real models or a prepared demo set. */
  demoModelNames(): string[] {
    return this.demo && !this.opts.demoModelsDir ? TINY_FOLDERS.map((f) => OFFICIAL_DIRS[f]) : [];
  }

  /** In demo mode, converts the demo folder `name` if it exists but is not converted yet. */
  private async ensureDemoEntry(name: string): Promise<void> {
    const folder = TINY_FOLDERS.find((f) => OFFICIAL_DIRS[f] === name);
    if (!this.demo || this.opts.demoModelsDir || !folder || this.manifest?.entries[name]) return;
    await this.prepareDemo([folder]);
    this.manifest = readManifest(this.modelsDir);
  }

  /** The manifest if it is already loaded (never waits for the demo conversion). */
  loadedManifest(): Manifest | null {
    return this.manifest;
  }

  /** Entries of a component kind, in manifest order. */
  async entries(component?: Component): Promise<ManifestEntry[]> {
    const m = await this.ready();
    return Object.values(m.entries).filter((e) => !component || e.component === component);
  }

  /** The entry named `name`, or the default one of the kind (for DiT: turbo first). */
  async find(component: Component, name?: string): Promise<ManifestEntry> {
    if (name) {
      await this.ready();
      await this.ensureDemoEntry(name);
    }
    const list = await this.entries(component);
    if (name) {
      const e = list.find((x) => x.name === name);
      if (!e)
        throw new ModelsUnavailableError(
          `no ${component} model named "${name}" in ${this.modelsDir} (have: ${list.map((x) => x.name).join(", ") || "none"})`,
        );
      return e;
    }
    const preferred =
      component === "dit" ? list.find((x) => /turbo/.test(x.name)) : component === "lm" ? this.tierLm(list) : undefined;
    const e = preferred ?? list[0];
    if (!e)
      throw new ModelsUnavailableError(
        `no ${component} model in ${this.modelsDir}; convert one with \`acestep models convert\``,
      );
    return e;
  }

  file(entry: ManifestEntry, role: string): ManifestFile & { abs: string } {
    const f = entry.files.find((x) => x.role === role);
    if (!f)
      throw new ModelsUnavailableError(`model "${entry.name}" has no "${role}" file in its manifest; reconvert it`);
    return { ...f, abs: join(this.modelsDir, f.path) };
  }

  host(): SessionHost {
    this.hostInstance ??= createSessionHost({
      threads: this.opts.threads,
      executionProvider: this.opts.executionProvider,
      logger: this.opts.logger,
    });
    return this.hostInstance;
  }

  registry(): ModelRegistry {
    this.registryInstance ??= createModelRegistry({
      host: this.host(),
      budgetBytes: this.opts.budgetBytes,
      logger: this.opts.logger,
    });
    return this.registryInstance;
  }

  /**
   * Runs one ONNX file of a model entry (loaded lazily, kept per the registry's policy). Feeds are
   * copied to the worker unless `transfer` is set (a transferred array is detached: never transfer
   * a value another node or the cache may still hold).
   */
  async run(
    entry: ManifestEntry,
    role: string,
    feeds: Record<string, TensorData>,
    signal?: AbortSignal,
    transfer = false,
  ): Promise<Record<string, TensorData>> {
    const f = this.file(entry, role);
    const id = `${entry.name}/${role}`;
    const reg = this.registry();
    if (!this.registered.has(id)) {
      this.registered.add(id);
      const data = entry.files.find((x) => x.role === `${role}_data`);
      const optimizedCache = this.optimizedCache(entry, role);
      reg.register(id, {
        path: f.abs,
        dataFiles: data ? [join(this.modelsDir, data.path)] : undefined,
        options: optimizedCache ? { optimizedCache } : undefined,
      });
    }
    return reg.run(id, feeds, { signal, transfer });
  }

  /**
   * Where ORT's optimized graph of `role` of `entry` is cached (server/runtime/ort-cache.mjs), keyed by the content
   * of the file and its external data (a reconverted model gets a fresh entry); undefined with the cache off.
   */
  optimizedCache(entry: ManifestEntry, role: string): { dir: string; key: string } | undefined {
    const dir = this.opts.ortCacheDir === undefined ? join(this.opts.dataDir, "ort-cache") : this.opts.ortCacheDir;
    if (!dir) return undefined;
    const f = this.file(entry, role);
    const data = entry.files.find((x) => x.role === `${role}_data`);
    const key = createHash("sha256")
      .update(`${f.sha256}\n${data?.sha256 ?? ""}`)
      .digest("hex")
      .slice(0, 24);
    return { dir, key: `${entry.name}.${role}.${key}` };
  }

  /**
   * Runs a graph derived from one file of a model entry (e.g. a LoRA-patched dit_step, server/models/lora):
   * `make(base)` writes it once (to a path next to the base file, so relative external data still resolves) and
   * returns its path; the session is registered as `<entry>/<role>#<variant>` and cached like any other.
   */
  async runDerived(
    entry: ManifestEntry,
    role: string,
    variant: string,
    make: (base: ManifestFile & { abs: string }) => string,
    feeds: Record<string, TensorData>,
    signal?: AbortSignal,
  ): Promise<Record<string, TensorData>> {
    const id = `${entry.name}/${role}#${variant}`;
    const reg = this.registry();
    if (!this.registered.has(id)) {
      const base = this.file(entry, role);
      const path = make(base);
      const data = entry.files.find((x) => x.role === `${role}_data`);
      reg.register(id, { path, dataFiles: data ? [join(this.modelsDir, data.path)] : undefined });
      this.registered.add(id);
    }
    return reg.run(id, feeds, { signal, transfer: false });
  }

  /**
   * A constant of a model (e.g. the DiT's no-reference timbre embedding), computed once and reused: kept in memory
   * and in `<dataDir>/model-constants/`, keyed by the hashes of the files it derives from, so a reconverted model
   * gets a fresh value.
   */
  constant(
    entry: ManifestEntry,
    name: string,
    fromRoles: string[],
    compute: () => Promise<Float32Array>,
  ): Promise<Float32Array> {
    const h = createHash("sha256").update(`${entry.name}\n${name}\n`);
    for (const role of fromRoles) {
      for (const r of [role, `${role}_data`]) {
        const f = entry.files.find((x) => x.role === r);
        if (f) h.update(`${r}:${f.sha256}\n`);
        else if (r === role)
          throw new ModelsUnavailableError(`model "${entry.name}" has no "${role}" file in its manifest; reconvert it`);
      }
    }
    const key = h.digest("hex").slice(0, 24);
    const cached = this.constants.get(key);
    if (cached) return cached;
    const file = join(this.opts.dataDir, "model-constants", `${entry.name}.${name}.${key}.f32`);
    const p = (async () => {
      if (existsSync(file)) {
        const b = readFileSync(file);
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      const value = await compute();
      await writeFileAtomic(file, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return value;
    })();
    this.constants.set(key, p);
    p.catch(() => this.constants.delete(key));
    return p;
  }

  /**
   * The default LM: the largest installed one the memory tier runs (upstream's get_recommended_lm_model), else the
   * smallest installed (tiers 1–2 run none by default upstream; here the user still gets one when it is asked for).
   */
  private tierLm(list: ManifestEntry[]): ManifestEntry | undefined {
    const order: LmSize[] = ["0.6B", "1.7B", "4B"];
    const bySize = [...list].sort((a, b) => order.indexOf(lmSizeOf(a.name)) - order.indexOf(lmSizeOf(b.name)));
    const allowed = this.tier().lmSizes;
    return bySize.filter((e) => allowed.includes(lmSizeOf(e.name))).at(-1) ?? bySize[0];
  }

  /** The memory tier of this manager's budget (server/models/tiers.ts). */
  tier(): MemoryTier {
    return memoryTier(this.opts.budgetBytes ?? Number.POSITIVE_INFINITY);
  }

  /** Bytes a session of `role` holds once loaded (its file and external data, per the manifest). */
  sessionBytes(entry: ManifestEntry, role: string): number {
    return entry.files.filter((f) => f.role === role || f.role === `${role}_data`).reduce((a, f) => a + f.bytes, 0);
  }

  /** The session keys (with bytes) of a node's declared uses; `unknown` when a model is not known yet. */
  private keysOf(n: NodeUses): { keys: Array<SessionKey & { bytes: number }>; unknown: boolean } {
    const keys: Array<SessionKey & { bytes: number }> = [];
    let unknown = false;
    for (const u of n.uses) {
      const id = (u.model as { id?: unknown } | undefined)?.id;
      const entry = typeof id === "string" ? this.manifest?.entries[id] : undefined;
      if (!entry) {
        unknown = true;
        continue;
      }
      for (const role of u.roles)
        if (entry.files.some((f) => f.role === role))
          keys.push({ model: entry.name, role, bytes: this.sessionBytes(entry, role) });
    }
    return { keys, unknown };
  }

  /** Runs with stages still to come: the sessions they need later (for releases inside a node, doneWith). */
  private readonly pendingLater = new Map<string, SessionKey[]>();
  /** Runs that asked for offloading (a loader's `offload`, offloadAsked). */
  private readonly offloadRuns = new Set<string>();
  /** Runs that use an LM somewhere (upstream's batch limits differ with and without it). */
  private readonly runsWithLm = new Set<string>();

  /**
   * The batch a node may run now (fitBatch in server/models/memory-plan.ts): the tier's limit for this run (with
   * or without an LM), then what fits next to `roles` of `entry` at `itemBytes` per item.
   */
  fitBatch(o: {
    runId: string;
    nodeId: string;
    nodeType: string;
    entry: ManifestEntry;
    roles: readonly string[];
    /** Groups of `roles` run one after another (NodeDefinition.sessionPhases). */
    phases?: readonly (readonly string[])[];
    batch: number;
    itemBytes: number;
  }): { batch: number; message?: string } {
    const tier = this.tier();
    const withLm = this.runsWithLm.has(o.runId);
    return fitBatch({
      nodeId: o.nodeId,
      nodeType: o.nodeType,
      batch: o.batch,
      tierMax: withLm ? tier.maxBatchWithLm : tier.maxBatchWithoutLm,
      tierName: `${tier.tier} (${tier.budgetGiB} GiB)`,
      withLm,
      budgetBytes: this.opts.budgetBytes ?? Number.POSITIVE_INFINITY,
      sessionBytes: peakBytes(
        o.roles.map((role) => ({ model: o.entry.name, role, bytes: this.sessionBytes(o.entry, role) })),
        o.phases,
        tier.offload,
      ),
      itemBytes: o.itemBytes,
    });
  }

  /**
   * Before a node runs (the engine's beforeNode): refuses a run whose stages cannot fit the budget, then releases
   * the loaded sessions the rest of the run does not need (offload tiers) or that must go for this stage to fit
   * (server/models/memory-plan.ts). Sessions load on demand when the node runs.
   */
  async prepareStage(stage: NodeStage): Promise<void> {
    const reg = this.registry();
    const budget = reg.status().budgetBytes;
    const now = this.keysOf(stage);
    const later = stage.later.map((n) => ({ n, ...this.keysOf(n) }));
    for (const s of [{ n: stage as NodeUses, ...now }, ...later]) {
      const refusal = stageRefusal(
        { nodeId: s.n.nodeId, nodeType: s.n.nodeType, sessions: s.keys, phases: s.n.phases },
        budget,
        this.tier().offload,
      );
      if (refusal) throw new MemoryBudgetError(refusal);
    }
    if (later.length)
      this.pendingLater.set(
        stage.runId,
        later.flatMap((l) => l.keys),
      );
    else this.pendingLater.delete(stage.runId);
    while (this.pendingLater.size > 32) this.pendingLater.delete(this.pendingLater.keys().next().value!);
    if ([stage, ...stage.later].some((n) => n.uses.some((u) => u.roles.includes("lm"))))
      this.runsWithLm.add(stage.runId);
    while (this.runsWithLm.size > 32) this.runsWithLm.delete(this.runsWithLm.values().next().value!);
    // remembered for the run: its last nodes (Save Audio) use no model, and before them the rest is released
    if (offloadAsked(stage)) this.offloadRuns.add(stage.runId);
    while (this.offloadRuns.size > 32) this.offloadRuns.delete(this.offloadRuns.values().next().value!);
    const st = reg.status();
    const decision = planRelease({
      budgetBytes: budget,
      usedBytes: st.usedBytes,
      loaded: st.loaded,
      now: now.keys,
      // the stages of other runs in flight count as needed after this run's own (never offloaded under them)
      later: [
        ...later.map((l) => l.keys),
        [...this.pendingLater].filter(([runId]) => runId !== stage.runId).flatMap(([, keys]) => keys),
      ],
      offload: this.tier().offload || this.offloadRuns.has(stage.runId),
      laterUnknown: later.some((l) => l.unknown),
    });
    for (const r of decision.release) {
      await reg.unload(r.id);
      this.opts.logger?.(`released ${r.id} before node "${stage.nodeId}" (${r.why})`);
    }
    if (!this.prefetchedRuns.has(stage.runId)) {
      this.prefetchedRuns.add(stage.runId);
      while (this.prefetchedRuns.size > 32) this.prefetchedRuns.delete(this.prefetchedRuns.values().next().value!);
      this.prefetchLater(later.flatMap((l) => l.keys));
    }
  }

  /** Runs whose later sessions' files were handed to the prefetcher (once per run, at its first stage). */
  private readonly prefetchedRuns = new Set<string>();

  /**
   * Starts reading the files of the sessions a run will create later (not loaded now): their cached optimized
   * graphs when the ORT cache has them, else their model files, in the order the stages come, as many as the
   * machine's available memory holds. On a cold page cache a full-size session is created from disk (the fp32
   * text encoder's cache entry alone is 4.1 GB); read during the stages before it (the LM's decode), its creation
   * finds the bytes in memory.
   */
  private prefetchLater(keys: readonly SessionKey[]): void {
    const loaded = new Set(
      this.registry()
        .status()
        .loaded.map((l) => l.id),
    );
    const entries = Object.values(this.manifest?.entries ?? {});
    const paths: string[] = [];
    const room = freemem() - 2 ** 30; // leave 1 GiB for everything else
    let total = 0;
    for (const k of keys) {
      const entry = entries.find((e) => e.name === k.model);
      if (!entry || loaded.has(`${k.model}/${k.role}`)) continue;
      const cache = this.optimizedCache(entry, k.role);
      const cached = cache ? cachedFilesOf(cache) : [];
      const data = entry.files.find((x) => x.role === `${k.role}_data`);
      const files = cached.length
        ? cached
        : [this.file(entry, k.role).abs, ...(data ? [join(this.modelsDir, data.path)] : [])];
      for (const f of files) {
        if (paths.includes(f)) continue;
        const size = fileSize(f);
        if (total + size > room) return this.startPrefetch(paths, total);
        total += size;
        paths.push(f);
      }
    }
    this.startPrefetch(paths, total);
  }

  private startPrefetch(paths: string[], bytes: number): void {
    // small models (the demo weights) load in milliseconds: not worth a reader process
    if (paths.length && bytes >= (this.opts.prefetchMinBytes ?? 64 * 2 ** 20))
      (this.opts.prefetch ?? prefetchFiles)(paths);
  }

  /**
   * The decode tile for `frames` latent frames of `batch` items (fitDecodeTile in server/models/memory-plan.ts).
   * The room is the budget minus the node's own sessions and what is in use right now (sessions running for other
   * runs, their decodes' working bytes): every other loaded session is an idle warm copy, which prepareStage
   * releases when a stage needs the room and reserveResident releases while the decode holds its working bytes
   * (vaeDecode reserves them), so counting those would shorten the tiles for memory the budget gets back.
   */
  fitDecodeTile(o: {
    nodeId: string;
    nodeType: string;
    entry: ManifestEntry;
    roles: readonly string[];
    frames: number;
    batch: number;
    overlap: number;
    frameBytes: number;
  }): { chunk: number; tiles: number; message?: string } {
    const st = this.registry().status();
    const own = (s: { id: string }) => {
      const k = sessionKeyOf(s.id);
      return k.model === o.entry.name && o.roles.includes(k.role);
    };
    const inUse = st.loaded.filter((s) => s.busy > 0 && !own(s)).reduce((a, s) => a + s.sizeBytes, 0);
    const sessions = o.roles.reduce((a, role) => a + this.sessionBytes(o.entry, role), 0);
    return fitDecodeTile({
      nodeId: o.nodeId,
      nodeType: o.nodeType,
      frames: o.frames,
      batch: o.batch,
      overlap: o.overlap,
      budgetBytes: st.budgetBytes,
      residentBytes: sessions + inUse,
      frameBytes: o.frameBytes,
    });
  }

  /**
   * Sets the bytes a model outside the registry holds now (the LM worker: weights, plus the KV cache while a pass
   * runs; a VAE decode's working bytes) and, when that leaves the budget short, releases other idle sessions (those
   * no pending stage needs first). `keep`: sessions about to run, never released for it; `busy`: the bytes are in
   * use until set to 0 (never released, and counted as such by fitDecodeTile).
   */
  async reserveResident(
    id: string,
    bytes: number,
    o: { keep?: readonly SessionKey[]; busy?: boolean } = {},
  ): Promise<void> {
    const reg = this.registry();
    reg.setResident(id, bytes, o.busy ? { busy: () => true } : undefined);
    const st = reg.status();
    if (st.usedBytes <= st.budgetBytes) return;
    const kept = (s: { id: string }) => {
      const k = sessionKeyOf(s.id);
      return (o.keep ?? []).some((x) => x.model === k.model && x.role === k.role);
    };
    const decision = planRelease({
      budgetBytes: st.budgetBytes,
      usedBytes: st.usedBytes,
      loaded: st.loaded.filter((s) => s.id !== id && !kept(s)),
      now: [],
      later: [[...this.pendingLater.values()].flat()],
      offload: false,
    });
    for (const r of decision.release) {
      await reg.unload(r.id);
      this.opts.logger?.(`released ${r.id} for ${id} (${(bytes / 1e9).toFixed(2)} GB)`);
    }
  }

  /**
   * Inside a node: `roles` of `entry` are done for this node (e.g. the DiT's condition encoders once the
   * conditions are packed). On offload tiers they are released unless a pending stage of some run needs them.
   */
  async doneWith(entry: ManifestEntry, roles: readonly string[]): Promise<void> {
    if (!this.tier().offload || !this.registryInstance) return;
    const reg = this.registryInstance;
    const needed = [...this.pendingLater.values()].flat();
    for (const s of reg.status().loaded) {
      const { model, role } = sessionKeyOf(s.id);
      if (model !== entry.name || !roles.includes(role) || s.busy) continue;
      if (needed.some((k) => k.model === model && k.role === role)) continue;
      await reg.unload(s.id);
      this.opts.logger?.(`released ${s.id} (done with it in this node)`);
    }
  }

  async info(): Promise<HostInfo | null> {
    return this.hostInstance ? this.hostInstance.info() : null;
  }

  async close(): Promise<void> {
    await this.hostInstance?.close();
    this.hostInstance = null;
    this.registryInstance = null;
    this.registered.clear();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
