// ORT worker thread: owns onnxruntime-node InferenceSessions so that the blocking session.run
// never stalls the main event loop. Plain ESM JavaScript so Next.js, tsx and vitest load it as is.
// Protocol (typed on the host side in session-host.ts):
//   host → worker  { seq, op: 'init'|'load'|'run'|'unload'|'test:crash'|'test:oom', ...args }
//   worker → host  { seq, ok: true, result } | { seq, ok: false, error: { name, message, file? } }
// Tensors cross as { type, dims, data: TypedArray } with their ArrayBuffers in the transfer list.
import { parentPort, workerData } from "node:worker_threads";
import { existsSync, statSync } from "node:fs";
import ort from "onnxruntime-node";
import { createCachedSession } from "./ort-cache.mjs";

const testHooks = Boolean(workerData?.testHooks);
const state = { threads: 1, providers: ["cpu"] };
/** id → { session, provider, source, options, simulateOom } */
const sessions = new Map();

const OOM_RE =
  /out of memory|CUDNN_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation|CUDA failure 2:|Failed to allocate memory|bfc_arena/i;

/** A reply value plus the ArrayBuffers to move (not copy) back to the host. */
class WithTransfer {
  constructor(value, transfer) {
    this.value = value;
    this.transfer = transfer;
  }
}

class WorkerError extends Error {
  constructor(name, message, extra = {}) {
    super(message);
    this.name = name;
    Object.assign(this, extra);
  }
}

function sourceLabel(source, options) {
  if (typeof source === "string") return source;
  return options?.fileName ?? `<in-memory model, ${source.byteLength} bytes>`;
}

function sessionOptions(options, providers) {
  const o = {
    executionProviders: providers,
    intraOpNumThreads: options.intraOpNumThreads ?? state.threads,
    graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
    enableMemPattern: options.enableMemPattern ?? false,
    enableCpuMemArena: options.enableCpuMemArena ?? true,
    logSeverityLevel: options.logSeverityLevel ?? 3,
  };
  if (options.freeDimensionOverrides) o.freeDimensionOverrides = options.freeDimensionOverrides;
  if (options.externalData) o.externalData = options.externalData;
  return o;
}

function providersFor(options) {
  if (options.executionProvider === "cpu") return ["cpu"];
  if (options.executionProvider === "cuda") return ["cuda", "cpu"];
  return state.providers;
}

/** Session creation through the optimized-model cache (ort-cache.mjs) when options.optimizedCache is set. */
function createWithCache(source, options, providers) {
  return createCachedSession(
    (path, extra) => ort.InferenceSession.create(path, { ...sessionOptions(options, providers), ...extra }),
    source,
    options.optimizedCache,
    {
      provider: providers[0],
      level: options.graphOptimizationLevel ?? "all",
      freeDimensionOverrides: options.freeDimensionOverrides,
    },
  );
}

async function createSession(source, options, providers) {
  const label = sourceLabel(source, options);
  if (typeof source === "string") {
    if (!existsSync(source))
      throw new WorkerError("ModelLoadError", `model file not found: ${source}`, { file: source });
    if (!statSync(source).isFile())
      throw new WorkerError("ModelLoadError", `model path is not a file: ${source}`, { file: source });
  }
  try {
    return await createWithCache(source, options, providers);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new WorkerError("ModelLoadError", `cannot load model ${label} (${providers[0]}): ${msg}`, { file: label });
  }
}

async function load({ id, source, options = {} }) {
  const old = sessions.get(id);
  if (old) {
    sessions.delete(id);
    await old.session.release();
  }
  let providers = providersFor(options);
  let created;
  let fallback;
  const started = performance.now();
  try {
    created = await createSession(source, options, providers);
  } catch (e) {
    // A CUDA session that fails for a reason other than a missing file retries on CPU.
    if (providers[0] !== "cuda" || e.message.startsWith("model file not found")) throw e;
    fallback = { id, from: "cuda", to: "cpu", reason: e.message };
    providers = ["cpu"];
    created = await createSession(source, options, providers);
  }
  const { session, cache } = created;
  const createMs = performance.now() - started;
  const provider = providers[0];
  // Keep the source only where an OOM fallback may need to rebuild the session on CPU.
  sessions.set(id, { session, provider, source: provider === "cuda" ? source : null, options, simulateOom: false });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: plainMetadata(session.inputMetadata),
    outputMetadata: plainMetadata(session.outputMetadata),
    provider,
    fallback,
    optimizedCache: cache,
    createMs,
  };
}

