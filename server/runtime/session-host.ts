// Typed host for one ORT worker thread (ort-worker.mjs). session.run blocks whatever thread calls
// it, so every session lives in the worker; the host queues calls (one in flight at a time, so a
// queued call can still be aborted), moves tensor buffers with transfer lists, picks the execution
// provider once (CUDA probe → CPU), and restarts the worker on the next call after a crash.
import { Worker } from "node:worker_threads";
import { ModelLoadError, RunError, SessionNotLoadedError, WorkerCrashedError, abortError } from "./errors";
import { cudaBinariesPresent, type ExecutionProviderChoice } from "./providers";
import { checkSelfTestOutputs, selfTestFeeds, selfTestModelBytes } from "./self-test-model";
import { feedProblem, transferList, type TensorData, type TensorType } from "./tensor";
import { ortThreads } from "./threads";

export type { TensorData, TensorType } from "./tensor";
export type Provider = "cpu" | "cuda";

export interface SessionHostOptions {
  /** intra-op threads per session (default: ortThreads(), i.e. ACESTEP_THREADS or the available cores). */
  threads?: number;
  executionProvider?: ExecutionProviderChoice;
  /** Where the provider choice and fallbacks are reported (default console.info). */
  logger?: (message: string) => void;
  /** Enables test-only worker messages (crash injection, simulated CUDA OOM). */
  testHooks?: boolean;
  /** Override the worker script location (default: ./ort-worker.mjs next to this file). */
  workerUrl?: URL | string;
  /** Override the CUDA EP file check (default: cudaBinariesPresent); a seam for tests. */
  detectCuda?: () => { present: boolean; reason: string };
}

export interface LoadOptions {
  /** Per-model override of the host's provider. */
  executionProvider?: Provider;
  intraOpNumThreads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  freeDimensionOverrides?: Record<string, number>;
  /** External-data files for a model given as bytes (ORT `externalData`). */
  externalData?: { path: string; data: Uint8Array }[];
  /** Name used in errors for a model given as bytes. */
  fileName?: string;
  /** Move (detach) the caller's byte buffers instead of copying them (default true). */
  transfer?: boolean;
  /**
   * ORT's optimized-model cache (file models only): the first creation saves the optimized graph under `dir`, keyed
   * by `key` (the model's content hash) plus ORT version, provider, optimization level and CPU; later creations
   * (in any process) load it with graph optimization off. See ort-worker.mjs createWithCache.
   */
  optimizedCache?: { dir: string; key: string };
}

export interface ValueMetadata {
  name: string;
  isTensor: boolean;
  type?: TensorType;
  shape?: (number | string)[];
}

export interface LoadedSession {
  inputNames: string[];
  outputNames: string[];
  inputMetadata?: ValueMetadata[];
  outputMetadata?: ValueMetadata[];
  provider: Provider;
  /** Whether the session came from the optimized-model cache ("hit"), wrote it ("saved") or did not use it. */
  optimizedCache?: "hit" | "saved" | "off";
  /** Milliseconds the session creation took in the worker. */
  createMs?: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Output names to fetch (default: all). */
  outputs?: string[];
  /** Move (detach) the feeds' ArrayBuffers into the worker (default true); false copies them. */
  transfer?: boolean;
}

export interface ProviderFallback {
  id: string;
  from: Provider;
  to: Provider;
  reason: string;
}

export interface HostInfo {
  provider: Provider;
  threads: number;
  cudaAvailable: boolean;
  reason: string;
  versions: Record<string, string>;
  fallbacks: ProviderFallback[];
}

export interface SessionHost {
  /** Starts the worker if needed and reports the provider choice. */
  info(): Promise<HostInfo>;
  load(id: string, source: string | Uint8Array, options?: LoadOptions): Promise<LoadedSession>;
  run(id: string, feeds: Record<string, TensorData>, options?: RunOptions): Promise<Record<string, TensorData>>;
  unload(id: string): Promise<boolean>;
  /** Ids loaded in the current worker. */
  loadedIds(): string[];
  /** Called when the worker dies; every loaded session is gone then. Returns an unsubscribe. */
  onWorkerExit(listener: (error: WorkerCrashedError) => void): () => void;
  close(): Promise<void>;
  /** Test-only (needs testHooks): make the worker call process.exit(code). */
  testCrash(code?: number): Promise<void>;
  /** Test-only (needs testHooks): next run of `id` fails as if CUDA ran out of memory. */
  testSimulateOom(id: string, source: string | Uint8Array): Promise<boolean>;
}

interface Job {
  msg: Record<string, unknown> & { op: string };
  transfer: ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  cleanup?: () => void;
  done: boolean;
}

interface WorkerReply {
  seq: number;
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string; file?: string };
}

const WORKER_URL = new URL("./ort-worker.mjs", import.meta.url);
const PROBE_ID = "__ort_runtime_probe__";

