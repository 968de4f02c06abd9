// The LM worker thread: owns every LM session (ORT session + in-place KV caches, kv-session.ts) and runs whole
// decode passes, so the main event loop never runs a session step or the per-token sampling work. Started by
// lm-worker-client.ts through lm-worker-boot.mjs (tsx loader); protocol in lm-worker-protocol.ts. The caller
// (server/pipeline/lm.ts) reads the checkpoint's config and code-head rows, so nothing here knows the model. The
// checkpoint's tokenizer (~1 s to load, 217k tokens) lives only here: prompts are encoded ("encode") and generated
// tokens decoded (a pass's `text`) in this thread, so the main event loop never blocks on it. So does the text
// encoder's tokenizer (Qwen3-Embedding's, "encoderTokens"), for the same reason.
import { parentPort } from "node:worker_threads";
import { createMetadataFsm, generateWithLogits, loadLmTokenizer, type LmTokenizer } from "../../lm";
import { openLmKvSession, type LmKvSession } from "./kv-session";
import { createLmLogitsFn } from "./logits-fn";
import { createCachedSession } from "../ort-cache.mjs";
import { tokenizeForEncoder } from "../../acestep/prompts/encoder-tokenizer";
import {
  passCapacity,
  type LmOpenRequest,
  type LmOpenResult,
  type LmPassRequest,
  type LmPassResult,
  type LmProvider,
  type LmWorkerMessage,
  type LmWorkerRequest,
} from "./lm-worker-protocol";

interface Held {
  model: LmKvSession;
  tokenizer: LmTokenizer;
  lock: Promise<unknown>;
}

const port = parentPort;
if (!port) throw new Error("lm-worker: must run as a worker thread");
const held = new Map<string, Promise<Held>>();
const cancelled = new Set<number>();

function abortError(): Error {
  const e = new Error("lm: decode aborted");
  e.name = "AbortError";
  return e;
}

async function open(r: LmOpenRequest): Promise<LmOpenResult> {
  const tokenizer = loadLmTokenizer(r.tokenizerPath);
  // through ORT's optimized-model cache when one is given (server/runtime/ort-cache.mjs), as every other session
  const create = (p: LmProvider) =>
    createCachedSession(
      (path, extra) =>
        openLmKvSession(path as string, r.config, {
          codeRows: r.codeRows,
          threads: r.threads,
          sessionOptions: { executionProviders: p === "cuda" ? ["cuda", "cpu"] : ["cpu"], ...extra },
        }),
      r.onnxPath,
      r.optimizedCache,
      { provider: p, level: "all" },
    );
  const t0 = performance.now();
  let provider = r.provider;
  let fallback: string | undefined;
  let created: Awaited<ReturnType<typeof create>>;
  try {
    created = await create(provider);
  } catch (e) {
    if (provider !== "cuda") throw e;
    // the same fallback as the session host: a CUDA session that cannot be created runs on the CPU
    fallback = `CUDA session for ${r.onnxPath} failed, using CPU: ${(e as Error).message}`;
    provider = "cpu";
    created = await create(provider);
  }
  held.set(r.key, Promise.resolve({ model: created.session, tokenizer, lock: Promise.resolve() }));
  return { provider, fallback, optimizedCache: created.cache, createMs: performance.now() - t0 };
}

async function get(key: string): Promise<Held> {
  const h = held.get(key);
  if (!h) throw new Error(`lm-worker: model ${key} is not open`);
  return h;
}

/** Run `fn` after every earlier pass on this model (one decode loop per model at a time). */
function exclusive<T>(h: Held, fn: () => Promise<T>): Promise<T> {
  const run = h.lock.then(fn, fn);
  h.lock = run.catch(() => undefined);
  return run;
}

async function pass(id: number, r: LmPassRequest): Promise<LmPassResult> {
  const h = await get(r.key);
  return exclusive(h, async () => {
    if (cancelled.has(id)) throw abortError();
    const fsm = r.fsm ? createMetadataFsm({ tokenizer: h.tokenizer, ...r.fsm }) : undefined;
    const useCfg = r.cfgScale > 1 && r.uncondPrompt !== undefined;
    const capacity = passCapacity(r.prompt.length, r.maxNewTokens);
    const fn = createLmLogitsFn(h.model, { head: r.head, uncondPrompt: useCfg ? r.uncondPrompt : undefined, capacity });
    let last = 0;
    const res = await generateWithLogits(fn, {
      prompt: r.prompt,
      uncondPrompt: useCfg ? r.uncondPrompt : undefined,
      fsm,
      sampling: { ...r.sampling, cfgScale: useCfg ? r.cfgScale : 1 },
      maxNewTokens: r.maxNewTokens,
      seed: r.seed,
      onToken: (_tok, step) => {
        if (cancelled.has(id)) throw abortError();
        const t = performance.now();
        if (t - last >= r.progressIntervalMs) {
          last = t;
          send({ id, kind: "progress", step: step + 1 });
        }
      },
    });
    return { tokens: res.tokens, text: h.tokenizer.decode(res.tokens), stopReason: res.stopReason };
  });
}

async function logits(r: Extract<LmWorkerRequest, { op: "logits" }>): Promise<Float32Array> {
  const h = await get(r.key);
  return exclusive(h, async () => (await h.model.step(h.model.newCache(1), [r.ids], { head: r.head }))![0]);
}

async function close(key: string): Promise<void> {
  const p = held.get(key);
  if (!p) return;
  held.delete(key);
  const h = await p.catch(() => null);
  if (h) await exclusive(h, () => h.model.dispose());
}

async function release(): Promise<void> {
  const all = [...held.values()];
  held.clear();
  for (const p of all) await (await p.catch(() => null))?.model.dispose();
}

function send(m: LmWorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

async function handle(id: number, r: LmWorkerRequest): Promise<unknown> {
  switch (r.op) {
    case "open":
      return open(r);
    case "pass":
      return pass(id, r);
    case "encode": {
      const { tokenizer } = await get(r.key);
      return r.texts.map((t) => tokenizer.encode(t));
    }
    case "encoderTokens":
      return tokenizeForEncoder(r.dir, r.text, r.maxLength);
    case "logits":
      return logits(r);
    case "stats":
      return { ...(await get(r.key)).model.stats };
    case "cancel":
      cancelled.add(r.target);
      return null;
    case "close":
      return close(r.key);
    case "release":
      return release();
  }
}

port.on("message", ({ id, request }: { id: number; request: LmWorkerRequest }) => {
  handle(id, request)
    .then(
      (value) => send({ id, kind: "ok", value }, value instanceof Float32Array ? [value.buffer as ArrayBuffer] : []),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        send({ id, kind: "error", name: err.name, message: err.message });
      },
    )
    .finally(() => {
      if (request.op === "pass") cancelled.delete(id);
    });
});