function plainMetadata(meta) {
  if (!Array.isArray(meta)) return undefined;
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
      : { name: m.name, isTensor: false },
  );
}

function toFeeds(feeds) {
  const out = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.type, t.data, t.dims);
  return out;
}

function fromOutputs(results, transfer) {
  const out = {};
  const seen = new Set();
  for (const [name, t] of Object.entries(results)) {
    let data = t.data;
    if (ArrayBuffer.isView(data)) {
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      if (!whole || seen.has(data.buffer)) data = data.slice();
      seen.add(data.buffer);
      transfer.push(data.buffer);
    }
    out[name] = { type: t.type, dims: [...t.dims], data };
  }
  return out;
}

async function run({ id, feeds, fetches }) {
  const entry = sessions.get(id);
  if (!entry) throw new WorkerError("SessionNotLoadedError", `model '${id}' is not loaded in the ORT worker`);
  const tensors = toFeeds(feeds);
  let results;
  let fallback;
  try {
    if (entry.simulateOom) {
      entry.simulateOom = false;
      throw new Error("test: CUDA failure 2: out of memory");
    }
    results = await (fetches ? entry.session.run(tensors, fetches) : entry.session.run(tensors));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (entry.provider !== "cuda" || !OOM_RE.test(msg))
      throw new WorkerError("RunError", `run of model '${id}' failed: ${msg}`);
    // CUDA out of memory: rebuild this model on CPU, free the GPU session, retry once.
    const { session: cpu } = await createSession(entry.source, entry.options, ["cpu"]);
    await entry.session.release().catch(() => {});
    Object.assign(entry, { session: cpu, provider: "cpu", source: null });
    fallback = { id, from: "cuda", to: "cpu", reason: msg };
    results = await (fetches ? cpu.run(tensors, fetches) : cpu.run(tensors));
  }
  const transfer = [];
  const outputs = fromOutputs(results, transfer);
  return new WithTransfer({ outputs, fallback }, transfer);
}

async function unload({ id }) {
  const entry = sessions.get(id);
  if (!entry) return false;
  sessions.delete(id);
  await entry.session.release();
  return true;
}

async function handle(msg) {
  switch (msg.op) {
    case "init":
      state.threads = msg.threads;
      state.providers = msg.providers;
      return { versions: { ...ort.env.versions }, backends: ort.listSupportedBackends?.() ?? [] };
    case "load":
      return load(msg);
    case "run":
      return run(msg);
    case "unload":
      return unload(msg);
    case "test:crash":
      if (!testHooks) break;
      process.exit(msg.code ?? 7);
      return null;
    case "test:oom": {
      if (!testHooks) break;
      const e = sessions.get(msg.id);
      if (e) Object.assign(e, { simulateOom: true, provider: "cuda", source: msg.source });
      return Boolean(e);
    }
  }
  throw new WorkerError("ProtocolError", `unknown ORT worker op '${msg.op}'`);
}

let chain = Promise.resolve();
parentPort.on("message", (msg) => {
  chain = chain.then(async () => {
    try {
      const r = await handle(msg);
      if (r instanceof WithTransfer) {
        parentPort.postMessage({ seq: msg.seq, ok: true, result: r.value }, r.transfer);
      } else {
        parentPort.postMessage({ seq: msg.seq, ok: true, result: r });
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      parentPort.postMessage({
        seq: msg.seq,
        ok: false,
        error: { name: err.name, message: err.message, file: err.file },
      });
    }
  });
});