export function createSessionHost(opts: SessionHostOptions = {}): SessionHost {
  const threads = Math.max(1, opts.threads ?? ortThreads());
  const choice: ExecutionProviderChoice = opts.executionProvider ?? "auto";
  const log = opts.logger ?? ((m: string) => console.info(m));
  const exitListeners = new Set<(e: WorkerCrashedError) => void>();
  const loaded = new Map<string, Provider>();
  const lost = new Set<string>();
  const fallbacks: ProviderFallback[] = [];
  let worker: Worker | null = null;
  let ready: Promise<HostInfo> | null = null;
  let decided: Omit<HostInfo, "fallbacks"> | null = null;
  let logged = false;
  let closed = false;
  let seq = 0;
  let queue: Job[] = [];
  let inFlight: (Job & { seq: number }) | null = null;
  let lastWorkerError: Error | null = null;

  function spawn(): Worker {
    const w = new Worker(opts.workerUrl ?? WORKER_URL, { workerData: { testHooks: Boolean(opts.testHooks) } });
    w.on("message", (m: WorkerReply) => onReply(m));
    w.on("error", (e) => {
      lastWorkerError = e;
    });
    w.on("exit", (code) => onExit(w, code));
    return w;
  }

  function onReply(m: WorkerReply): void {
    const job = inFlight;
    if (!job || job.seq !== m.seq) return;
    inFlight = null;
    finish(job, m.ok ? null : toError(m.error!, job), m.result);
    pump();
  }

  function onExit(w: Worker, code: number): void {
    if (w !== worker) return;
    worker = null;
    ready = null;
    decided = null;
    const why = lastWorkerError ? `: ${lastWorkerError.message}` : "";
    lastWorkerError = null;
    for (const id of loaded.keys()) lost.add(id);
    loaded.clear();
    if (closed) return;
    const err = new WorkerCrashedError(
      `ort runtime: worker exited with code ${code}${why}; pending calls were rejected, loaded models are gone and the worker restarts on the next call`,
      code,
    );
    const pending = [...(inFlight ? [inFlight] : []), ...queue];
    inFlight = null;
    queue = [];
    for (const j of pending) finish(j, err);
    for (const l of exitListeners) l(err);
  }

  function toError(e: NonNullable<WorkerReply["error"]>, job: Job): Error {
    const id = String(job.msg.id ?? "");
    switch (e.name) {
      case "ModelLoadError":
        return new ModelLoadError(`ort runtime: model '${id}': ${e.message}`, e.file ?? "", id);
      case "RunError":
        return new RunError(`ort runtime: ${e.message}`, id);
      case "SessionNotLoadedError":
        return new SessionNotLoadedError(id, "not held by the worker");
      default: {
        const x = new Error(`ort runtime: ${e.message}`);
        x.name = e.name;
        return x;
      }
    }
  }

  function finish(job: Job, err: Error | null, value?: unknown): void {
    if (job.done) return;
    job.done = true;
    job.cleanup?.();
    if (err) job.reject(err);
    else job.resolve(value);
  }

  function pump(): void {
    while (!inFlight && queue.length > 0) {
      const job = queue.shift()!;
      if (job.done) continue;
      if (!worker) worker = spawn();
      const s = ++seq;
      inFlight = Object.assign(job, { seq: s });
      try {
        worker.postMessage({ ...job.msg, seq: s }, job.transfer);
      } catch (e) {
        // e.g. DataCloneError: a value that cannot be cloned, or an already-detached buffer.
        inFlight = null;
        const msg = e instanceof Error ? e.message : String(e);
        finish(
          job,
          new Error(`ort runtime: cannot send ${job.msg.op} of '${String(job.msg.id)}' to the worker: ${msg}`),
        );
      }
    }
    if (worker) {
      if (inFlight) worker.ref();
      else worker.unref();
    }
  }

  /** Queue one message for the worker (no readiness gate). */
  function call<T>(msg: Job["msg"], transfer: ArrayBuffer[] = [], signal?: AbortSignal): Promise<T> {
    if (closed) return Promise.reject(new Error("ort runtime: session host is closed"));
    return new Promise<T>((resolve, reject) => {
      const job: Job = { msg, transfer, resolve: resolve as (v: unknown) => void, reject, signal, done: false };
      if (signal) {
        if (signal.aborted) return reject(abortError(signal, `${msg.op} of '${String(msg.id)}'`));
        const onAbort = () => {
          // Queued: dropped before it reaches the worker. In flight: rejected now, result discarded.
          queue = queue.filter((j) => j !== job);
          finish(job, abortError(signal, `${msg.op} of '${String(msg.id)}'`));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        job.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      queue.push(job);
      pump();
    });
  }

  async function decide(): Promise<HostInfo> {
    const versions = (await call<{ versions: Record<string, string> }>({ op: "init", threads, providers: ["cpu"] }))
      .versions;
    const bins = (opts.detectCuda ?? cudaBinariesPresent)();
    let provider: Provider = "cpu";
    let reason: string;
    if (choice === "cpu") reason = "CPU requested (executionProvider: 'cpu')";
    else if (!bins.present)
      reason = `${choice === "cuda" ? "CUDA requested but unavailable" : "auto: no CUDA"}: ${bins.reason}`;
    else {
      const probe = await probeCuda();
      if (probe === null) {
        provider = "cuda";
        reason = `${choice === "cuda" ? "CUDA requested" : "auto: CUDA probe session ran"}; ${bins.reason}`;
      } else
        reason = `${choice === "cuda" ? "CUDA requested but unavailable" : "auto: CUDA probe failed, using CPU"}: ${probe}`;
    }
    if (provider === "cuda") await call({ op: "init", threads, providers: ["cuda", "cpu"] });
    decided = { provider, threads, cudaAvailable: provider === "cuda", reason, versions };
    if (!logged) {
      logged = true;
      log(`[ort runtime] execution provider: ${provider} (${reason}); ${threads} intra-op thread(s)`);
    }
    return { ...decided, fallbacks: [...fallbacks] };
  }

  /** Creates and runs the self-test model on CUDA only; null when it worked, else why not. */
  async function probeCuda(): Promise<string | null> {
    try {
      const r = await call<LoadedSession & { fallback?: ProviderFallback }>({
        op: "load",
        id: PROBE_ID,
        source: selfTestModelBytes(),
        options: { executionProvider: "cuda" },
      });
      if (r.fallback || r.provider !== "cuda") return r.fallback?.reason ?? "CUDA session could not be created";
      const out = await call<{ outputs: Record<string, TensorData> }>({
        op: "run",
        id: PROBE_ID,
        feeds: selfTestFeeds(),
      });
      return checkSelfTestOutputs(out.outputs);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    } finally {
      await call({ op: "unload", id: PROBE_ID }).catch(() => {});
    }
  }

  function ensureReady(): Promise<HostInfo> {
    if (closed) return Promise.reject(new Error("ort runtime: session host is closed"));
    if (!ready) {
      const p = decide();
      ready = p;
      p.catch(() => {
        if (ready === p) ready = null;
      });
    }
    return ready;
  }

  function recordFallback(f: ProviderFallback | undefined): void {
    if (!f) return;
    fallbacks.push(f);
    loaded.set(f.id, f.to);
    log(`[ort runtime] model '${f.id}' fell back from ${f.from} to ${f.to}: ${f.reason}`);
  }

  return {
    async info() {
      await ensureReady();
      return { ...decided!, fallbacks: [...fallbacks] };
    },

    async load(id, source, options = {}) {
      await ensureReady();
      const { transfer = true, ...rest } = options;
      const buffers = transfer
        ? transferList([...(typeof source === "string" ? [] : [{ data: source }]), ...(rest.externalData ?? [])])
        : [];
      const r = await call<LoadedSession & { fallback?: ProviderFallback }>(
        { op: "load", id, source, options: rest },
        buffers,
      );
      lost.delete(id);
      loaded.set(id, r.provider);
      recordFallback(r.fallback);
      const { fallback: _f, ...session } = r;
      return session;
    },

    async run(id, feeds, options = {}) {
      if (options.signal?.aborted) throw abortError(options.signal, `run of '${id}'`);
      await ensureReady();
      if (!loaded.has(id))
        throw new SessionNotLoadedError(
          id,
          lost.has(id) ? "lost when the ORT worker crashed; load it again" : "call load() first",
        );
      const plain: Record<string, TensorData> = {};
      for (const [k, t] of Object.entries(feeds)) {
        const problem = feedProblem(t);
        if (problem) throw new RunError(`ort runtime: feed '${k}' of model '${id}': ${problem}`, id);
        plain[k] = { type: t.type, dims: [...t.dims], data: t.data } as TensorData;
      }
      const buffers = options.transfer === false ? [] : transferList(Object.values(plain));
      const r = await call<{ outputs: Record<string, TensorData>; fallback?: ProviderFallback }>(
        { op: "run", id, feeds: plain, fetches: options.outputs },
        buffers,
        options.signal,
      );
      recordFallback(r.fallback);
      return r.outputs;
    },

    async unload(id) {
      lost.delete(id);
      if (!loaded.has(id) || !worker) {
        loaded.delete(id);
        return false;
      }
      loaded.delete(id);
      return call<boolean>({ op: "unload", id });
    },

    loadedIds: () => [...loaded.keys()],

    onWorkerExit(listener) {
      exitListeners.add(listener);
      return () => exitListeners.delete(listener);
    },

    async close() {
      if (closed) return;
      closed = true;
      const err = new Error("ort runtime: session host closed");
      const pending = [...(inFlight ? [inFlight] : []), ...queue];
      inFlight = null;
      queue = [];
      for (const j of pending) finish(j, err);
      const w = worker;
      worker = null;
      loaded.clear();
      if (w) await w.terminate();
    },

    async testCrash(code = 7) {
      await ensureReady();
      await call({ op: "test:crash", code });
    },

    async testSimulateOom(id, source) {
      await ensureReady();
      const ok = await call<boolean>({ op: "test:oom", id, source });
      if (ok) loaded.set(id, "cuda");
      return ok;
    },
  };
}
